"""Novelty: how unlike the training images an image is, and a threshold that flags it.

The score is the Mahalanobis distance from an image's embedding (the model's penultimate layer) to
the nearest class centre, in units of the classes' shared spread. A classifier is confidently
wrong on what it never saw, its embedding much less so: this score separated left-out classes far
better than the softmax probability or the energy score (docs/model-card.md; the leave_out stage
re-measures it). The threshold keeps a chosen fraction (`novelty.keep`) of held-out known images
in distribution.
"""

from dataclasses import dataclass

import numpy as np

# Shrinks the covariance towards a multiple of the identity: embeddings from ReLU units have
# dimensions that never vary (dead units), which would make the covariance singular.
SHRINKAGE = 1e-3


@dataclass(frozen=True, eq=False)
class NoveltyScorer:
    """Mahalanobis distance to the nearest class centre, and the threshold that flags novelty.

    Stored whitened: with W such that W W^T is the inverse of the shared covariance, the
    Mahalanobis distance is the Euclidean distance after multiplying by W, so scoring a batch
    takes two matrix products instead of a quadratic form per image and class.
    """

    whitening: np.ndarray  # (dimensions, dimensions)
    centres: np.ndarray  # class centres, whitened: (classes, dimensions)
    threshold: float = float("inf")

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Embeddings (n, dimensions) -> novelty (n,): higher is less like the training data."""
        points = embeddings.astype(np.float64) @ self.whitening
        squared = (
            (points**2).sum(axis=1, keepdims=True)
            - 2 * points @ self.centres.T
            + (self.centres**2).sum(axis=1)
        )  # (n, classes): |p - c|^2 expanded
        return np.sqrt(np.maximum(squared.min(axis=1), 0.0))

    def calibrated(self, embeddings: np.ndarray, *, keep: float) -> "NoveltyScorer":
        """The same scorer with the threshold that keeps `keep` of these known images."""
        threshold = float(np.quantile(self.scores(embeddings), keep))
        return NoveltyScorer(self.whitening, self.centres, threshold)


def fit_novelty(embeddings: np.ndarray, targets: np.ndarray, num_classes: int) -> NoveltyScorer:
    """Class centres and the shared (tied) covariance of the training embeddings."""
    embeddings = embeddings.astype(np.float64)
    means = np.stack([embeddings[targets == c].mean(axis=0) for c in range(num_classes)])
    centred = embeddings - means[targets]
    covariance = centred.T @ centred / len(embeddings)
    dimensions = covariance.shape[0]
    scale = max(np.trace(covariance) / dimensions, np.finfo(np.float64).tiny)
    covariance += SHRINKAGE * scale * np.eye(dimensions)
    whitening = np.linalg.cholesky(np.linalg.inv(covariance))
    return NoveltyScorer(whitening=whitening, centres=means @ whitening)

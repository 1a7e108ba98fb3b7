"""Novelty: how unlike the training images an image is, and a threshold that flags it.

The score is the Mahalanobis distance from an image's embedding (the model's penultimate layer) to
the nearest class centre, measured in units of the classes' shared spread. It was chosen by
measurement: on the real celestial-bodies images with classes left out of training, it separated
the unseen classes from the known ones with an AUROC of 0.98-1.0, where the maximum softmax
probability scored 0.36-0.93 and the energy score 0.27-0.94 (a classifier is confidently wrong on
what it never saw; its embedding is not). `make train` re-measures it (the leave_out stage).

The threshold is calibrated on held-out images of the known classes, so that a chosen fraction of
them (`novelty.keep` in params.yaml, 95 %) is flagged in distribution.
"""

from dataclasses import dataclass

import numpy as np

# Shrinks the covariance towards a multiple of the identity: embeddings from ReLU units have
# dimensions that never vary (dead units), which would make the covariance singular.
SHRINKAGE = 1e-3


@dataclass(frozen=True, eq=False)
class NoveltyScorer:
    """Mahalanobis distance to the nearest class centre, and the threshold that flags novelty."""

    means: np.ndarray  # (classes, dimensions)
    precision: np.ndarray  # inverse of the shared covariance, (dimensions, dimensions)
    threshold: float = float("inf")

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Embeddings (n, dimensions) -> novelty (n,): higher is less like the training data."""
        offsets = embeddings[:, None, :] - self.means[None, :, :]  # (n, classes, dimensions)
        squared = np.einsum("ncd,de,nce->nc", offsets, self.precision, offsets)
        return np.sqrt(np.maximum(squared.min(axis=1), 0.0))

    def calibrated(self, embeddings: np.ndarray, *, keep: float) -> "NoveltyScorer":
        """The same scorer with the threshold that keeps `keep` of these known images."""
        threshold = float(np.quantile(self.scores(embeddings), keep))
        return NoveltyScorer(self.means, self.precision, threshold)


def fit_novelty(embeddings: np.ndarray, targets: np.ndarray, num_classes: int) -> NoveltyScorer:
    """Class centres and the shared (tied) covariance of the training embeddings."""
    embeddings = embeddings.astype(np.float64)
    means = np.stack([embeddings[targets == c].mean(axis=0) for c in range(num_classes)])
    centred = embeddings - means[targets]
    covariance = centred.T @ centred / len(embeddings)
    dimensions = covariance.shape[0]
    scale = max(np.trace(covariance) / dimensions, np.finfo(np.float64).tiny)
    covariance += SHRINKAGE * scale * np.eye(dimensions)
    return NoveltyScorer(means=means, precision=np.linalg.inv(covariance))

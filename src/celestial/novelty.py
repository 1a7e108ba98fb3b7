"""Novelty: how unlike the known bodies an image is, and a threshold that flags it.

The score is the Mahalanobis distance from an image's embedding (the model's penultimate layer) to
the nearest class, each class with its own centre and spread. A classifier is confidently wrong on
what it never saw, its embedding much less so: the leave_out stage measures how well the score
separates bodies the model never learnt (docs/model-card.md).

It is fitted on the training images and on changed versions of them (the augmentation training
uses), and its threshold keeps `novelty.keep` of changed held-out images: a body darker, smaller
or blurred is still a known body and must not be flagged. A spread per class keeps each class's
tight directions tight: with one spread shared by all, the Moon's cloud would inherit Jupiter's
and a Mercury never learnt would sit inside it.
"""

from dataclasses import dataclass

import numpy as np

# Shrinks each covariance towards a multiple of the identity: embeddings from ReLU units have
# dimensions that never vary (dead units), which would make a covariance singular.
SHRINKAGE = 1e-3


@dataclass(frozen=True, eq=False)
class NoveltyScorer:
    """The smallest over classes c of |(x - centre_c) W_c|, with W_c W_c^T the inverse of class
    c's covariance, and the threshold above which an image is flagged."""

    whitenings: np.ndarray  # (classes, dimensions, dimensions)
    centres: np.ndarray  # (classes, dimensions)
    threshold: float = float("inf")

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Embeddings (n, dimensions) -> novelty (n,): higher is less like the known bodies."""
        differences = embeddings.astype(np.float64)[None] - self.centres[:, None]  # (c, n, d)
        whitened = np.matmul(differences, self.whitenings)
        return np.sqrt(np.einsum("cnd,cnd->cn", whitened, whitened).min(axis=0))

    def calibrated(self, embeddings: np.ndarray, *, keep: float) -> "NoveltyScorer":
        """The same scorer with the threshold that keeps `keep` of these known images."""
        threshold = float(np.quantile(self.scores(embeddings), keep))
        return NoveltyScorer(self.whitenings, self.centres, threshold)


def fit_novelty(embeddings: np.ndarray, targets: np.ndarray, num_classes: int) -> NoveltyScorer:
    """Each class's centre and (shrunk) covariance of these embeddings."""
    embeddings = embeddings.astype(np.float64)
    centres, whitenings = [], []
    for label in range(num_classes):
        points = embeddings[targets == label]
        centre = points.mean(axis=0)
        centred = points - centre
        covariance = centred.T @ centred / len(points)
        dimensions = covariance.shape[0]
        scale = max(np.trace(covariance) / dimensions, np.finfo(np.float64).tiny)
        covariance += SHRINKAGE * scale * np.eye(dimensions)
        centres.append(centre)
        whitenings.append(np.linalg.cholesky(np.linalg.inv(covariance)))
    return NoveltyScorer(whitenings=np.stack(whitenings), centres=np.stack(centres))

"""Models that rank unscreened works by predicted relevance (active learning).

A model is a :class:`Ranker`: ``__init__`` stores its settings; :meth:`Ranker.features` turns
all records' texts into feature *views* once (unsupervised); :meth:`Ranker.fit` trains one
classifier per view on the labelled rows; :meth:`Ranker.score` scores every row. Retraining
only refits the classifiers.

Models (``MODELS``):

``elas-u4`` (the default)
    ASReview LAB's default (ELAS u4) re-implemented: TF-IDF word uni+bigrams (sublinear,
    max_df 0.95), linear SVM (C=0.11, squared hinge), irrelevant records weighted so that
    their total is 1/9.8 of the relevant ones'. The default because no variant below has yet
    been shown to beat it on datasets it was not chosen on (``make bench-screening``: the
    leave-one-dataset-out table).
``slr`` (the earlier default)
    Two views of the same text: TF-IDF word uni+bigrams, and a 100-dimension latent semantic
    space (LSA: the top singular directions of the TF-IDF matrix) that links records sharing
    few words but related ones. A linear SVM on each view; their rankings are averaged.
    Relevant records weigh more than irrelevant ones (class weights), less steeply than
    ASReview's default. Chosen on six datasets; behind ASReview on six others.
``logistic``, ``nb``
    Logistic regression or multinomial naive Bayes on the TF-IDF view.
``minilm``
    Like ``slr`` with all-MiniLM-L6-v2 sentence embeddings (the packaged offline model) in
    place of LSA. Needs torch; embedding costs far more CPU than the rest of a simulation
    (once: embeddings are cached by text hash).
``semantic``
    The shape of ASReview's heavier ELAS h3 (sentence embeddings and an SVM) with the packaged
    all-MiniLM-L6-v2: a linear SVM on the embeddings alone, ELAS u4's class weights.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.stats import rankdata
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from slr.embed import embed
from slr.errors import SlrError
from slr.protocol import DEFAULT_SCREENING_MODEL, SCREENING_MODELS

Views = dict[str, "np.ndarray | sp.csr_matrix"]

# model → (views, classifier per view, class-weight ratio)
_SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...], float]] = {  # one per SCREENING_MODELS
    "elas-u4": (("words",), ("svm",), 9.8),
    "slr": (("words", "lsa"), ("svm", "svm"), 5.0),
    "logistic": (("words",), ("logistic",), 9.8),
    "nb": (("words",), ("nb",), 1.0),
    "minilm": (("words", "minilm"), ("svm", "svm"), 5.0),
    "semantic": (("minilm",), ("svm",), 9.8),
}
MODELS = SCREENING_MODELS  # the protocol validates screening.model against this list
DEFAULT_MODEL = DEFAULT_SCREENING_MODEL
LSA_DIMENSIONS = 100
EXACT_LSA_MAX = 6000  # records; the Gram matrix is n × n


def tfidf_features(texts: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF of word uni- and bigrams (sublinear tf, max_df 0.95), fitted on all records."""
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_df=0.95)
    try:
        return vec.fit_transform(texts).tocsr()
    except ValueError as e:  # every text empty
        raise SlrError(f"no words to learn from in {len(texts)} records: {e}") from e


def lsa_features(
    words: sp.csr_matrix, *, seed: int = 0, dimensions: int = LSA_DIMENSIONS
) -> np.ndarray:
    """Latent semantic analysis: unit-length document coordinates in the top ``dimensions``
    singular directions of the TF-IDF matrix.

    Up to ``EXACT_LSA_MAX`` records the decomposition is exact and deterministic, through the
    eigenvectors of the records' Gram matrix (far cheaper than an SVD over hundreds of thousands
    of n-gram columns). Above it, scikit-learn's randomized truncated SVD, seeded with ``seed``
    (approximate in the last directions: in the benchmark its rankings moved with the seed).
    """
    n = words.shape[0]
    k = max(1, min(dimensions, n - 1, words.shape[1] - 1))
    if n <= EXACT_LSA_MAX:
        gram = (words @ words.T).toarray()
        values, vectors = eigh(gram, subset_by_index=[n - k, n - 1])
        coords = vectors[:, ::-1] * np.sqrt(np.clip(values[::-1], 0, None))
    else:
        coords = TruncatedSVD(k, random_state=seed).fit_transform(words)
    return normalize(coords)


def class_weights(y: np.ndarray, ratio: float) -> np.ndarray:
    """Sample weights: relevant 1, irrelevant ``n_relevant / (ratio × n_irrelevant)``, rescaled
    to sum to ``len(y)`` (as ASReview's "balanced" balancer with its ``ratio``)."""
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    w = np.where(y == 1, 1.0, n_pos / (ratio * max(n_neg, 1)))
    return w * (len(y) / w.sum())


def _rank01(scores: np.ndarray) -> np.ndarray:
    return rankdata(scores) / len(scores)


@dataclass
class Ranker:
    """Scores records by predicted relevance.

    Parameters
    ----------
    model : one of ``MODELS``
    seed : seeds the SVD and the solvers
    """

    model: str = DEFAULT_MODEL
    seed: int = 0
    cache: Path | None = None  # where embeddings are cached (a review's; default $SLR_CACHE)
    estimators_: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.model not in _SPECS:
            raise SlrError(f"unknown model {self.model!r}; valid options: {', '.join(MODELS)}")

    @property
    def views(self) -> tuple[str, ...]:
        return _SPECS[self.model][0]

    def features(self, texts: Sequence[str]) -> Views:
        """Every view the model needs, computed once for all ``texts``."""
        words = tfidf_features(texts)
        out: Views = {"words": words}
        if "lsa" in self.views:
            out["lsa"] = lsa_features(words, seed=self.seed)
        if "minilm" in self.views:
            out["minilm"] = embed(list(texts), cache=self.cache)
        return out

    def fit(self, views: Views, labelled: np.ndarray, y: np.ndarray) -> Ranker:
        """Train one classifier per view on rows ``labelled`` with labels ``y`` (1/0)."""
        labelled = np.asarray(labelled)
        y = np.asarray(y).astype(int)
        if len(set(y.tolist())) < 2:
            raise SlrError("the model needs at least one relevant and one irrelevant record")
        names, kinds, ratio = _SPECS[self.model]
        weight = class_weights(y, ratio)
        self.estimators_ = []
        for name, kind in zip(names, kinds, strict=True):
            if name not in views:
                raise SlrError(
                    f"feature view {name!r} is missing; compute features with this model"
                )
            est = _classifier(kind, self.seed)
            est.fit(views[name][labelled], y, sample_weight=weight)
            self.estimators_.append((name, est))
        return self

    def score(self, views: Views) -> np.ndarray:
        """Relevance scores for every row (higher: more likely relevant)."""
        if not self.estimators_:
            raise SlrError("the ranker is not trained yet: call fit first")
        scores = [_decision(est, views[name]) for name, est in self.estimators_]
        if len(scores) == 1:
            return scores[0]
        return np.mean([_rank01(s) for s in scores], axis=0)


def _classifier(kind: str, seed: int):
    if kind == "svm":
        return LinearSVC(C=0.11, loss="squared_hinge", random_state=seed)
    if kind == "logistic":
        return LogisticRegression(C=10, solver="liblinear", random_state=seed)

    return MultinomialNB(alpha=3.822)


def _decision(est, X) -> np.ndarray:
    if hasattr(est, "decision_function"):
        return np.asarray(est.decision_function(X), dtype=float)
    logp = est.predict_log_proba(X)
    return logp[:, 1] - logp[:, 0]

"""Topics the codebook did not name: BERTopic on the included works.

Text per work: title + abstract when there is an abstract, else title + keywords. Embeddings
come from the packaged all-MiniLM-L6-v2 model (``slr.embed``: offline, cached on disk by
text hash and model). The pipeline is seeded (UMAP ``random_state``; HDBSCAN is deterministic
given its input), so a rerun with the same seed gives identical topics.

Two configurations:

* ``umap-hdbscan`` (``SMALL_CORPUS`` documents or more): UMAP to 5 dimensions, HDBSCAN with a
  minimum topic size that grows with the corpus. Documents in no dense region are outliers
  (topic -1), as BERTopic reports them. UMAP finds each document's neighbours among all pairs
  (``exact``) below ``NN_DESCENT_FROM`` documents and with its nearest-neighbour index
  (``nn-descent``, approximate) from there, as UMAP itself does when it is given that many:
  when the model is fitted on a sample, the documents counted are all those it places, since
  placing the others compares each with every fitted one.
* ``pca-kmeans`` (fewer documents, a few dozen): density clustering would call nearly
  everything an outlier, so the embeddings are reduced with PCA and split with k-means
  (k ≈ √(n/2)); every document gets a topic.

:func:`topic_stability` refits with several seeds and reports the adjusted Rand index of each
against the first; :func:`topic_theme_table` crosses topics with codebook tags: topics that
carry no theme are candidates for new themes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.metrics import adjusted_rand_score

from slr.compute import map_chunks
from slr.embed import MODEL_LANGUAGE, embed
from slr.errors import SlrError
from slr.layout import ReviewPaths
from slr.protocol import Protocol
from slr.tables.contracts import TOPIC_INFO
from slr.tables.schema import is_missing
from slr.text import sentence_language

INSTALL_HINT = "pip install 'slr[topics]' (install torch==2.13.0 first, for the CPU build)"
SMALL_CORPUS = 200  # documents; below it, the pca-kmeans configuration (measured: more stable)
TOP_WORDS = 8
ASSIGN_CHUNK = 1000  # works assigned to the fitted topics per step (a task on Dask)
NN_DESCENT_FROM = 4096  # documents; UMAP's own switch to its nearest-neighbour index
NEIGHBOURS = ("exact", "nn-descent")


def work_text(work: pd.Series | dict, function_words: Mapping[str, frozenset[str]]) -> str:
    """Title + abstract when there is an abstract, else title + keywords.

    Where a record carries two languages, the title and abstract in the embedding model's
    language are used (by ``function_words``; otherwise works split into topics by language).
    """
    get = work.get

    def s(v) -> str:
        if is_missing(v):
            return ""
        return str(v).strip()

    def english_first(a: str, b: str) -> str:
        if (
            a
            and b
            and sentence_language(a, function_words) != MODEL_LANGUAGE
            and sentence_language(b, function_words) == MODEL_LANGUAGE
        ):
            return b
        return a or b

    title = english_first(s(get("title")), s(get("title_alt")))
    abstract = english_first(s(get("abstract")), s(get("abstract_alt")))
    if abstract:
        return f"{title}. {abstract}".strip(". ")
    kws = get("keywords")
    kw = "; ".join(str(k) for k in kws) if kws is not None and not isinstance(kws, float) else ""
    return f"{title}. {kw}".strip(". ")


@dataclass
class TopicModel:
    """A fitted topic model's results (no live BERTopic object: results are plain tables)."""

    config: str
    seed: int
    assignments: pd.DataFrame  # work_id, topic, text_source
    topics: pd.DataFrame  # topic, size, words, label
    seconds: float = 0.0
    info: dict = field(default_factory=dict)


def _require():
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import bertopic  # noqa: F401
    except ImportError as e:
        raise SlrError(f"topics need {e.name}: {INSTALL_HINT}") from e


def _stop_words(extra: Iterable[str]) -> list[str]:
    """English stop words and ``extra`` (the protocol's ``coding.topic_stop_words``)."""
    return sorted(set(ENGLISH_STOP_WORDS) | set(extra))


def fit_topics(
    work_ids: Sequence[str],
    texts: Sequence[str],
    *,
    seed: int = 42,
    embeddings: np.ndarray | None = None,
    embedder: Callable[[list[str]], np.ndarray] | None = None,
    config: str | None = None,
    stop_words: Iterable[str] = (),
    sample: int | None = None,
    neighbours: str | None = None,
) -> TopicModel:
    """Fit BERTopic on ``texts`` (one per work). ``config``: ``umap-hdbscan``, ``pca-kmeans``
    or None (chosen by corpus size). Embeddings are computed (cached) unless given. Topic words
    leave out English stop words and ``stop_words``. ``neighbours`` (``umap-hdbscan``):
    ``exact``, ``nn-descent`` or None (``nn-descent`` from ``NN_DESCENT_FROM`` documents);
    ``info["neighbours"]`` says which.

    ``sample``: when there are more texts, the model is fitted on ``sample`` of them drawn with
    ``seed`` and the others are assigned to its topics (BERTopic's ``transform``), so the cost
    of fitting stops growing with the corpus; ``info["fitted_on"]`` says how many it was.
    """
    if len(work_ids) != len(texts):
        raise SlrError(f"{len(work_ids)} work IDs but {len(texts)} texts")
    n_all = len(texts)
    if n_all < 4:
        raise SlrError(f"topic modelling needs at least 4 documents; got {n_all}")
    if sample is not None and sample < 4:
        raise SlrError(f"a topic sample of {sample} documents is too small; use 4 or more")
    fit = np.arange(n_all)
    if sample is not None and n_all > sample:
        fit = np.sort(np.random.default_rng(seed).choice(n_all, sample, replace=False))
    n = len(fit)
    config = config or ("umap-hdbscan" if n >= SMALL_CORPUS else "pca-kmeans")
    if config not in ("umap-hdbscan", "pca-kmeans"):
        raise SlrError(
            f"unknown topic configuration {config!r}; valid options: umap-hdbscan, pca-kmeans"
        )
    if neighbours is None:
        neighbours = "nn-descent" if n_all >= NN_DESCENT_FROM else "exact"
    if neighbours not in NEIGHBOURS:
        raise SlrError(
            f"unknown neighbour search {neighbours!r}; valid options: {', '.join(NEIGHBOURS)}"
        )
    if config != "umap-hdbscan":
        neighbours = ""  # PCA has no neighbours
    _require()
    from bertopic import BERTopic

    if embeddings is None:
        embeddings = (embedder or embed)(list(texts))
    t0 = time.perf_counter()
    if config == "umap-hdbscan":
        from hdbscan import HDBSCAN
        from umap import UMAP

        dim = UMAP(
            n_neighbors=15,
            n_components=5,
            min_dist=0.0,
            metric="cosine",
            random_state=seed,
            force_approximation_algorithm=neighbours == "nn-descent",
        )
        min_size = max(10, n // 250)  # BERTopic's default 10, growing with the corpus
        cluster = HDBSCAN(
            min_cluster_size=min_size,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        )
    else:
        dim = PCA(n_components=min(5, n - 1), random_state=seed)
        k = max(2, min(n // 2, round((n / 2) ** 0.5)))
        cluster = KMeans(n_clusters=k, n_init=10, random_state=seed)
    # BERTopic fits the vectorizer on one document per topic: min_df must stay 1, or the words
    # that set a topic apart (found in that topic only) are dropped
    vectorizer = CountVectorizer(
        stop_words=_stop_words(stop_words),
        ngram_range=(1, 2),
        min_df=1,
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
    )
    model = BERTopic(
        umap_model=dim,
        hdbscan_model=cluster,
        vectorizer_model=vectorizer,
        top_n_words=TOP_WORDS,
        calculate_probabilities=False,
        verbose=False,
    )
    texts = list(texts)
    fitted, _ = model.fit_transform([texts[i] for i in fit], embeddings[fit])
    topics = np.empty(n_all, dtype=int)
    topics[fit] = fitted
    rest = np.setdiff1d(np.arange(n_all), fit)
    if len(rest):
        # in fixed chunks, so that the assignments are the same here and on Dask
        chunks = [rest[k : k + ASSIGN_CHUNK] for k in range(0, len(rest), ASSIGN_CHUNK)]
        assign = partial(_assign, model=model)
        parts = [([texts[i] for i in c], embeddings[c]) for c in chunks]
        topics[rest] = np.concatenate(
            map_chunks(assign, parts, desc="assigning topics", unit=f"× {ASSIGN_CHUNK} works")
        )
    topics = topics.tolist()
    seconds = time.perf_counter() - t0
    rows = []
    for tid in sorted(set(topics)):
        words = [w for w, _ in (model.get_topic(tid) or []) if w][:TOP_WORDS]
        rows.append(
            {
                "topic": int(tid),
                "size": int(sum(1 for t in topics if t == tid)),
                "words": ", ".join(words),
                "label": "outliers" if tid == -1 else f"{tid}: " + " / ".join(words[:3]),
            }
        )
    table = pd.DataFrame(rows, columns=["topic", "size", "words", "label"])
    assignments = pd.DataFrame({"work_id": list(work_ids), "topic": [int(t) for t in topics]})
    return TopicModel(
        config,
        seed,
        assignments,
        table,
        seconds,
        {
            "documents": n_all,
            "fitted_on": n,
            "neighbours": neighbours,
            "topics": int((table["topic"] >= 0).sum()),
            "outliers": int(sum(1 for t in topics if t == -1)),
        },
    )


def _assign(part: tuple[list[str], np.ndarray], *, model) -> np.ndarray:
    """The topics a fitted BERTopic model gives one chunk of (texts, embeddings)."""
    texts, embeddings = part
    assigned, _ = model.transform(texts, embeddings)
    return np.asarray(assigned, dtype=int)


def _refit(seed: int, **kwargs) -> TopicModel:
    """:func:`fit_topics` with ``seed`` (one refit of the stability check, here or on Dask)."""
    return fit_topics(seed=seed, **kwargs)


def topic_stability(
    work_ids: Sequence[str],
    texts: Sequence[str],
    *,
    seeds: Sequence[int] = (1, 2, 3, 4, 5),
    embeddings: np.ndarray | None = None,
    config: str | None = None,
    first: TopicModel | None = None,
    stop_words: Iterable[str] = (),
    sample: int | None = None,
    neighbours: str | None = None,
) -> pd.DataFrame:
    """Refit with each seed; adjusted Rand index of each seed's topics against the first's.

    ``first``: the model already fitted with ``seeds[0]`` (its configuration and neighbour
    search are used), so it is not fitted again. ``sample`` as in :func:`fit_topics`: each
    seed draws its own sample, so the index measures the sample's share in the topics too.
    """
    if first is not None:
        if first.seed != seeds[0]:
            raise SlrError(f"the first model was fitted with seed {first.seed}, not {seeds[0]}")
        config = first.config
        neighbours = first.info["neighbours"] or None
    if embeddings is None:
        embeddings = embed(list(texts))
    fits = [first] if first is not None else []
    refit = partial(
        _refit,
        work_ids=list(work_ids),
        texts=list(texts),
        embeddings=embeddings,
        config=config,
        stop_words=list(stop_words),
        sample=sample,
        neighbours=neighbours,
    )
    fits += map_chunks(refit, list(seeds[len(fits) :]), desc="topic stability", unit="fits")
    base = fits[0].assignments["topic"].to_numpy()
    return pd.DataFrame(
        {
            "seed": list(seeds),
            "topics": [f.info["topics"] for f in fits],
            "outliers": [f.info["outliers"] for f in fits],
            "ari_vs_first": [adjusted_rand_score(base, f.assignments["topic"]) for f in fits],
        }
    )


def topic_theme_table(
    model: TopicModel, codes: pd.DataFrame, themes: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Topics × codebook themes.

    Returns the ``topic_themes`` table (every topic and theme: how many of the topic's works
    carry the theme) and the topics with their main themes (those on half of their works or
    more) and whether each is a *candidate new theme* (no theme on half of its works).
    """
    a = model.assignments
    tagged = codes[["work_id", "theme_id"]].drop_duplicates()
    merged = a.merge(tagged, on="work_id", how="left")
    counts = (
        merged.dropna(subset=["theme_id"])
        .groupby(["topic", "theme_id"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(themes), fill_value=0)
    )
    counts = counts.reindex(model.topics["topic"], fill_value=0)
    counts.index.name, counts.columns.name = "topic", "theme_id"
    topics = model.topics.set_index("topic")
    share = counts.div(topics["size"], axis=0)
    topics["main_themes"] = [
        ", ".join(share.loc[t][share.loc[t] >= 0.5].sort_values(ascending=False).index)
        for t in topics.index
    ]
    topics["candidate_new_theme"] = (topics["main_themes"] == "") & (topics.index >= 0)
    return counts.stack().rename("works").reset_index(), topics.reset_index()


def compute_topics(
    protocol: Protocol, works: pd.DataFrame, included: list[str], codes: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """BERTopic on the included works: assignments, topic words, topic × theme (from the tags
    in force, ``codes``), stability over five seeds. Empty below four included works."""
    if len(included) < 4:
        return {}
    by_id = works.set_index("work_id")
    words = protocol.function_words()
    texts = [work_text(by_id.loc[i], words) for i in included]
    stop_words = protocol.coding.topic_stop_words
    vectors = embed(texts, cache=ReviewPaths.of(protocol).embedding_cache)
    seed = protocol.topics_seed
    sample = protocol.coding.topics_sample
    model = fit_topics(
        included, texts, seed=seed, embeddings=vectors, stop_words=stop_words, sample=sample
    )
    assignments = model.assignments.merge(model.topics[["topic", "label"]], on="topic")
    cross, described = topic_theme_table(model, codes, [t.id for t in protocol.codebook])
    stability = topic_stability(
        included,
        texts,
        seeds=[seed + k for k in range(5)],
        embeddings=vectors,
        first=model,
        stop_words=stop_words,
        sample=sample,
    )
    info = described.assign(
        config=model.config,
        seed=seed,
        fitted_on=model.info["fitted_on"],
        neighbours=model.info["neighbours"],
    )[TOPIC_INFO.names]
    return {
        "topics": assignments,
        "topic_info": info,
        "topic_themes": cross,
        "topic_stability": stability,
    }

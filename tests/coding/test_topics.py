"""Topics: seeded reruns are identical, the small-corpus path, the topic × theme table."""

import sys

import numpy as np
import pandas as pd
import pytest

from slr.coding.topics import fit_topics, topic_stability, topic_theme_table, work_text
from slr.errors import SlrError

pytest.importorskip("bertopic", reason="slr[topics] is not installed")

SUBJECTS = {
    "tourism": "homestay tourism village visitors guides ecotourism attraction",
    "finance": "microfinance savings loan revolving fund credit arisan",
    "digital": "online marketplace social media digital marketing ecommerce",
}


def _corpus(n_per: int, seed: int = 0):
    """Texts about three subjects, with embeddings clustered by subject (no model needed)."""
    rng = np.random.default_rng(seed)
    ids, texts, vecs, truth = [], [], [], []
    centres = np.eye(3, 16) * 3
    for k, (name, words) in enumerate(SUBJECTS.items()):
        w = words.split()
        for i in range(n_per):
            pick = rng.choice(w, 5, replace=False)
            ids.append(f"{name}{i}")
            texts.append(f"A study of {' '.join(pick)} in rural Java, case {i}.")
            v = centres[k] + rng.normal(0, 0.3, 16)
            vecs.append(v / np.linalg.norm(v))
            truth.append(k)
    return ids, texts, np.array(vecs, dtype=np.float32), truth


def test_small_corpus_gets_meaningful_topics_not_outliers():
    ids, texts, vecs, truth = _corpus(10)  # 30 documents
    model = fit_topics(ids, texts, seed=3, embeddings=vecs)
    assert model.config == "pca-kmeans"
    assert model.info["outliers"] == 0 and model.info["topics"] >= 2
    # every topic is dominated by one subject, and its words name that subject
    a = model.assignments.assign(subject=truth)
    for tid, group in a.groupby("topic"):
        top = group["subject"].value_counts(normalize=True).iloc[0]
        assert top >= 0.8
        subject = list(SUBJECTS)[group["subject"].mode()[0]]
        words = model.topics.set_index("topic").loc[tid, "words"]
        assert any(w in words for w in SUBJECTS[subject].split())


def test_same_seed_same_topics_across_runs_umap_hdbscan():
    ids, texts, vecs, _ = _corpus(40)  # 120 documents, density clustering forced
    a = fit_topics(ids, texts, seed=7, embeddings=vecs, config="umap-hdbscan")
    b = fit_topics(ids, texts, seed=7, embeddings=vecs, config="umap-hdbscan")
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    pd.testing.assert_frame_equal(a.topics, b.topics)
    assert a.info["topics"] >= 2


def test_a_large_corpus_is_fitted_on_a_sample_and_the_rest_assigned():
    ids, texts, vecs, truth = _corpus(80)  # 240 documents; fitted on 90 of them
    a = fit_topics(ids, texts, seed=5, embeddings=vecs, sample=90, config="pca-kmeans")
    b = fit_topics(ids, texts, seed=5, embeddings=vecs, sample=90, config="pca-kmeans")
    assert a.info["fitted_on"] == 90 and a.info["documents"] == 240
    assert list(a.assignments["work_id"]) == ids  # every work has a topic, in order
    assert int(a.topics["size"].sum()) == 240
    pd.testing.assert_frame_equal(a.assignments, b.assignments)  # the seed draws the sample
    # the assigned works land with their subject's fitted works
    together = a.assignments.assign(subject=truth).groupby("topic")["subject"].nunique()
    assert (together == 1).all()
    whole = fit_topics(ids, texts, seed=5, embeddings=vecs, config="pca-kmeans")
    assert whole.info["fitted_on"] == 240
    with pytest.raises(SlrError, match="too small"):
        fit_topics(ids, texts, seed=5, embeddings=vecs, sample=3)


def test_umap_neighbours_exact_below_its_threshold_and_nn_descent_from_it(monkeypatch):
    """Below NN_DESCENT_FROM placed works UMAP compares all pairs; from it, its nearest-neighbour
    index (seeded: reruns are identical), which the stability refits inherit; the choice is
    recorded."""
    from slr.coding import topics

    ids, texts, vecs, truth = _corpus(50)  # 150 documents
    umap = {"seed": 7, "embeddings": vecs, "sample": 100, "config": "umap-hdbscan"}
    assert fit_topics(ids, texts, **umap).info["neighbours"] == "exact"
    monkeypatch.setattr(topics, "NN_DESCENT_FROM", 150)
    a = fit_topics(ids, texts, **umap)
    b = fit_topics(ids, texts, **umap, neighbours="nn-descent")
    assert a.info["neighbours"] == "nn-descent" and a.info["topics"] >= 2
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    together = a.assignments.assign(subject=truth).query("topic >= 0")
    assert (together.groupby("topic")["subject"].nunique() == 1).all()
    monkeypatch.setattr(topics, "NN_DESCENT_FROM", 4096)  # the refits take the first's search
    refits = []
    monkeypatch.setattr(topics, "fit_topics", lambda **kw: refits.append(kw) or fit_topics(**kw))
    stability = topic_stability(ids, texts, seeds=[7, 8], embeddings=vecs, first=a, sample=100)
    assert len(stability) == 2 and stability["ari_vs_first"].iloc[1] > 0.5
    assert [kw["neighbours"] for kw in refits] == ["nn-descent"]
    pca = fit_topics(ids, texts, seed=7, embeddings=vecs, config="pca-kmeans")
    assert pca.info["neighbours"] == ""  # PCA has none
    with pytest.raises(SlrError, match="unknown neighbour search 'kd-tree'; valid options"):
        fit_topics(ids, texts, seed=7, embeddings=vecs, neighbours="kd-tree")


def test_stability_reports_ari_per_seed():
    ids, texts, vecs, _ = _corpus(10)
    s = topic_stability(ids, texts, seeds=(1, 2, 3), embeddings=vecs)
    assert list(s["seed"]) == [1, 2, 3] and s["ari_vs_first"].iloc[0] == 1.0
    assert (s["ari_vs_first"] > 0.5).all()  # three well-separated subjects


def test_topic_theme_table_flags_topics_without_themes():
    ids, texts, vecs, truth = _corpus(10)
    model = fit_topics(ids, texts, seed=3, embeddings=vecs)
    fin = [i for i, t in zip(ids, truth, strict=True) if t == 1]
    codes = pd.DataFrame({"work_id": fin, "theme_id": ["S05"] * len(fin)})
    counts, topics = topic_theme_table(model, codes, ["S05", "P06"])
    assert list(counts.columns) == ["topic", "theme_id", "works"]
    assert len(counts) == 2 * len(model.topics)  # every topic × theme pair
    s05 = counts[counts["theme_id"] == "S05"].set_index("topic")["works"]
    fin_topics = set(model.assignments.set_index("work_id").loc[fin, "topic"])
    for r in topics.itertuples():
        if r.topic in fin_topics:
            assert "S05" in r.main_themes and not r.candidate_new_theme
        else:
            assert r.candidate_new_theme and s05[r.topic] == 0


def test_work_text_prefers_the_english_version_and_falls_back_to_keywords():
    bilingual = {
        "title": "Peran koperasi di desa",
        "title_alt": "The role of cooperatives in the village",
        "abstract": "Penelitian ini membahas peran koperasi dalam ekonomi desa yang kuat.",
        "abstract_alt": "This study examines the role of the cooperative in the village economy.",
        "keywords": ["koperasi"],
    }
    words = {"en": frozenset({"the", "of", "in", "this"}), "id": frozenset({"ini", "di", "yang"})}
    assert work_text(bilingual, words).startswith(
        "The role of cooperatives in the village. This study"
    )
    no_abstract = {"title": "Arisan", "abstract": None, "keywords": ["savings", "women"]}
    assert work_text(no_abstract, words) == "Arisan. savings; women"


def test_bad_input_and_missing_dependency(monkeypatch):
    with pytest.raises(SlrError, match="at least 4 documents"):
        fit_topics(["a"], ["x"], embeddings=np.zeros((1, 4)))
    with pytest.raises(SlrError, match="valid options: umap-hdbscan, pca-kmeans"):
        fit_topics(list("abcd"), list("abcd"), embeddings=np.eye(4), config="lda")
    monkeypatch.setitem(sys.modules, "bertopic", None)
    with pytest.raises(SlrError, match=r"pip install 'slr\[topics\]'"):
        fit_topics(list("abcd"), list("abcd"), embeddings=np.eye(4))

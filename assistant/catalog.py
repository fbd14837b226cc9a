"""The catalog: documents, chunks, facts and checks in SQL, one transaction per document.

It is the source of truth: a vector in Chroma counts only if its chunk is in the catalog, so a
crash between the two writes leaves the old version or the new one, never a mix. Plain SQL,
so the same schema can move to a server database behind this one class.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ingest.types import CheckResult, Chunk, Document, Fact

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, kind TEXT, agency TEXT, year INTEGER,
    format TEXT, problems TEXT DEFAULT '[]', ingested_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER, section TEXT, text TEXT,
    chunk_type TEXT, text_hash TEXT
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS facts (
    doc_id TEXT NOT NULL, tbl TEXT, row_key TEXT, row_path TEXT, col TEXT, value REAL, raw TEXT,
    unit TEXT, ordinal INTEGER
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id, tbl, row_key);
CREATE TABLE IF NOT EXISTS checks (
    doc_id TEXT NOT NULL, rule TEXT, ok INTEGER, message TEXT, expected REAL, found REAL, row TEXT
);
CREATE INDEX IF NOT EXISTS checks_doc ON checks(doc_id);
CREATE TABLE IF NOT EXISTS embed_cache (
    model TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text_hash)
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
INSERT OR IGNORE INTO agencies(canonical) SELECT DISTINCT agency FROM documents WHERE agency <> '';
INSERT OR IGNORE INTO agency_names(name, canonical, origin)
    SELECT DISTINCT agency, agency, 'canonical' FROM documents WHERE agency <> '';
"""


class Catalog:
    """SQLite-backed catalog. Thread-safe for the app's worker threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(documents)")}
        if "parser_version" not in columns:
            self._conn.execute("ALTER TABLE documents ADD COLUMN parser_version INTEGER DEFAULT 0")
        with self._conn:
            self._conn.executescript(BACKFILL_AGENCIES)
        self._lock = threading.RLock()

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
        with self._lock, self._conn:
            for old in replaces:
                self._delete(old)
            self._conn.execute(
                "INSERT OR REPLACE INTO documents(doc_id, source, title, kind, agency, year, format, problems,"
                " parser_version) VALUES (?,?,?,?,?,?,?,?,?)",
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
            self._conn.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?)",
                [
                    (c.chunk_id, c.doc_id, c.ordinal, c.section, c.text, c.chunk_type, c.text_hash)
                    for c in chunks
                ],
            )
            self._conn.executemany(
                "INSERT INTO facts VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (f.doc_id, f.table, f.row_key, f.row_path, f.column, f.value, f.raw, f.unit, f.ordinal)
                    for f in facts
                ],
            )
            self._conn.executemany(
                "INSERT INTO checks VALUES (?,?,?,?,?,?,?)",
                [
                    (document.doc_id, c.rule, int(c.ok), c.message_zh, c.expected, c.found, c.row)
                    for c in checks
                ],
            )
            self._bump_generation()

    def delete_document(self, doc_id: str) -> None:
        with self._lock, self._conn:
            self._delete(doc_id)
            self._bump_generation()

    def _delete(self, doc_id: str) -> None:
        for table in ("chunks", "facts", "checks", "documents"):
            self._conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))

    def _bump_generation(self) -> None:
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        )

    def record_agency(self, canonical: str, names: dict[str, str]) -> None:
        """Record an agency and names of it ({name: origin}); a name already filed stays where it is."""
        with self._lock, self._conn:
            self._conn.execute("INSERT OR IGNORE INTO agencies(canonical) VALUES (?)", (canonical,))
            self._conn.executemany(
                "INSERT OR IGNORE INTO agency_names(name, canonical, origin) VALUES (?,?,?)",
                [*((n, canonical, o) for n, o in names.items()), (canonical, canonical, "canonical")],
            )

    def rename_agency(self, old: str, new: str, origin: str = "canonical", pin: bool = False) -> list[str]:
        """File agency `old` and all its names and documents under `new`, atomically; `old` stays a
        name of `new`. `pin` keeps `new` canonical against later, better-ranked names (a staff merge).
        Returns the ids of the documents renamed."""
        with self._lock, self._conn:
            doc_ids = [
                row[0] for row in self._conn.execute("SELECT doc_id FROM documents WHERE agency = ?", (old,))
            ]
            self._conn.execute("INSERT OR IGNORE INTO agencies(canonical) VALUES (?)", (new,))
            if pin:
                self._conn.execute("UPDATE agencies SET pinned = 1 WHERE canonical = ?", (new,))
            if old != new:
                self._conn.execute(
                    "UPDATE agencies SET pinned = MAX(pinned, (SELECT pinned FROM agencies WHERE canonical = ?))"
                    " WHERE canonical = ?",
                    (old, new),
                )
                self._conn.execute("UPDATE agency_names SET canonical = ? WHERE canonical = ?", (new, old))
                self._conn.execute("DELETE FROM agencies WHERE canonical = ?", (old,))
                self._conn.execute("UPDATE documents SET agency = ? WHERE agency = ?", (new, old))
            self._conn.executemany(
                "INSERT OR IGNORE INTO agency_names(name, canonical, origin) VALUES (?,?,?)",
                [(old, new, origin), (new, new, "canonical")],
            )
            self._bump_generation()
        return doc_ids

    # ------------------------------------------------------------------ reads

    def agencies(self) -> dict[str, dict[str, str]]:
        """Every agency: {canonical: {name: origin}} (the canonical name among its names)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT a.canonical, n.name, n.origin FROM agencies a"
                " LEFT JOIN agency_names n ON n.canonical = a.canonical ORDER BY a.canonical, n.name"
            ).fetchall()
        out: dict[str, dict[str, str]] = {}
        for canonical, name, origin in rows:
            names = out.setdefault(canonical, {canonical: "canonical"})
            if name:
                names[name] = origin or ""
        return out

    def pinned_agencies(self) -> set[str]:
        """Agencies whose canonical name a staff member chose (a merge's `keep`)."""
        with self._lock:
            return {row[0] for row in self._conn.execute("SELECT canonical FROM agencies WHERE pinned = 1")}

    def agency_of_name(self, name: str) -> str | None:
        """The canonical agency a name is filed under, if any."""
        with self._lock:
            row = self._conn.execute("SELECT canonical FROM agency_names WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def generation(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def documents(self) -> list[Document]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc_id, source, title, kind, agency, year, format FROM documents ORDER BY source"
            ).fetchall()
        return [Document(*row) for row in rows]

    def is_empty(self) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is None

    def document(self, doc_id: str) -> Document | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc_id, source, title, kind, agency, year, format FROM documents WHERE doc_id = ?",
                (doc_id,),
            ).fetchone()
        return Document(*row) if row else None

    def parser_version(self, doc_id: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT parser_version FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
        return int(row[0] or 0) if row else 0

    def counts(self, doc_id: str) -> tuple[int, int]:
        """How many chunks and facts one document has."""
        with self._lock:
            chunks = self._conn.execute("SELECT COUNT(*) FROM chunks WHERE doc_id = ?", (doc_id,)).fetchone()
            facts = self._conn.execute("SELECT COUNT(*) FROM facts WHERE doc_id = ?", (doc_id,)).fetchone()
        return int(chunks[0]), int(facts[0])

    def documents_by_source(self, source: str) -> list[Document]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc_id, source, title, kind, agency, year, format FROM documents WHERE source = ?",
                (source,),
            ).fetchall()
        return [Document(*row) for row in rows]

    def problems(self, doc_id: str) -> list[str]:
        with self._lock:
            row = self._conn.execute("SELECT problems FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def chunks(self, doc_ids: Iterable[str] | None = None) -> list[Chunk]:
        """All live chunks (optionally of some documents), with their document's metadata."""
        sql = (
            "SELECT c.chunk_id, c.doc_id, d.source, d.title, d.kind, c.section, c.text, d.agency, d.year,"
            " c.chunk_type, c.ordinal FROM chunks c JOIN documents d ON c.doc_id = d.doc_id"
        )
        params: list[str] = []
        if doc_ids is not None:
            ids = list(doc_ids)
            if not ids:
                return []
            sql += f" WHERE c.doc_id IN ({','.join('?' * len(ids))})"
            params = ids
        sql += " ORDER BY d.source, c.ordinal"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_chunk_from_row(row) for row in rows]

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        sql = (
            "SELECT c.chunk_id, c.doc_id, d.source, d.title, d.kind, c.section, c.text, d.agency, d.year,"
            " c.chunk_type, c.ordinal FROM chunks c JOIN documents d ON c.doc_id = d.doc_id"
            f" WHERE c.chunk_id IN ({','.join('?' * len(chunk_ids))})"
        )
        with self._lock:
            rows = self._conn.execute(sql, chunk_ids).fetchall()
        return {row[0]: _chunk_from_row(row) for row in rows}

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._conn.execute("SELECT chunk_id FROM chunks")}

    def facts(self, doc_id: str, table: str | None = None) -> list[Fact]:
        sql = "SELECT doc_id, tbl, row_key, row_path, col, value, raw, unit, ordinal FROM facts WHERE doc_id = ?"
        params: list[str] = [doc_id]
        if table:
            sql += " AND tbl = ?"
            params.append(table)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY ordinal", params).fetchall()
        return [Fact(*row) for row in rows]

    def checks(self, doc_id: str) -> list[CheckResult]:
        with self._lock:
            rows = self._conn.execute(
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
                rows = self._conn.execute(
                    f"SELECT text_hash, vector FROM embed_cache WHERE model = ? AND text_hash IN "
                    f"({','.join('?' * len(part))})",
                    [model, *part],
                ).fetchall()
                for text_hash, blob in rows:
                    out[text_hash] = np.frombuffer(blob, dtype=np.float32).tolist()
        return out

    def cache_vectors(self, model: str, items: dict[str, list[float]]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embed_cache VALUES (?,?,?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _chunk_from_row(row: tuple) -> Chunk:
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
    )
    chunk.__dict__["_id"] = row[0]
    return chunk

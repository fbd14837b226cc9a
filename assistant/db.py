"""The catalog's database connection: embedded SQLite (the default) or PostgreSQL (several machines).

Both speak the same SQL here. Statements are written once, with `?` placeholders and the
upsert forms both databases share (`INSERT … ON CONFLICT … DO NOTHING / DO UPDATE`); the
PostgreSQL connection turns `?` into psycopg's `%s`. Column types that differ (`BLOB`) are
spelled per database by `column_type`. One connection per process behind a lock, like the
SQLite catalog always had: the catalog's statements are short and the app is read-mostly.

psycopg 3 and not SQLAlchemy: the catalog is a few dozen plain statements already, so a thin
connection class with two implementations is smaller than a second query language, and the
catalog's transactions stay the explicit commit points they are.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class Rows(Protocol):
    """What a statement returns: rows to fetch (both sqlite3 and psycopg cursors are this)."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int) -> list[Any]: ...


class Database:
    """A connection to the catalog's database, shared by the app's threads (one lock).

    `execute` and `executemany` outside `transaction()` commit at once; inside it they commit
    together at the end of the block, or not at all when it raises.
    """

    dialect = ""

    def __init__(self) -> None:
        self.lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        raise NotImplementedError
        yield self

    def columns(self, table: str) -> set[str]:
        """The column names of a table (empty when the table does not exist)."""
        raise NotImplementedError

    def column_type(self, portable: str) -> str:
        """A column type as this database spells it (`BLOB` is `BYTEA` in PostgreSQL)."""
        return portable

    def tables(self) -> list[str]:
        """The names of the tables in the catalog's schema."""
        raise NotImplementedError

    def executescript(self, script: str) -> None:
        """Run `;`-separated statements without parameters, in one transaction."""
        self.create_if_absent(split_statements(script))

    def create_if_absent(self, statements: Iterable[str]) -> None:
        """Run CREATE … IF NOT EXISTS statements in one transaction, under the schema lock."""
        with self.transaction():
            self.lock_schema()
            for statement in statements:
                self.execute(statement)

    def lock_schema(self) -> None:
        """Inside a transaction: wait for any other process creating or migrating the schema.
        (SQLite: the write transaction already holds the file's only write lock.)"""

    def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    """The embedded default: one SQLite file in the data dir, WAL mode."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self.lock:
            return self._conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock:
            self._conn.executemany(sql, [tuple(r) for r in rows])

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self.lock:
            if self._depth:  # nested: part of the enclosing transaction
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def columns(self, table: str) -> set[str]:
        return {row[1] for row in self.execute(f"PRAGMA table_info({table})").fetchall()}

    def tables(self) -> list[str]:
        rows = self.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        return [row[0] for row in rows if not row[0].startswith("sqlite_")]

    def close(self) -> None:
        with self.lock:
            self._conn.close()


class PostgresDatabase(Database):
    """A PostgreSQL server shared by app processes on several machines (psycopg 3, autocommit
    outside `transaction()`, so every read sees what other processes committed)."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        import psycopg

        self.url = url
        self._conn = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self.lock:
            return self._conn.execute(_pg_sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock, self._conn.cursor() as cursor:
            cursor.executemany(_pg_sql(sql), [tuple(r) for r in rows])

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self.lock, self._conn.transaction():
            yield self

    def columns(self, table: str) -> set[str]:
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ?",
            (table,),
        ).fetchall()
        return {row[0] for row in rows}

    def column_type(self, portable: str) -> str:
        return {"BLOB": "BYTEA"}.get(portable.upper(), portable)

    def tables(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE'"
        ).fetchall()
        return sorted(row[0] for row in rows)

    def lock_schema(self) -> None:
        """Inside a transaction: wait for any other process creating or migrating the schema.
        Needed because CREATE … IF NOT EXISTS is not safe against itself here: two sessions can
        both find an index absent, and the second then fails on pg_class's unique index."""
        self.execute("SELECT pg_advisory_xact_lock(4186620117)")

    def close(self) -> None:
        with self.lock:
            self._conn.close()


@lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (a literal `%` doubled). The catalog's SQL has no `?`
    inside string literals."""
    return sql.replace("%", "%%").replace("?", "%s")


def split_statements(script: str) -> list[str]:
    """The statements of a script (none of the catalog's contain `;` inside a literal)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def is_postgres_url(url: str) -> bool:
    """Whether a database URL names a PostgreSQL server."""
    return url.startswith(POSTGRES_SCHEMES)


def connect(database_url: str, default_path: Path) -> Database:
    """The database a URL names: `postgresql://…` a server, `sqlite:///path` or empty a SQLite
    file (`default_path` when empty)."""
    if not database_url:
        return SqliteDatabase(default_path)
    if is_postgres_url(database_url):
        return PostgresDatabase(database_url)
    m = re.match(r"^sqlite:///(.+)$", database_url)
    if m:
        return SqliteDatabase(Path(m.group(1)))
    raise ValueError(f"GONGKAI_DATABASE_URL {database_url!r} is neither postgresql://… nor sqlite:///…")

"""The question log: what citizens asked, how it was answered, and what they thought of the answer.

One row per answered or refused question (time, question as typed, the agency and years it was
scoped to, status, answer path, answer text, cited sources, latency) and the 👍/👎 and comment a
citizen gave it. Nothing that identifies the asker is stored: no IP address, no cookie or session,
no user agent, no earlier turns of the conversation.

Writes are cheap for the answer: `record` queues the row and returns its id at once; one writer
thread inserts queued rows in batches. Reads (`entries`, `frequent`, `feedback`) wait for the
queue first, so what was recorded is what they see. Rows older than `days` are deleted at start
and then at most once an hour while the log is written.

The SQL is portable (plain CREATE TABLE/INDEX IF NOT EXISTS, INSERT, UPDATE, DELETE, SELECT with
`?` parameters; times as ISO-8601 UTC text, which sorts and compares as time) and reaches the
database through one narrow interface, `LogDatabase`, so the log lives in the catalog's
database whichever it is: the SQLite file in the data dir, or the catalog's PostgreSQL server.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from assistant.db import SqliteDatabase

log = logging.getLogger(__name__)

STATUSES = ("all", "not_found", "answered", "down", "up", "rated")
PATHS = ("facts", "retrieval", "check", "not_found", "llm")
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 1000
PURGE_EVERY_S = 3600.0
FLUSH_TIMEOUT_S = 10.0

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS question_log ("
    " id TEXT PRIMARY KEY, asked_at TEXT NOT NULL, question TEXT NOT NULL, norm TEXT NOT NULL,"
    " agency TEXT NOT NULL DEFAULT '', years TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,"
    " path TEXT NOT NULL, answer TEXT NOT NULL DEFAULT '', sources TEXT NOT NULL DEFAULT '[]',"
    " latency_ms REAL, rating TEXT, comment TEXT, rated_at TEXT)",
    "CREATE INDEX IF NOT EXISTS question_log_time ON question_log(asked_at)",
    "CREATE INDEX IF NOT EXISTS question_log_norm ON question_log(norm)",
)
COLUMNS = "id, asked_at, question, agency, years, status, path, answer, sources, latency_ms, rating, comment"
INSERT = (
    "INSERT INTO question_log(id, asked_at, question, norm, agency, years, status, path, answer, sources,"
    " latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_NOT_WORD = re.compile(r"[\s\W_]+", re.UNICODE)


class LogDatabase(Protocol):
    """All the log needs of a database: create its tables (under the schema lock, so workers
    starting together do it once), run one statement with `?` parameters (committed at once) and
    fetch its rows. The catalog's `assistant.db` connections and `SqliteLogDatabase` are this."""

    def create_if_absent(self, statements: Iterable[str]) -> None: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...


class SqliteLogDatabase:
    """The log's own connection to the catalog's SQLite file (autocommit, WAL), so the writer
    thread never waits on the catalog's lock."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteDatabase(path)  # the catalog's own SQLite setup, on a connection of its own

    def create_if_absent(self, statements: Iterable[str]) -> None:
        self._db.create_if_absent(statements)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; its rows are fetched before the lock is released."""
        with self._db.lock:
            return _Fetched(self._db.execute(sql, params).fetchall())


@dataclass
class _Fetched:
    rows: list[Any]

    def fetchall(self) -> list[Any]:
        return self.rows

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None


@dataclass
class LogEntry:
    """One logged question, as the staff area and the admin API show it."""

    id: str
    time: str  # ISO-8601 UTC, e.g. 2026-12-01T08:30:05.123Z
    question: str
    agency: str  # the agencies the question was scoped to, joined by 、 ('' = none)
    years: list[int]
    status: str  # answered | not_found
    path: str  # facts | retrieval | check | not_found | llm
    answer: str
    sources: list[dict[str, str]] = field(default_factory=list)  # [{"source", "section"}]
    latency_ms: float | None = None
    rating: str | None = None  # up | down
    comment: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The admin API's row: id, time, question, agency, year, status, path, rating, comment,
        sources, and also years (all of them), answer and latency_ms."""
        return {
            "id": self.id,
            "time": self.time,
            "question": self.question,
            "agency": self.agency or None,
            "year": self.years[0] if len(self.years) == 1 else None,
            "years": self.years,
            "status": self.status,
            "path": self.path,
            "rating": self.rating,
            "comment": self.comment,
            "sources": self.sources,
            "answer": self.answer,
            "latency_ms": self.latency_ms,
        }


@dataclass
class FrequentQuestion:
    """A question and its close variants (same words, punctuation and case aside), counted."""

    question: str  # one wording of it, as typed
    count: int
    not_found: int
    down: int
    last_time: str


@dataclass
class LogFilter:
    """Which entries to list: status (see STATUSES), agency (part of the name), date range (ISO
    dates, inclusive, UTC), at most `limit` rows, newest first."""

    status: str = "all"
    agency: str = ""
    since: str = ""
    until: str = ""
    limit: int = 200

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause (possibly empty) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.status == "not_found":
            clauses.append("status = 'not_found'")
        elif self.status == "answered":
            clauses.append("status = 'answered'")
        elif self.status in RATINGS:
            clauses.append("rating = ?")
            params.append(self.status)
        elif self.status == "rated":
            clauses.append("rating IS NOT NULL")
        if self.agency.strip():
            clauses.append("agency LIKE ?")
            params.append(f"%{self.agency.strip()}%")
        if self.since:
            clauses.append("asked_at >= ?")
            params.append(f"{self.since}T00:00:00.000Z")
        if self.until:
            clauses.append("asked_at <= ?")
            params.append(f"{self.until}T23:59:59.999Z")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A UTC time as the log stores it: 2026-12-01T08:30:05.123Z (sorts as time)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def normalized(question: str) -> str:
    """The key that groups wordings of one question: lower case, no spaces or punctuation."""
    return _NOT_WORD.sub("", question.lower())


class QuestionLog:
    """The question log over one database; `days` of retention (> 0). Thread-safe."""

    def __init__(self, db: LogDatabase, days: int, clock: Callable[[], datetime] = utc_now) -> None:
        if days <= 0:
            raise ValueError("a question log keeps entries for at least one day (0 = no log at all)")
        self.db = db
        self.days = days
        self.clock = clock
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._last_purge = 0.0
        db.create_if_absent(SCHEMA)
        self.purge()
        atexit.register(self.flush)

    # ------------------------------------------------------------------ writes

    def record(
        self,
        question: str,
        status: str,
        path: str,
        answer: str,
        sources: Sequence[tuple[str, str]] = (),
        agencies: Sequence[str] = (),
        years: Sequence[int] = (),
        latency_ms: float | None = None,
    ) -> str:
        """Queue one entry and return its id (a random 16-hex-digit string) without waiting."""
        entry_id = secrets.token_hex(8)
        cited = [{"source": s, "section": sec} for s, sec in dict.fromkeys(sources)]
        row = (
            entry_id,
            iso(self.clock()),
            question,
            normalized(question),
            "、".join(agencies),
            ",".join(str(y) for y in years),
            status,
            path,
            answer,
            json.dumps(cited, ensure_ascii=False),
            None if latency_ms is None else round(latency_ms, 1),
        )
        self._queue.put(row)
        self._ensure_writer()
        return entry_id

    def feedback(self, entry_id: str, rating: str, comment: str | None = None) -> bool:
        """Store a 👍/👎 (and a comment; None keeps the one given before) on an entry; False when
        there is no such entry. The last rating given counts."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}")
        self.flush()
        if self.db.execute("SELECT 1 FROM question_log WHERE id = ?", (entry_id,)).fetchone() is None:
            return False
        text = (comment or "").strip()[:MAX_COMMENT_CHARS] or None
        self.db.execute(
            "UPDATE question_log SET rating = ?, comment = COALESCE(?, comment), rated_at = ? WHERE id = ?",
            (rating, text, iso(self.clock()), entry_id),
        )
        return True

    def purge(self) -> None:
        """Delete the entries older than the retention period."""
        cutoff = iso(self.clock() - timedelta(days=self.days))
        self.db.execute("DELETE FROM question_log WHERE asked_at < ?", (cutoff,))
        self._last_purge = time.monotonic()

    def flush(self, timeout: float = FLUSH_TIMEOUT_S) -> None:
        """Wait until every queued entry is written (at most `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.002)

    def _ensure_writer(self) -> None:
        if self._writer is not None and self._writer.is_alive():
            return
        with self._start_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_loop, name="question-log", daemon=True)
                self._writer.start()

    def _write_loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                for row in batch:
                    self.db.execute(INSERT, row)
                if time.monotonic() - self._last_purge > PURGE_EVERY_S:
                    self.purge()
            except Exception:  # the log must never take the chat down
                log.exception("question log: %d entries could not be written", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    # ------------------------------------------------------------------ reads

    def get(self, entry_id: str) -> LogEntry | None:
        """One entry by id."""
        self.flush()
        row = self.db.execute(f"SELECT {COLUMNS} FROM question_log WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row else None

    def entries(self, flt: LogFilter | None = None) -> list[LogEntry]:
        """Entries matching the filter, newest first."""
        flt = flt or LogFilter()
        self.flush()
        where, params = flt.where()
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM question_log{where} ORDER BY asked_at DESC, id LIMIT ?",
            [*params, max(1, flt.limit)],
        ).fetchall()
        return [_entry(row) for row in rows]

    def frequent(self, flt: LogFilter | None = None) -> list[FrequentQuestion]:
        """The most frequent questions (wordings that differ only in spaces, punctuation or case
        count as one), with how many of them were not found or rated 👎."""
        flt = flt or LogFilter()
        self.flush()
        where, params = flt.where()
        rows = self.db.execute(
            "SELECT MIN(question), COUNT(*), SUM(CASE WHEN status = 'not_found' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN rating = 'down' THEN 1 ELSE 0 END), MAX(asked_at)"
            f" FROM question_log{where} GROUP BY norm ORDER BY COUNT(*) DESC, MAX(asked_at) DESC LIMIT ?",
            [*params, max(1, flt.limit)],
        ).fetchall()
        return [FrequentQuestion(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0), r[4]) for r in rows]

    def count(self) -> int:
        """How many entries the log holds."""
        self.flush()
        return int(self.db.execute("SELECT COUNT(*) FROM question_log").fetchone()[0])


def _entry(row: Sequence[Any]) -> LogEntry:
    return LogEntry(
        id=row[0],
        time=row[1],
        question=row[2],
        agency=row[3] or "",
        years=[int(y) for y in (row[4] or "").split(",") if y],
        status=row[5],
        path=row[6],
        answer=row[7] or "",
        sources=json.loads(row[8] or "[]"),
        latency_ms=row[9],
        rating=row[10],
        comment=row[11],
    )


def open_question_log(days: int, catalog_path: Path, database_url: str = "") -> QuestionLog | None:
    """The question log in the catalog's database (the SQLite file at `catalog_path`, or the
    PostgreSQL server `database_url` names); None when `days` is 0 (logging off)."""
    if days <= 0:
        return None
    if database_url:
        from assistant.db import connect  # the catalog's connection factory (SQLite or PostgreSQL)

        return QuestionLog(connect(database_url, catalog_path), days)
    return QuestionLog(SqliteLogDatabase(catalog_path), days)


__all__ = [
    "LogDatabase",
    "LogEntry",
    "LogFilter",
    "FrequentQuestion",
    "QuestionLog",
    "SqliteLogDatabase",
    "open_question_log",
]

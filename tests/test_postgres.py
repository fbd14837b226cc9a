"""The catalog on a real PostgreSQL server (GONGKAI_DATABASE_URL), started here in a temp dir.

`initdb` + `pg_ctl` on a free port of 127.0.0.1 (as the `postgres` system user when run as root,
since initdb refuses root); every test gets a database of its own, cloned from one that holds
the bundled corpus's catalog (copied from the session's SQLite catalog by `copy_catalog`). The
store's replace / remove / failure-between-writes tests and the staff API test run here again,
unchanged, against that server, and so do the question log's (its table in the same database).
Skipped when the PostgreSQL binaries are absent.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import REPORTS

PG_TIMEOUT = 60.0


def _pg_bin() -> Path | None:
    """The folder of initdb / pg_ctl / pg_isready: Debian's versioned folder, else the PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "pg_ctl").exists() and Path(folder, "initdb").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster: `start()`, `create_database(name, template)`, `stop()`."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="gongkai-pg-"))  # under /tmp: the postgres user can enter
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            subprocess.run(["useradd", "-r", "postgres"], capture_output=True)  # exists already: fine
            shutil.chown(self.root, user="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=PG_TIMEOUT)

    def start(self) -> None:
        data = self.root / "pg"
        done = self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "gk", "-E", "UTF8")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._run(
            str(self.bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.root / "pg.log"), "start"
        )
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr[-2000:]}{self.log()}")
        deadline = time.monotonic() + PG_TIMEOUT
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not start within {PG_TIMEOUT:.0f} s{self.log()}")

    def log(self) -> str:
        path = self.root / "pg.log"
        return "\n" + path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def url(self, name: str) -> str:
        return f"postgresql://gk@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str, template: str = "template1") -> str:
        """A new database (a copy of `template`); returns its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "pg"), "stop", "-m", "fast")
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """A running throwaway server, or pytest.skip when the binaries (or psycopg) are absent."""
    pytest.importorskip("psycopg")
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bundled_template(postgres, bundled_data_dir) -> str:
    """The name of a database holding the bundled corpus's catalog, copied from the SQLite one."""
    from assistant.catalog import Catalog, copy_catalog

    postgres.create_database("bundled")
    source = Catalog(bundled_data_dir / "gongkai.sqlite")
    target = Catalog(Path("unused"), postgres.url("bundled"))
    copied = copy_catalog(source, target)
    assert copied["documents"] == 12
    assert copied["chunks"] == len(source.chunk_ids()) == len(target.chunk_ids())
    source.close()
    target.close()  # a template may have no open connection
    return "bundled"


@pytest.fixture
def copied_data_dir(postgres, bundled_template, bundled_data_dir, tmp_path, monkeypatch, request) -> Path:
    """Overrides conftest's: a copy of the bundled data dir WITHOUT its SQLite catalog, whose
    catalog lives in a fresh PostgreSQL database named by GONGKAI_DATABASE_URL."""
    target = tmp_path / "data"
    shutil.copytree(bundled_data_dir, target, ignore=shutil.ignore_patterns("gongkai.sqlite*"))
    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:50]
    monkeypatch.setenv("GONGKAI_DATABASE_URL", postgres.create_database(name, bundled_template))
    yield target
    assert not (target / "gongkai.sqlite").exists(), (
        "the catalog must live in PostgreSQL, not in the data dir"
    )


# The store's and the staff API's own tests, run again here over the PostgreSQL catalog.
from test_api import test_admin_json_api, writable_client  # noqa: E402, F401
from test_questionlog import (  # noqa: E402, F401
    client,
    test_ask_gets_an_id_and_feedback_is_stored_and_listed,
    test_filters_frequent_questions_and_csv_export,
)
from test_store import (  # noqa: E402, F401
    test_changed_file_replaces_chunks_vectors_and_facts,
    test_failure_between_writes_keeps_the_old_version,
    test_one_agency_under_two_spellings_is_one_agency,
    test_reingest_unchanged_is_a_noop_without_parsing_or_embedding,
    test_remove_and_list,
)


def test_schema_is_created_on_first_use_and_migrations_recorded(postgres):
    from assistant.catalog import MIGRATIONS, Catalog

    url = postgres.create_database("fresh")
    catalog = Catalog(Path("unused"), url)
    assert catalog.db.dialect == "postgresql"
    assert {"documents", "chunks", "facts", "checks", "embed_cache", "meta", "agencies"} <= set(
        catalog.db.tables()
    )
    version = catalog.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == MIGRATIONS[-1][0]
    assert catalog.is_empty() and catalog.generation() == 0
    state = catalog.state()  # the contents' token (a saved BM25 view is used only under it)
    assert state.startswith("0:")
    again = Catalog(Path("unused"), url)  # a second worker: nothing created twice, nothing lost
    assert again.generation() == 0 and again.state() == state
    again.delete_document("none")  # a write: a new generation, a new token
    assert catalog.state().startswith("1:") and catalog.state() != state
    catalog.close()
    again.close()


def test_a_failed_document_transaction_leaves_nothing(postgres):
    """The catalog write is the commit point of an ingest: a statement failing inside it rolls
    back the document's row, chunks, facts and checks, and the generation stays."""
    from assistant.catalog import Catalog
    from ingest.pipeline import parse_bytes

    path = REPORTS / "平潭综合实验区管委会_2021.txt"
    parsed = parse_bytes(path.read_bytes(), path.name)
    catalog = Catalog(Path("unused"), postgres.create_database("atomic"))
    broken = list(parsed.facts)
    broken.append(broken[0].__class__(*[None] * 9))  # doc_id NOT NULL: fails after the chunks went in
    with pytest.raises(Exception, match="null value"):
        catalog.replace_document(parsed.document, parsed.chunks, broken, parsed.checks, [])
    assert catalog.is_empty() and catalog.chunk_ids() == set() and catalog.generation() == 0

    catalog.replace_document(parsed.document, parsed.chunks, parsed.facts, parsed.checks, ["p"], (), 3)
    assert catalog.generation() == 1
    assert catalog.counts(parsed.document.doc_id) == (len(parsed.chunks), len(parsed.facts))
    assert catalog.parser_version(parsed.document.doc_id) == 3 and catalog.problems(
        parsed.document.doc_id
    ) == ["p"]
    (received,) = [
        f for f in catalog.facts(parsed.document.doc_id, "表三") if (f.row_key, f.column) == ("一", "总计")
    ]
    assert (received.row_path, received.value, received.raw) == (
        "一、本年新收政府信息公开申请数量",
        70.0,
        "70",
    )
    catalog.close()


def test_embedding_cache_round_trips_float32_vectors(postgres):
    import numpy as np

    from assistant.catalog import Catalog

    catalog = Catalog(Path("unused"), postgres.create_database("cache"))
    vector = (np.arange(384, dtype=np.float32) / 7).tolist()
    catalog.cache_vectors("m", {"h1": vector})
    catalog.cache_vectors("m", {"h1": vector})  # the same key again: replaced, not duplicated
    assert catalog.cached_vectors("m", ["h1", "h2"]) == {"h1": vector}
    catalog.close()


def test_workers_starting_together_create_the_schema_once(postgres):
    """Several workers opening the catalog and the question log on a fresh database at the same
    moment: none fails. (PostgreSQL's CREATE … IF NOT EXISTS is not safe against itself: two
    sessions both find no index, and the second fails on pg_class's unique index.)"""
    for round_ in range(3):
        errors, logs, catalogs = _open_together(postgres.create_database(f"together{round_}"), 6)
        assert errors == []
        assert len(logs) == len(catalogs) == 6 and None not in logs
        for catalog in catalogs:
            catalog.close()


def _open_together(url: str, workers: int) -> tuple[list[BaseException], list[object], list]:
    """What `workers` threads starting at one moment got from open_question_log and Catalog."""
    import threading

    from assistant.catalog import Catalog
    from assistant.questionlog import open_question_log

    start = threading.Barrier(workers)
    errors: list[BaseException] = []
    logs: list[object] = []
    catalogs: list[Catalog] = []

    def worker() -> None:
        try:
            start.wait()
            logs.append(open_question_log(30, Path("unused"), url))
            catalogs.append(Catalog(Path("unused"), url))
        except BaseException as error:  # noqa: BLE001 - returned and asserted by the caller
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors, logs, catalogs

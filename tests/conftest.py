"""Shared fixtures: the bundled corpus ingested once per test session, with the real embedder.

Tests that change the store get their own copy of that data dir (a file copy, no re-embedding).
Every test that uses one of these (or another fixture in helpers.SLOW_FIXTURES) is marked `slow`, so
`pytest -m "not slow and not browser"` is the fast subset. Paths live in tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from helpers import REGULATIONS, REPORTS, SLOW_FIXTURES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that needs a slow fixture (helpers.SLOW_FIXTURES), directly or not."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test reads the developer's .env or data dir, and no LLM unless a test sets one."""
    for name in list(os.environ):
        if name.startswith("GONGKAI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def bundled_data_dir(tmp_path_factory) -> Path:
    """A data dir holding the bundled regulations and reports, ingested with the real embedder."""
    from assistant.config import Settings
    from assistant.service import Assistant

    data_dir = tmp_path_factory.mktemp("bundled") / "data"
    assistant = Assistant(Settings(data_dir=data_dir))
    results = assistant.ingest_paths([REGULATIONS, REPORTS])
    assert [r.status for r in results] == ["added"] * 12, [
        (r.source, r.status, r.message_en) for r in results
    ]
    assistant.store.catalog.close()
    return data_dir


@pytest.fixture(scope="session")
def corpus_assistant(bundled_data_dir, tmp_path_factory):
    """A read-only assistant over the bundled corpus (do not ingest or remove through it). It
    holds its own copy of the data dir: the session's SQLite connection never shares a file
    with the CLI and server processes that other tests start on `bundled_data_dir`."""
    from assistant.config import Settings
    from assistant.service import Assistant

    data_dir = tmp_path_factory.mktemp("corpus") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    return Assistant(Settings(data_dir=data_dir))


@pytest.fixture
def copied_data_dir(bundled_data_dir, tmp_path) -> Path:
    """A private copy of the bundled data dir, for tests that write to the store."""
    target = tmp_path / "data"
    shutil.copytree(bundled_data_dir, target)
    return target

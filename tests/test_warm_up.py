"""The start's warm-up: the web app loads in the background what the first question would wait for,
and /api/health says when it is done. No timing is asserted (the machine is shared)."""

from __future__ import annotations

import jieba
from starlette.testclient import TestClient

from app import create_app
from assistant.config import Settings
from assistant.service import Assistant

WAIT_S = 600  # a generous bound on a loaded machine; the test asserts what was loaded, not how fast


def test_the_app_warms_up_at_start_and_health_says_so(copied_data_dir):
    settings = Settings(data_dir=copied_data_dir, log_days=0)
    assistant = Assistant(settings)
    app = create_app(settings, assistant)
    assert TestClient(app).get("/api/health").json() == {"status": "ok", "documents": 12, "warm": False}
    assert assistant._warm_thread is None  # only a started server (its lifespan) warms up

    with TestClient(app) as client:  # runs the lifespan: the warm-up starts in the background
        thread = assistant._warm_thread
        assert thread is not None and thread.name == "gongkai-warm-up"
        thread.join(WAIT_S)
        assert not thread.is_alive()
        assert client.get("/api/health").json() == {"status": "ok", "documents": 12, "warm": True}
        assert assistant.start_warm_up() is thread  # once per assistant

    store = assistant.store
    assert assistant.warm_up_error is None and assistant.warm_up_seconds is not None
    assert store._collection is not None  # chromadb imported, the collection open
    assert store._bm25 is not None and store._bm25_generation == store.catalog.generation()
    assert store._quantities is not None and store._wordings is not None
    assert store._embedder is not None and store.__dict__.get("_query_cache")  # a question embedded
    assert jieba.dt.initialized


def test_no_warm_up_when_it_is_off(copied_data_dir):
    settings = Settings(data_dir=copied_data_dir, log_days=0, warm_up=False)
    assistant = Assistant(settings)
    with TestClient(create_app(settings, assistant)) as client:
        assert client.get("/api/health").json() == {"status": "ok", "documents": 12, "warm": False}
    assert assistant._warm_thread is None and not assistant.warm


def test_a_failed_warm_up_leaves_the_flag_off_and_the_app_answering(copied_data_dir, monkeypatch):
    settings = Settings(data_dir=copied_data_dir, log_days=0)
    assistant = Assistant(settings)

    def broken() -> None:
        raise RuntimeError("glosses unreadable")

    monkeypatch.setattr(assistant.store, "quantity_index", broken)
    assistant.start_warm_up().join(WAIT_S)
    assert not assistant.warm and assistant.warm_up_error == "RuntimeError"
    client = TestClient(create_app(settings, assistant))
    assert client.get("/api/health").json() == {"status": "ok", "documents": 12, "warm": False}


def test_warm_up_of_an_empty_store(tmp_path):
    assistant = Assistant(Settings(data_dir=tmp_path / "data", ingest_bundled=False))
    assert assistant.warm_up() >= 0
    assert assistant.warm and assistant.store._collection is None  # nothing to open yet


def test_freed_memory_goes_back_to_the_system():
    """glibc's malloc_trim is found and called (this machine is glibc Linux)."""
    from assistant.service import release_freed_memory

    assert release_freed_memory() is True

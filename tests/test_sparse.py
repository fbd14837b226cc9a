"""A worker's BM25 index without the wait: tokens kept in the catalog, the built index on disk.

Over a copy of the bundled corpus's data dir: a restarted worker loads the saved index and
tokenizes nothing; an ingest by another process is picked up from the tokens that process
stored, so only its own chunks were ever tokenized; every path ranks exactly as a fresh build.
(That the pick-up is no full build, and scores equal bm25s's: tests/test_bm25_index.py.)
"""

from __future__ import annotations

import json
import shutil

import pytest

import assistant.sparse as sparse
from assistant.retrieval import SearchFilter
from assistant.store import Store
from helpers import REPORTS

QUERY = "小岔乡政务公开领导小组组长"
PT21 = REPORTS / "平潭综合实验区管委会_2021.txt"


@pytest.fixture
def tokenized(monkeypatch) -> list[str]:
    """The texts jieba is asked to tokenize from here on (the real tokenizer still runs)."""
    seen: list[str] = []
    real = sparse.tokenize

    def counting(text: str) -> tuple[str, ...]:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(sparse, "tokenize", counting)
    return seen


def _ranking(store: Store) -> list[tuple[str, float]]:
    return [(h.chunk_id, round(h.score, 5)) for h in store.sparse_search(QUERY, SearchFilter(), 10)]


def test_a_restarted_worker_loads_the_saved_index(copied_data_dir, tokenized):
    shutil.rmtree(copied_data_dir / "bm25", ignore_errors=True)
    first = Store(copied_data_dir)
    built = _ranking(first)
    chunks = len(first.catalog.chunk_ids())
    meta = json.loads((copied_data_dir / "bm25" / "current" / "gongkai.json").read_text(encoding="utf-8"))
    saved = sparse.load_saved(copied_data_dir)
    assert saved is not None and saved[1] is not None and saved[1].state == first.catalog.state()
    assert meta["generation"] == first.catalog.generation() and len(saved[0]) == chunks
    assert tokenized == []  # the ingest stored every chunk's tokens in the catalog

    tokenized.clear()
    restarted = Store(copied_data_dir)
    assert _ranking(restarted) == built
    assert tokenized == []
    assert restarted.term_weights(["小岔乡", "组长"]) == first.term_weights(["小岔乡", "组长"])
    assert built[0][1] > 0 and "罗金彩" in restarted.catalog.chunks_by_id([built[0][0]])[built[0][0]].text


def test_an_ingest_elsewhere_is_picked_up_from_stored_tokens(copied_data_dir, tmp_path, tokenized):
    reader = Store(copied_data_dir)
    before = reader.catalog.generation()
    _ranking(reader)
    changed = tmp_path / PT21.name
    changed.write_text(PT21.read_text(encoding="utf-8").replace("\t70\n", "\t71\n"), encoding="utf-8")

    from assistant.config import Settings
    from assistant.service import Assistant

    writer = Assistant(Settings(data_dir=copied_data_dir))
    tokenized.clear()
    assert writer.ingest_paths([changed])[0].status == "replaced"
    ingested = len(tokenized)
    assert 0 < ingested <= len(writer.store.catalog.chunks([d.doc_id for d in writer.store.documents()]))

    tokenized.clear()
    assert reader.catalog.generation() > before
    picked_up = _ranking(reader)  # the reader notices the new generation and applies the change
    assert tokenized == []
    shutil.rmtree(copied_data_dir / "bm25")
    sparse.tokenizer_fingerprint.cache_clear()
    fresh = Store(copied_data_dir)
    fresh.catalog.db.execute("DELETE FROM token_cache")
    assert _ranking(fresh) == picked_up  # tokens from the cache rank as a build from scratch
    assert len(tokenized) == len({sparse.indexed_text(c) for c in fresh.catalog.chunks()})


def test_a_changed_tokenizer_tokenizes_again(copied_data_dir, monkeypatch, tokenized):
    shutil.rmtree(copied_data_dir / "bm25", ignore_errors=True)
    monkeypatch.setattr(sparse, "tokenizer_fingerprint", lambda: "another-tokenizer")
    store = Store(copied_data_dir)
    _ranking(store)
    assert len(tokenized) == len({sparse.indexed_text(c) for c in store.catalog.chunks()})

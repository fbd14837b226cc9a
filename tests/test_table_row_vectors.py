"""GONGKAI_EMBED_TABLE_ROWS=false: table-row chunks get no vector (a faster ingest); BM25, the catalog
and the facts table still hold them, and the health check expects vectors only for the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.retrieval import SearchFilter
from assistant.service import Assistant
from helpers import REPORTS

REPORT = REPORTS / "彭阳县小岔乡人民政府_2022.txt"  # 49 chunks: 34 table rows, 15 others

pytestmark = pytest.mark.slow  # each test embeds a report with the real embedder (about 20 s on two cores)


def _chunk_types(assistant: Assistant) -> dict[str, str]:
    return {c.chunk_id: c.chunk_type for c in assistant.store.catalog.chunks()}


def test_table_rows_stay_in_bm25_and_the_catalog_without_vectors(tmp_path):
    assistant = Assistant(Settings(data_dir=tmp_path / "data", embed_table_rows=False))
    [result] = assistant.ingest_paths([REPORT])
    assert (result.status, result.chunks, result.facts) == ("added", 49, 200)
    types = _chunk_types(assistant)
    assert sum(t == "table_row" for t in types.values()) == 34
    store = assistant.store
    vector_ids = set(store.collection.get(include=[])["ids"])
    assert len(vector_ids) == 15 and all(types[i] != "table_row" for i in vector_ids)
    assert store.expected_vectors() == 15 and assistant.health_problem() is None

    sparse = store.sparse_search("行政许可 本年处理决定数量", SearchFilter(), 5)
    assert types[sparse[0].chunk_id] == "table_row"  # BM25 still finds the row
    dense = store.dense_search("行政许可 本年处理决定数量", SearchFilter(), 50)
    assert len(dense) == 15 and all(types[h.chunk_id] != "table_row" for h in dense)

    lost = sorted(vector_ids)[:3]
    store.collection.delete(ids=lost)  # a vector the index should have is missing: health says so
    assert "12 vectors for 15 passages" in (assistant.health_problem() or "")


def test_a_replaced_report_loses_its_table_row_vectors(tmp_path):
    data_dir = tmp_path / "data"
    embedded = Assistant(Settings(data_dir=data_dir))
    assert [r.status for r in embedded.ingest_paths([REPORT])] == ["added"]
    assert embedded.store.collection.count() == 49
    embedded.store.catalog.close()

    changed = tmp_path / REPORT.name
    changed.write_bytes(REPORT.read_bytes() + b"\n")  # new bytes, same chunk texts
    skipping = Assistant(Settings(data_dir=data_dir, embed_table_rows=False))
    assert [r.status for r in skipping.ingest_paths([Path(changed)])] == ["replaced"]
    types = _chunk_types(skipping)
    vector_ids = set(skipping.store.collection.get(include=[])["ids"])
    assert len(types) == 49 and len(vector_ids) == 15
    assert all(types[i] != "table_row" for i in vector_ids)

"""GONGKAI_TABLE_ROW_VECTORS: a table row's vector is made from its labels (the default: one embedding
per label across the corpus), from its whole text, or not made (BM25, the catalog and the facts table
still hold the row, and the health check expects vectors only for the other chunks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.retrieval import SearchFilter
from assistant.service import Assistant
from helpers import REPORTS
from ingest.types import Chunk, TableRowVectors, text_hash

REPORT = REPORTS / "彭阳县小岔乡人民政府_2022.txt"  # 49 chunks: 34 table rows, 15 others

pytestmark = pytest.mark.slow  # each test embeds a report with the real embedder (about 20 s on two cores)


def _chunk_types(assistant: Assistant) -> dict[str, str]:
    return {c.chunk_id: c.chunk_type for c in assistant.store.catalog.chunks()}


def test_table_rows_stay_in_bm25_and_the_catalog_without_vectors(tmp_path):
    assistant = Assistant(Settings(data_dir=tmp_path / "data", table_row_vectors="none"))
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


def _replaced_under(tmp_path: Path, table_row_vectors: TableRowVectors) -> Assistant:
    """The report ingested with every row's own vector in Chroma (`text`, as data dirs from before
    shared vectors hold them), then replaced (new bytes, same chunk texts) under another setting."""
    data_dir = tmp_path / "data"
    before = Assistant(Settings(data_dir=data_dir, table_row_vectors="text"))
    assert [r.status for r in before.ingest_paths([REPORT])] == ["added"]
    assert before.store.collection.count() == 49
    before.store.catalog.close()
    changed = tmp_path / REPORT.name
    changed.write_bytes(REPORT.read_bytes() + b"\n")
    after = Assistant(Settings(data_dir=data_dir, table_row_vectors=table_row_vectors))
    assert [r.status for r in after.ingest_paths([Path(changed)])] == ["replaced"]
    types = _chunk_types(after)
    in_chroma = set(after.store.collection.get(include=[])["ids"])
    assert len(types) == 49 and len(in_chroma) == 15
    assert all(types[i] != "table_row" for i in in_chroma)
    return after


def test_a_replaced_report_loses_its_table_row_vectors(tmp_path):
    _replaced_under(tmp_path, "none")


def test_row_vectors_from_labels_are_shared_across_years_and_held_once(tmp_path):
    """Default: a row's vector is its labels' (「表三 …：自然人；…」), without the year and figures, so the
    same row of two years' reports is one embedding, held once by the store and not in Chroma
    (the catalog keeps its key); a figure the row states is still in its text."""
    assistant = Assistant(Settings(data_dir=tmp_path / "data"))
    assert assistant.settings.table_row_vectors == "labels"
    reports = [REPORTS / "平潭综合实验区管委会_2021.txt", REPORTS / "平潭综合实验区管委会_2022.txt"]
    assert [r.status for r in assistant.ingest_paths(reports)] == ["added", "added"]
    store = assistant.store
    chunks = store.catalog.chunks()
    rows = [c for c in chunks if c.chunk_type == "table_row"]
    by_year: dict[int | None, dict[str, Chunk]] = {}
    for row in rows:
        by_year.setdefault(row.year, {})[row.section] = row
    first, second = by_year[2021], by_year[2022]
    shared = sorted(set(first) & set(second))
    assert len(rows) == 68 and len(shared) == 34
    refused = next(s for s in shared if s.endswith("（三）不予公开 / 3.危及“三安全一稳定”"))
    labels = "表三 三、本年度办理结果 / （三）不予公开 / 3.危及“三安全一稳定”：自然人；商业企业；科研机构；社会公益组织；法律服务机构；其他；总计"
    assert first[refused].vector_key == second[refused].vector_key == text_hash(labels)
    assert first[refused].text.startswith("2021年") and second[refused].text.startswith("2022年")
    assert len({row.vector_key for row in rows}) == 34  # one vector per label, for both years

    in_chroma = set(store.collection.get(include=[])["ids"])
    assert in_chroma == {c.chunk_id for c in chunks if c.chunk_type != "table_row"}
    assert store.expected_vectors() == len(in_chroma) == len(chunks) - 68
    assert assistant.health_problem() is None
    held = store._shared_vectors([text_hash(labels)])[text_hash(labels)]
    expected = np.asarray(store.embedder.embed_documents([labels])[0], dtype=np.float32)
    assert float(held @ expected) > 0.999

    question = "不予公开 危及三安全一稳定 自然人"
    narrow = store.dense_search(question, SearchFilter(years=[2022]), 5)  # exact, by id
    assert narrow[0].chunk_id == second[refused].chunk_id
    broad = store.dense_search(question, SearchFilter(), 5)  # no filter: HNSW and the held vectors
    assert [h.chunk_id for h in broad[:2]] == [first[refused].chunk_id, second[refused].chunk_id]
    assert broad[0].score == broad[1].score == pytest.approx(narrow[0].score, abs=1e-6)

    # A shared vector gone from the cache: its rows cannot be found by dense search; health says so.
    store.catalog.db.execute("DELETE FROM embed_cache WHERE text_hash = ?", (text_hash(labels),))
    again = Assistant(Settings(data_dir=tmp_path / "data"))
    assert "1 shared vectors are not in the embedding cache" in (again.health_problem() or "")


def test_rows_with_vectors_of_their_own_leave_chroma_when_their_report_is_replaced(tmp_path):
    """A data dir from before shared vectors (rows embedded one by one into Chroma) keeps working;
    re-ingesting a report replaces its rows' vectors in Chroma by the shared ones."""
    after = _replaced_under(tmp_path, "labels")
    assert after.health_problem() is None
    dense = after.store.dense_search("不予公开 危及三安全一稳定 自然人", SearchFilter(), 3)
    assert _chunk_types(after)[dense[0].chunk_id] == "table_row"

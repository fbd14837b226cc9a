"""Fusion, filters and relevance as pure functions."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval import Hit, SearchFilter, fuse, question_terms
from assistant.store import EXACT_DENSE_MAX
from assistant.text import tokenize
from ingest.types import Chunk


def test_rrf_rewards_agreement_between_rankings():
    dense = [Hit("a", 0.9), Hit("b", 0.8), Hit("c", 0.7)]
    sparse = [Hit("c", 12.0), Hit("b", 11.0), Hit("d", 3.0)]
    fused = fuse([dense, sparse])
    # c: 1/63 + 1/61 edges out b: 1/62 + 1/62; both beat a and d, found by one index only.
    assert [h.chunk_id for h in fused] == ["c", "b", "a", "d"]
    assert abs(fused[1].score - 2 / 62) < 1e-12


def test_rrf_weights_and_ties_are_deterministic():
    fused = fuse([[Hit("x", 1)], [Hit("y", 1)]], weights=[1.0, 2.0])
    assert [h.chunk_id for h in fused] == ["y", "x"]
    tie = fuse([[Hit("b", 1)], [Hit("a", 1)]])
    assert [h.chunk_id for h in tie] == ["a", "b"]


def test_rrf_of_nothing_is_nothing():
    assert fuse([[], []]) == []


def _chunk(agency: str, year: int | None, kind: str = "report") -> Chunk:
    return Chunk(doc_id="d", source="s", title="t", kind=kind, section="", text="", agency=agency, year=year)


def test_filter_by_agency_year_kind():
    flt = SearchFilter(agencies=["平潭综合实验区"], years=[2021, 2022])
    assert flt.accepts(_chunk("平潭综合实验区", 2021))
    assert not flt.accepts(_chunk("平潭综合实验区", 2020))
    assert not flt.accepts(_chunk("彭阳县小岔乡人民政府", 2021))
    assert SearchFilter(kinds=["regulation"]).accepts(_chunk("", None, "regulation"))
    assert SearchFilter().chroma_where() is None
    assert flt.chroma_where() == {
        "$and": [{"agency": {"$in": ["平潭综合实验区"]}}, {"year": {"$in": [2021, 2022]}}]
    }


@pytest.mark.parametrize(
    "flt",
    [
        SearchFilter(),
        SearchFilter(agencies=["平潭综合实验区"], years=[2021, 2022]),
        SearchFilter(agencies=["彭阳县小岔乡人民政府"]),
        SearchFilter(kinds=["regulation"]),
        SearchFilter(agencies=["没有这个机关"]),
    ],
)
def test_bm25_filter_mask_agrees_with_the_filter_rule(corpus_assistant, flt):
    store = corpus_assistant.store
    index, ids = store._bm25_index()
    by_id = store.catalog.chunks_by_id(ids)
    chunks = [by_id[i] for i in ids]  # the view keeps ids and columns; the filter rule reads whole chunks
    query = "不予公开 申请 行政复议 政府信息公开"
    scores = index.get_scores(list(tokenize(query)))
    expected = sorted(
        (i for i, c in enumerate(chunks) if scores[i] > 0 and flt.accepts(c)), key=lambda i: (-scores[i], i)
    )[:15]
    assert expected or flt.agencies == ["没有这个机关"]  # every other filter has matching chunks
    hits = store.sparse_search(query, flt, 15)
    assert [h.score for h in hits] == [float(scores[i]) for i in expected]
    assert {h.chunk_id for h in hits} <= {c.chunk_id for c in chunks if flt.accepts(c)}
    assert bool(hits) == bool(expected)


@pytest.mark.parametrize(
    "flt",
    [
        SearchFilter(agencies=["平潭综合实验区"], years=[2022]),
        SearchFilter(agencies=["彭阳县小岔乡人民政府"]),
        SearchFilter(kinds=["regulation"]),
    ],
)
def test_exact_dense_search_under_a_narrow_filter_matches_chroma(corpus_assistant, flt, monkeypatch):
    store = corpus_assistant.store
    query = "政府信息公开申请的办理期限是多少个工作日"
    view, ids = store._bm25_index()
    selected = [ids[i] for i in np.flatnonzero(view.mask(flt))]
    assert 0 < len(selected) <= EXACT_DENSE_MAX
    assert set(selected) == {c.chunk_id for c in store.catalog.chunks() if flt.accepts(c)}
    exact = store.dense_search(query, flt, 10)
    # The same filter through Chroma's HNSW and the held shared vectors, asked for every selected
    # chunk, so the HNSW search is exhaustive.
    monkeypatch.setattr("assistant.store.EXACT_DENSE_MAX", 0)
    broad = store.dense_search(query, flt, len(selected))[:10]
    assert [h.chunk_id for h in exact] == [h.chunk_id for h in broad]
    assert [h.score for h in exact] == pytest.approx([h.score for h in broad], abs=1e-4)
    res = store.collection.query(
        query_embeddings=[store._query_vector(query)], n_results=len(selected), where=flt.chroma_where()
    )
    own = {i: 1.0 - d for i, d in zip(res["ids"][0], res["distances"][0])}  # Chroma's own vectors
    assert [h.score for h in exact if h.chunk_id in own] == pytest.approx(
        [own[h.chunk_id] for h in exact if h.chunk_id in own], abs=1e-4
    )
    assert all(
        h.chunk_id in own or store.catalog.chunks_by_id([h.chunk_id])[h.chunk_id].vector_key for h in exact
    )


def test_a_year_and_its_report_leave_the_question_words_together():
    # 「2024年报里」: removing only 「2024年」 left the non-word 「报里」 as a question word.
    terms = question_terms("洪泽区2024年报里说下一步怎么改进？", ["洪泽区"])
    assert "报里" not in terms and "改进" in terms
    assert "度报告" not in question_terms("2022年度报告里主动公开了多少条？")


def test_an_agency_name_written_with_he_leaves_no_words():
    # Agencies are matched with 和 / 及 read as 与 (query.match_agencies); their names leave the
    # question's words the same way, so 「自然资源」 and 「生态环境」 are no content words here.
    terms = question_terms(
        "平潭自然资源和生态环境局2020年在政策解读方面做了什么", ["平潭自然资源与生态环境局"]
    )
    assert terms == ["政策", "解读", "方面"]
    assert "存在" in question_terms("洪泽区存在问题和不足", ["洪泽区"])

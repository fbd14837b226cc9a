"""Paths to the bundled documents and question sets, shared by the tests (import from here, not
from conftest: conftest holds only fixtures and hooks)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus"
REPORTS = CORPUS / "reports"
REGULATIONS = CORPUS / "regulations"
FORMATS = CORPUS / "formats"
DEV_SET = ROOT / "data" / "eval" / "dev.jsonl"

# Fixtures that ingest the whole bundled corpus (a minute on two cores): a test using any of them,
# directly or through another fixture, is marked `slow` by conftest.
CORPUS_FIXTURES = frozenset({"bundled_data_dir", "corpus_assistant", "copied_data_dir"})

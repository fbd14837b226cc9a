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

# Fixtures that take tens of seconds on two cores: the whole bundled corpus ingested, the agency
# reports ingested, a Chroma server with app processes, the generated report ingested in four
# formats. A test using any of them, directly or through another fixture, is marked `slow` by conftest.
SLOW_FIXTURES = frozenset(
    {
        "bundled_data_dir",
        "corpus_assistant",
        "copied_data_dir",
        "agencies_data_dir",
        "chroma_server",
        "generated",
    }
)


def own_vectors(catalog) -> int:
    """How many chunks have a vector of their own in Chroma: all but those sharing one (a table
    row's labels, `Chunk.vector_key`), read from the catalog."""
    return sum(1 for chunk in catalog.chunks() if not chunk.vector_key)

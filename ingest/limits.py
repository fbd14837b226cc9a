"""How much one file may unpack into while it is loaded: a small upload must not claim gigabytes.

A 185 KB .docx can hold 50 MB of XML, an HTML table of a few hundred KB can span millions of
cells. The loaders read the limits of the current context; the caller (assistant.service) sets
them from the settings with `load_limits(...)`, defaults apply elsewhere (tests, scripts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ingest.types import IngestError

MB = 1024 * 1024


@dataclass(frozen=True)
class LoadLimits:
    """Bounds on what one document may expand into while it is loaded."""

    max_markup_bytes: int = 10 * MB  # a .docx's XML parts unpacked, or an HTML file
    max_unpacked_bytes: int = 100 * MB  # every part of a .docx archive unpacked
    max_table_cells: int = 50_000  # one table's grid, merged cells counted where they reach
    max_html_tags: int = 40_000  # an HTML page's tags, opening and closing ('<' counted before parsing)


DEFAULT_LIMITS = LoadLimits()
_CURRENT: ContextVar[LoadLimits | None] = ContextVar("gongkai_load_limits", default=None)


def current_limits() -> LoadLimits:
    """The limits in force for this thread or task."""
    return _CURRENT.get() or DEFAULT_LIMITS


@contextmanager
def load_limits(limits: LoadLimits) -> Iterator[None]:
    """Load files under `limits` inside the block."""
    token = _CURRENT.set(limits)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def too_much(name: str, what_en: str, what_zh: str, size: int, limit: int, unit: str = "MB") -> IngestError:
    """The bilingual IngestError (code "too_large") for a file that expands past a limit."""
    if unit == "MB":
        shown, cap = f"{size / MB:.1f} MB", f"{limit / MB:g} MB"
    else:
        shown, cap = f"{size:,}", f"{limit:,}"
    return IngestError(
        f"{name}: {what_en} is {shown}, over the limit of {cap}; the file was not read",
        f"{name}：{what_zh}为 {shown}，超过上限 {cap}，未读取该文件",
        "too_large",
    )


class TooManyCells(Exception):
    """Raised by a loader's table expansion past `max_table_cells` (the loader names the file)."""

    def __init__(self, cells: int, limit: int) -> None:
        super().__init__(f"{cells} cells, limit {limit}")
        self.cells = cells
        self.limit = limit


def table_error(name: str, exc: TooManyCells) -> IngestError:
    """The bilingual IngestError for a table that spans more cells than allowed."""
    return too_much(name, "a table's cell count", "表格单元格数", exc.cells, exc.limit, unit="cells")

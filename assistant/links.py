"""Where a citation stands: the report page of its document and the anchor of its section or row.

The anchor is derived from the section text alone, so a citation made anywhere (facts, retrieval,
checks, an LLM's answer) links to the element the report page gives the same anchor.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

DOCUMENTS_PATH = "/documents"


def section_anchor(section: str) -> str:
    """A stable HTML id for a cited section, table row or check: 's-' and 12 hex digits."""
    key = " ".join((section or "").split())
    return "s-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def document_url(source: str, section: str = "") -> str:
    """`/documents/{source}#anchor`, relative to the app (no anchor for an empty section)."""
    url = f"{DOCUMENTS_PATH}/{quote(source, safe='')}"
    return f"{url}#{section_anchor(section)}" if section.strip() else url

"""Text of a PDF text layer: spaces that split CJK words and numbers (used by ingest.pdf and
ingest.pdf_tables).

Exported PDFs (WPS, Word) place every glyph by itself and write no space glyphs; an extractor
infers a space wherever the gap between two glyphs is wider than a tolerance, so justified
Chinese lines come out as "号 ， 邮 编 ： 223100" and "2024 年". A space glyph written in the
file is the author's and stays; an inferred space stays only where it separates words of a
Latin script or two numbers.
"""

from __future__ import annotations

import re
from typing import Any

# CJK ideographs, CJK and fullwidth punctuation, curly quotes, ellipsis and the em dash.
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014\u2018-\u201d\u2026"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_PUNCTUATION = re.compile(
    "[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018-\u201d\u2026]"
)
_SPLITTING_SPACE = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}0-9])|(?<=[0-9]) +(?=[{_CJK}])")
_LETTER_SPACING = 0.2  # em: a gap this narrow between two digits is letter spacing, not a space


def tighten(text: str) -> str:
    """Remove spaces between CJK characters and between CJK characters and digits
    ("2024 年" → "2024年"); spaces between two numbers and around Latin words stay."""
    return _SPLITTING_SPACE.sub("", text)


def _splits_word(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Whether an inferred space between two glyphs would split one word or number (or stand
    beside fullwidth punctuation, which carries its own spacing)."""
    a, b = left["text"][-1:], right["text"][:1]
    if _CJK_CHAR.match(a) and (_CJK_CHAR.match(b) or b.isdigit()):
        return True
    if (a.isdigit() and _CJK_CHAR.match(b)) or _CJK_PUNCTUATION.match(a) or _CJK_PUNCTUATION.match(b):
        return True
    gap = right["x0"] - left["x1"]
    return a.isdigit() and b.isdigit() and bool(gap < _LETTER_SPACING * max(left["size"], right["size"]))


def line_text(chars: list[dict[str, Any]], x_tolerance: float = 1.5) -> str:
    """One line's text from its glyphs (left to right, space glyphs included): a space where
    the file has one, or where a gap wider than `x_tolerance` separates words (see the module
    docstring)."""
    parts: list[str] = []
    prev: dict[str, Any] | None = None
    written_space = False
    for ch in sorted(chars, key=lambda c: c["x0"]):
        if ch["text"].isspace():
            written_space = prev is not None
            continue
        if prev is not None:
            inferred = ch["x0"] - prev["x1"] > x_tolerance and not _splits_word(prev, ch)
            if written_space or inferred:
                parts.append(" ")
        parts.append(ch["text"])
        prev, written_space = ch, False
    return "".join(parts)

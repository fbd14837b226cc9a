"""Printed labels → the format's labels, by normalized similarity.

Reports print the format's row and column labels with typos (「2.其他法律行政止公开」), other
numbering (「1、」 for 「1.」), missing or extra words (「本年公开数量」 for 「本年新公开数量」). Each
printed label is compared with the template's labels of the same table; the best one above a
threshold wins, and the match is recorded so that the ingest report can show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ingest.numerals import NUMERAL_CHARS

# Numbering in front of a label: 一、 （三） (3) 1. 1、 1．
_NUMBERING = re.compile(
    rf"^(?:([{NUMERAL_CHARS}]{{1,3}})、|[（(]([{NUMERAL_CHARS}]{{1,3}})[)）]|(\d{{1,2}})\s*[.、．](?!\d))"
)
_NOISE = re.compile(r"[\s“”\"'‘’「」《》:：,，;；。、/（）()\[\]【】*]")

# A printed label is taken for a template label at this similarity or above.
MATCH_THRESHOLD = 0.75


@dataclass(frozen=True)
class LabelMatch:
    """How one printed label was read: the template label it stands for and how sure that is."""

    table: str  # "表二", "表三", …
    kind: str  # "row" | "column"
    printed: str  # the label as the report prints it
    matched: str  # the template's label
    score: float  # 1.0 when identical after normalization

    @property
    def fuzzy(self) -> bool:
        """True when the printed label differs from the template's (a typo, other words)."""
        return self.score < 1.0

    def describe(self) -> str:
        """'表三 行 “2.其他法律行政止公开” → “2.其他法律行政法规禁止公开”（相似度 0.86）'."""
        what = "行" if self.kind == "row" else "列"
        return f"{self.table} {what} “{self.printed}” → “{self.matched}”（相似度 {self.score:.2f}）"


def split_numbering(label: str) -> tuple[str, str]:
    """('（三）', '不予公开') from '（三）不予公开'; ('', label) when the label has no numbering."""
    text = label.strip()
    m = _NUMBERING.match(text)
    if not m:
        return "", text
    return m.group(0), text[m.end() :].strip()


def label_body(label: str) -> str:
    """A label without its numbering, spaces and punctuation: the words that carry its meaning."""
    return _NOISE.sub("", split_numbering(label)[1])


def similarity(a: str, b: str) -> float:
    """Similarity of two label bodies in [0, 1] (difflib's ratio over the normalized words)."""
    a, b = label_body(a), label_body(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def best_label(
    printed: str, candidates: list[str], threshold: float = MATCH_THRESHOLD, margin: float = 0.05
) -> tuple[str, float] | None:
    """The candidate most like `printed`, with its score, when it reaches `threshold` and no other
    candidate comes within `margin` of it; else None."""
    scored = sorted(((similarity(printed, c), c) for c in candidates), reverse=True)
    if not scored or scored[0][0] < threshold:
        return None
    if len(scored) > 1 and scored[0][0] < 1.0 and scored[0][0] - scored[1][0] < margin:
        return None
    return scored[0][1], scored[0][0]

"""A bilingual glossary of the disclosure format's terms (data/glossary.tsv), for English questions.

An English question gets the Chinese terms it names added to its word search (the embedder is
multilingual and bridges the rest), and an English answer starts with one English sentence
naming the source, followed by the Chinese quote with its citation.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ingest.numerals import cn_to_int
from ingest.types import Chunk

GLOSSARY_PATH = Path(__file__).resolve().parent.parent / "data" / "glossary.tsv"


@cache
def entries(path: Path = GLOSSARY_PATH) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(Chinese term, English variants) pairs; lines starting with # are comments."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        zh, en = line.split("\t", 1)
        variants = tuple(v.strip().lower() for v in en.split("|") if v.strip())
        out.append((zh.strip(), variants))
    return tuple(out)


@cache
def _variants_longest_first() -> tuple[tuple[str, str], ...]:
    """(English variant, Chinese term) pairs, longest variant first."""
    pairs = [(variant, zh) for zh, variants in entries() for variant in variants]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def chinese_terms(question: str) -> list[str]:
    """The Chinese terms whose English forms stand in the question (whole words, longest first)."""
    text = " " + re.sub(r"\s+", " ", question.lower()) + " "
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for variant, zh in _variants_longest_first():
        for m in re.finditer(rf"(?<![a-z]){re.escape(variant)}(?![a-z])", text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            if zh not in found:
                found.append(zh)
    return found


def english_name(zh: str) -> str | None:
    """The first English form of a Chinese term, or None."""
    for term, variants in entries():
        if term == zh and variants:
            return variants[0]
    return None


def english_section(section: str) -> str:
    """'第四章 依申请公开 / 第三十三条' → 'Chapter 4, Article 33'; other sections as they are."""
    parts = []
    for kind, word in (("章", "Chapter"), ("条", "Article")):
        m = re.search(rf"第([一二三四五六七八九十百零〇两\d]+){kind}", section)
        if m:
            number = m.group(1) if m.group(1).isdigit() else cn_to_int(m.group(1))
            parts.append(f"{word} {number}")
    return ", ".join(parts) if parts else section


def english_lead(chunk: Chunk) -> str:
    """One English sentence saying where the (Chinese) answer below comes from."""
    title = "the Regulations on the Disclosure of Government Information" if "条例" in chunk.title else None
    if title is None:
        title = f"《{chunk.title}》"
    where = english_section(chunk.section)
    what = "the passage" if where == chunk.section else where
    return f"According to {title}, {what} (quoted in Chinese below with its citation):"

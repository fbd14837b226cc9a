"""The narrative of a report: chunks by section, and the small facts it states in words.

Besides the narrative chunks (one section or sub-section, cut at sentence ends), three kinds of
small chunks are made so that questions on them find one exact sentence:

- "contact" (section 联系方式): the sentence(s) giving the office's phone, e-mail, address;
- "statement" (section 统计期限): the sentence stating the period the figures cover;
- "statement" (section = the heading path it stands in): a sentence stating a count next to
  what is counted (「公开政府常务会议7期」, 「发布调查问卷四次」).
"""

from __future__ import annotations

import re

from ingest.numerals import NUMERAL_CHARS, to_int
from ingest.template import table3_path
from ingest.types import Chunk, Document, Fact

NARRATIVE_CHUNK_CHARS = 450

_SUBHEAD = re.compile(rf"(?=(?:^|(?<=[。；！？\s]))[（(][{NUMERAL_CHARS}]{{1,3}}[)）])")
_SUBHEAD_TITLE = re.compile(rf"^[（(]([{NUMERAL_CHARS}]{{1,3}})[)）]\s*([^。：:，,\n]{{1,20}})")

# Contact details as offices print them.
_PHONE = re.compile(
    r"(?:电话|传真|热线)[^0-9\n]{0,6}[0-9（(][0-9\-－—()（）\s]{6,}|0\d{2,3}[-－—]\d{7,8}|(?<!\d)1[3-9]\d{9}(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ADDRESS = re.compile(r"(?:地址|地点)[:：]")
_OFFICE = re.compile(r"与.{2,40}?联系")

# The period the figures cover: two dates joined by 至/到, in a sentence about the data.
_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_PERIOD = re.compile(rf"{_DATE}\s*(?:起)?\s*(?:至|到|—|－|-|~)\s*{_DATE}")
_PERIOD_WORDS = re.compile(r"统计|数据|报告期")

# A count: a number (arabic or Chinese) and the counter word after it. Bare 人/名 are left out:
# a head count (「实现21人就业」) is what a question on population or staff finds by mistake.
COUNTERS = (
    "万人次",
    "人次",
    "万元",
    "元",
    "次",
    "期",
    "篇",
    "条",
    "件",
    "个",
    "场",
    "份",
    "项",
    "家",
    "批",
    "起",
    "部",
    "轮",
    "场次",
)
_COUNT = re.compile(
    rf"(?<![第\d.{NUMERAL_CHARS}])(\d+(?:\.\d+)?|[{NUMERAL_CHARS}]{{1,6}})\s*(?:余|多)?({'|'.join(sorted(COUNTERS, key=len, reverse=True))})"
)
# Chinese numerals in set phrases are not counts (「一个中心」, 「两个维护」, 「三审三校」).
_CN_COUNTERS_TOO_COMMON = {"个", "条", "项", "部", "起", "家", "批"}
_MIN_SENTENCE, _MAX_SENTENCE = 8, 200


def sentences(text: str, ends: str = "。！？；\n") -> list[str]:
    """Sentences of `text`, each with its end mark."""
    return [s.strip() for s in re.split(rf"(?<=[{ends}])", text) if s.strip()]


def windows(text: str, size: int) -> list[str]:
    """Cut text into pieces of about `size` characters at sentence ends."""
    pieces: list[str] = []
    current = ""
    for sentence in [s for s in re.split(r"(?<=[。！？；\n])", text) if s.strip()]:
        if current and len(current) + len(sentence) > size:
            pieces.append(current.strip())
            current = ""
        current += sentence
    if current.strip():
        pieces.append(current.strip())
    return pieces


def split_subsections(text: str) -> list[tuple[str, str]]:
    """Split on （一）…（十） markers at sentence starts; the marker's phrase becomes the title."""
    out: list[tuple[str, str]] = []
    for part in [p for p in _SUBHEAD.split(text) if p.strip()]:
        m = _SUBHEAD_TITLE.match(part)
        out.append((f"（{m.group(1)}）{m.group(2).strip()}" if m else "", part.strip()))
    return out


def narrative_chunks(document: Document, narrative: dict[str, list[str]]) -> list[Chunk]:
    """Narrative chunks by section and sub-section, then one statement chunk per counted sentence."""
    chunks: list[Chunk] = []
    statements: list[Chunk] = []
    for title, paragraphs in narrative.items():
        for sub_title, body in split_subsections("\n".join(paragraphs)):
            path = f"{title} / {sub_title}" if sub_title else title
            for piece in windows(body, NARRATIVE_CHUNK_CHARS):
                chunks.append(Chunk.in_document(document, path, piece, "narrative"))
            statements += [Chunk.in_document(document, path, s, "statement") for s in count_sentences(body)]
    return chunks + statements


def count_sentences(text: str) -> list[str]:
    """Sentences that state a count next to what is counted: 「公开政府常务会议7期」,
    「发布调查问卷四次」, 「微信公众号发布信息903篇」. Dates, ordinals (第三次) and set phrases
    with Chinese numerals (「两个维护」) are not counts."""
    found: list[str] = []
    for sentence in sentences(text):
        if not _MIN_SENTENCE <= len(sentence) <= _MAX_SENTENCE:
            continue
        if any(_is_count(m) for m in _COUNT.finditer(sentence)) and sentence not in found:
            found.append(sentence)
    return found


def _is_count(m: re.Match[str]) -> bool:
    number, counter = m.group(1), m.group(2)
    if number[0].isdigit():
        # 「2024年」 is a year, not a count; a number with 年/月/日 after it never reaches here.
        return True
    value = to_int(number)
    return value is not None and value >= 2 and counter not in _CN_COUNTERS_TOO_COMMON


def contact_chunk(document: Document, paragraphs: list[str]) -> Chunk | None:
    """One chunk with the sentences giving the office's phone, e-mail, address and name, as printed,
    after a lead saying which of them it holds: 「联系方式（地址、电话）：如对本报告有疑问，请与…」."""
    picked: list[str] = []
    for paragraph in paragraphs:
        parts = sentences(paragraph, "。！？\n")
        if not any(_PHONE.search(s) or _EMAIL.search(s) or _ADDRESS.search(s) for s in parts):
            continue
        for sentence in parts:
            details = _PHONE.search(sentence) or _EMAIL.search(sentence) or _ADDRESS.search(sentence)
            if (details or _OFFICE.search(sentence)) and sentence not in picked:
                picked.append(_from_contact(sentence))
    if not picked:
        return None
    text = "".join(picked)
    # The chunk says what it holds, so that questions on a phone or an address find it and others do not.
    held = [
        name
        for name, pattern in (("地址", _ADDRESS), ("电话", _PHONE), ("电子邮箱", _EMAIL))
        if pattern.search(text)
    ]
    return Chunk.in_document(document, "联系方式", f"联系方式（{'、'.join(held)}）：{text}", "contact")


def _from_contact(sentence: str) -> str:
    """A long sentence cut to the clause where the contact starts (「如对本报告有疑问，请与…」)."""
    for marker in ("如对", "如有", "如需", "联系地址", "地址"):
        i = sentence.find(marker)
        if i > 0 and len(sentence) > 120:
            return sentence[i:]
    return sentence


def period_chunk(document: Document, paragraphs: list[str]) -> Chunk | None:
    """The sentence stating the period the report's figures cover, when one does."""
    for paragraph in paragraphs:
        for sentence in sentences(paragraph, "。！？\n"):
            if _PERIOD.search(sentence) and _PERIOD_WORDS.search(sentence):
                return Chunk.in_document(document, "统计期限", sentence, "statement")
    return None


def table_row_chunks(document: Document, facts: list[Fact], titles: dict[str, str]) -> list[Chunk]:
    """One chunk per table row, carrying the table title, the full row path and every column."""
    rows: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        rows.setdefault((fact.table, fact.row_key), []).append(fact)
    chunks: list[Chunk] = []
    for (table, key), cells in rows.items():
        path = table3_path(key) if table == "表三" else cells[0].row_path
        values = "；".join(f"{f.column} {f.raw if f.raw else '（空白）'}" for f in cells)
        text = f"{document.year or ''}年 {table} {path}：{values}"
        section = f"{titles.get(table, table)} / {table} / {path}"
        chunk = Chunk.in_document(document, section, text, "table_row")
        chunk.labels = f"{table} {path}：{'；'.join(f.column for f in cells)}"
        chunks.append(chunk)
    return chunks

"""Regulations and notices: articles (第一条 …) inside chapters, or numbered parts for notices."""

from __future__ import annotations

import re

from ingest.classify import META_LINE
from ingest.narrative import windows as _windows
from ingest.numerals import NUMERAL_CHARS, cn_to_int
from ingest.types import Chunk, Document, LoadedFile

_CHAPTER = re.compile(rf"^\s*(第[{NUMERAL_CHARS}]+章)\s*(.*)$")
# "第二十条第（一）项" in a report template cites an article; it does not start one.
_ARTICLE = re.compile(rf"^\s*(第[{NUMERAL_CHARS}]+条)(?![第之])[\s　]*(.*)$")
_HEADING = re.compile(rf"^\s*([{NUMERAL_CHARS}]+、|附件[:：]?|【)")
CHUNK_CHARS = 500


def _lines(loaded: LoadedFile) -> list[str]:
    return [line.strip() for line in loaded.text().splitlines() if line.strip() and not META_LINE.match(line)]


def parse_regulation(loaded: LoadedFile, document: Document) -> list[Chunk]:
    """One chunk per article with its chapter; documents without articles chunk by heading."""
    lines = _lines(loaded)
    if sum(1 for line in lines if _ARTICLE.match(line)) >= 3:
        return _article_chunks(lines, document)
    return heading_chunks(lines, document, "regulation")


def _article_chunks(lines: list[str], document: Document) -> list[Chunk]:
    chunks: list[Chunk] = []
    chapter = ""
    article: str | None = None
    body: list[str] = []

    def flush() -> None:
        if article and body:
            section = f"{chapter} / {article}" if chapter else article
            chunks.append(Chunk.in_document(document, section, "\n".join(body), "article", len(chunks)))

    preamble: list[str] = []
    for line in lines:
        m_ch = _CHAPTER.match(line)
        m_art = _ARTICLE.match(line)
        if m_art and cn_to_int(m_art.group(1)[1:-1]) is None:
            m_art = None  # 「第X条」 with a malformed numeral does not start an article
        if m_ch and len(line) <= 30:
            flush()
            article, body = None, []
            chapter = f"{m_ch.group(1)} {m_ch.group(2)}".strip()
        elif m_art:
            flush()
            article = m_art.group(1)
            body = [line]
        elif article:
            body.append(line)
        else:
            preamble.append(line)
    flush()
    if preamble:
        chunks.insert(0, Chunk.in_document(document, "题注", "\n".join(preamble), "text", 0))
    for i, chunk in enumerate(chunks):
        chunk.ordinal = i
    return chunks


def heading_chunks(lines: list[str], document: Document, kind: str) -> list[Chunk]:
    """Chunk by 一、… headings, windows of about CHUNK_CHARS characters within each."""
    chunks: list[Chunk] = []
    heading = "正文"
    buffer: list[str] = []

    def flush() -> None:
        text = "\n".join(buffer)
        for piece in _windows(text, CHUNK_CHARS):
            chunks.append(Chunk.in_document(document, heading, piece, "text", len(chunks)))

    for line in lines:
        inline = _INLINE_HEADING.match(line)
        if _HEADING.match(line) and len(line) <= 40:
            flush()
            buffer = []
            heading = line
        elif (
            inline and len(line) > 40
        ):  # 「一、申请审查明确“补不补”行政机关收到…」: heading and text on one line
            flush()
            buffer = []
            part = inline.group(1)
            for sub, body in _inline_subsections(line[inline.end() :]):
                heading = f"{part} / {sub}" if sub else part
                buffer = [body]
                flush()
            buffer = []
        else:
            buffer.append(line)
    flush()
    return chunks


# A part's heading run into its text: 「一、」 and up to 24 characters ending in a closing quote
# (「一、申请审查明确“补不补”」) or before 。/： (「一、总体要求。」); sub-headings the same way inside
# the text after a sentence end: 「（一）补正情形。」.
_INLINE_HEADING = re.compile(
    rf"^([{NUMERAL_CHARS}]+、(?:[^。：:，,；]{{2,24}}?[”」]|[^。：:，,；“”]{{2,24}}?(?=[。：:])))[。：:]?"
)
_INLINE_SUB = re.compile(
    rf"(?:^|(?<=[。；！？]))([（(][{NUMERAL_CHARS}]{{1,3}}[)）][^。：:，,；（(]{{2,20}})[。：:]"
)


def _inline_subsections(text: str) -> list[tuple[str, str]]:
    """The text of a part cut at its inline sub-headings: [('', preamble), ('（一）补正情形', …), …]."""
    marks = list(_INLINE_SUB.finditer(text))
    if not marks:
        return [("", text)]
    out = [("", text[: marks[0].start()])] if text[: marks[0].start()].strip() else []
    for mark, following in zip(marks, [*marks[1:], None]):
        end = following.start() if following else len(text)
        out.append((mark.group(1), text[mark.start() : end]))
    return out

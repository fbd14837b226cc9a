"""PDF loader: text pages → paragraphs and tables in reading order (pdfplumber).

- Tables come from ruling lines and are joined across page breaks (see ingest.pdf_tables);
  text boxes that pdfplumber finds as one-column tables are read as running text.
- Text outside the tables becomes paragraphs: lines wrapped at the PDF's line width are joined
  again, and a new paragraph starts at a heading ("一、", "（一）", "第二十条"), an indented line,
  a change of font size, a wider gap, or after a line that stops clearly short of the margin.
  Spaces the text layer puts inside CJK text and between CJK characters and digits are removed.
- Running page headers and footers ("第 N 页", "- 3 -", "3 / 12", a line repeated at the same
  place on most pages) are removed.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.page import Page

from ingest.html import clean_text, join_lines
from ingest.pdf_tables import BBox, Grid, join_continuation, page_tables, table_rows
from ingest.pdf_text import line_text
from ingest.types import IngestError, Paragraph, Table

_BAND = 0.12  # top/bottom share of the page height where running headers/footers live
_PAGE_NUMBER = re.compile(
    r"(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|[-－—–]\s*\d+\s*[-－—–]|\d+\s*/\s*\d+|\d+|page\s*\d+(?:\s*of\s*\d+)?)",
    re.IGNORECASE,
)
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十百零〇\d]+[章节条])"
)
_SENTENCE_END = tuple("。！？；：!?;:…")
_UNMAPPED = re.compile(r"\(cid:\d+\)")


@dataclass
class _Line:
    """One line of running text on a page."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    page: int


@dataclass
class _Page:
    items: list[_Line | Grid] = field(default_factory=list)
    height: float = 0.0
    chars: int = 0
    unmapped_chars: int = 0  # glyphs without a Unicode mapping, extracted as "(cid:123)"


# --- errors ------------------------------------------------------------------------------------


def _encrypted(name: str) -> IngestError:
    return IngestError(
        f"{name}: the PDF is password-protected (encrypted); remove the password and upload it again",
        f"{name}：PDF 文件已加密（设有密码保护），请解除密码后重新上传",
        "encrypted",
    )


def _corrupt(name: str, detail: str) -> IngestError:
    return IngestError(
        f"{name}: the PDF is damaged and cannot be read ({detail})",
        f"{name}：PDF 文件已损坏，无法读取（{detail}）",
        "corrupt",
    )


def _scanned(name: str) -> IngestError:
    return IngestError(
        f"{name}: the PDF has pages but no text layer; it looks scanned: OCR is needed before it can be "
        "ingested",
        f"{name}：PDF 有页面但没有文字层，看起来是扫描件，需要先进行文字识别（OCR）后才能导入",
        "scanned",
    )


def _unmapped(name: str) -> IngestError:
    return IngestError(
        f"{name}: the PDF's text cannot be extracted (its fonts have no Unicode mapping), so it reads "
        "like a scan: OCR is needed before it can be ingested",
        f"{name}：PDF 中的文字无法提取（字体缺少 Unicode 映射），相当于扫描件，"
        "需要先进行文字识别（OCR）后才能导入",
        "scanned",
    )


def _raise_for(exc: Exception, name: str) -> None:
    """Map a pdfminer/pdfplumber failure to an IngestError."""
    causes = [exc, *exc.args, exc.__cause__, exc.__context__]
    if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes):
        raise _encrypted(name) from exc
    detail = next((type(c).__name__ for c in exc.args if isinstance(c, Exception)), type(exc).__name__)
    raise _corrupt(name, detail) from exc


# --- text lines --------------------------------------------------------------------------------


def _outside(boxes: list[BBox]) -> Callable[[dict[str, Any]], bool]:
    """A page.filter() test keeping everything but the characters inside `boxes`."""

    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    return keep


def _page_lines(page: Page, page_no: int, boxes: list[BBox]) -> list[_Line]:
    text_page = page.filter(_outside(boxes)) if boxes else page
    lines: list[_Line] = []
    for raw in text_page.extract_text_lines(x_tolerance=1.5, y_tolerance=3, keep_blank_chars=True):
        glyphs = [ch for ch in raw["chars"] if not ch["text"].isspace()]
        text = clean_text(line_text(raw["chars"], x_tolerance=1.5))
        if not text or not glyphs:
            continue
        sizes = Counter(round(ch["size"], 1) for ch in glyphs)
        size = sizes.most_common(1)[0][0]
        x0, x1 = min(ch["x0"] for ch in glyphs), max(ch["x1"] for ch in glyphs)
        lines.append(_Line(text, x0, x1, raw["top"], raw["bottom"], size, page_no))
    return lines


def _read_page(page: Page, page_no: int) -> _Page:
    tables = page_tables(page, page_no)
    boxes = [(x0 - 1, top - 1, x1 + 1, bottom + 1) for x0, top, x1, bottom in (g.bbox for g in tables)]
    items: list[_Line | Grid] = [*_page_lines(page, page_no, boxes), *tables]
    items.sort(key=lambda item: item.top)
    unmapped = sum(1 for ch in page.chars if _UNMAPPED.fullmatch(ch["text"]))
    return _Page(items=items, height=float(page.height), chars=len(page.chars), unmapped_chars=unmapped)


def _strings_as_written(decipher: Callable[..., bytes]) -> Callable[..., bytes]:
    """A pdfminer decipher that decrypts streams (called with their attributes) but keeps strings
    as written: some producers encrypt only the streams of an owner-password PDF, and deciphering
    their plain strings turns a CID font's CIDSystemInfo (Adobe-GB1) into noise."""

    def decipher_streams(objid: int, genno: int, data: bytes, attrs: dict[str, Any] | None = None) -> bytes:
        return data if attrs is None else decipher(objid, genno, data, attrs)

    return decipher_streams


def _read_pages(data: bytes, name: str, strings_as_written: bool = False) -> list[_Page]:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if strings_as_written and pdf.doc.decipher is not None:
                pdf.doc.decipher = _strings_as_written(pdf.doc.decipher)
            return [_read_page(page, i) for i, page in enumerate(pdf.pages)]
    except IngestError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged files
        _raise_for(exc, name)
        raise  # unreachable: _raise_for always raises


# --- running headers and footers ---------------------------------------------------------------


def _band_lines(page: _Page) -> list[_Line]:
    lines = [item for item in page.items if isinstance(item, _Line)]
    top_limit, bottom_limit = page.height * _BAND, page.height * (1 - _BAND)
    return [line for line in lines if line.bottom <= top_limit or line.top >= bottom_limit]


def _running_key(line: _Line) -> tuple[str, int]:
    return re.sub(r"\d+", "#", line.text.replace(" ", "")), round(line.top / 6)


def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove page numbers and lines repeated at the same place on most pages."""
    on_pages: dict[tuple[str, int], set[int]] = defaultdict(set)
    for i, page in enumerate(pages):
        for line in _band_lines(page):
            on_pages[_running_key(line)].add(i)
    needed = max(2, math.ceil(0.5 * len(pages)))
    running = {key for key, found in on_pages.items() if len(found) >= needed}
    for page in pages:
        band = {id(line) for line in _band_lines(page)}
        page.items = [
            item for item in page.items
            if id(item) not in band
            or not (
                isinstance(item, _Line)  # the band holds lines only
                and (_PAGE_NUMBER.fullmatch(item.text.replace(" ", "")) or _running_key(item) in running)
            )
        ]  # fmt: skip


# --- tables across pages ---------------------------------------------------------------


def _body_bottom(pages: list[_Page]) -> float:
    """Where the text area ends: the lowest content on any page, or as far from the bottom
    edge as the highest content is from the top (margins are near symmetric), whichever is
    lower."""
    bottoms = [item.bottom for page in pages for item in page.items]
    tops = [(page.height, item.top) for page in pages for item in page.items]
    if not bottoms:
        return 0.0
    return max(max(bottoms), max(height - top for height, top in tops))


def _merge_tables(pages: list[_Page]) -> list[_Line | Grid]:
    """Flatten the pages into one item list, joining tables continued across a page break."""
    body_bottom = _body_bottom(pages)
    items: list[_Line | Grid] = []
    for page in pages:
        for i, item in enumerate(page.items):
            prev = items[-1] if items else None
            if i == 0 and isinstance(item, Grid) and isinstance(prev, Grid):
                joined = join_continuation(prev, item, body_bottom)
                if joined is not None:
                    items[-1] = joined
                    continue
            items.append(item)
    return items


# --- paragraphs --------------------------------------------------------------------------------


@dataclass
class _Layout:
    """The body text's geometry: left margin, right margin and font size."""

    left: float
    right: float
    size: float


def _layout(lines: list[_Line]) -> _Layout:
    if not lines:
        return _Layout(0.0, 0.0, 10.0)
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    size = weights.most_common(1)[0][0]
    body = [line for line in lines if abs(line.size - size) < 0.5] or lines
    left = Counter(round(line.x0) for line in body).most_common(1)[0][0]
    long_lines = sorted(line.x1 for line in body if len(line.text) >= 10) or sorted(line.x1 for line in body)
    right = long_lines[int(0.8 * (len(long_lines) - 1))]
    return _Layout(float(left), right, size)


def _starts_paragraph(prev: _Line, line: _Line, layout: _Layout) -> bool:
    width = max(layout.right - layout.left, 1.0)
    short = prev.x1 < layout.right - 2.5 * prev.size
    if _HEADING.match(line.text) or abs(line.size - prev.size) > 0.5:
        return True
    if line.x0 > layout.left + 1.2 * line.size:
        return True  # first-line indent, or a centred line
    if line.page == prev.page and line.top - prev.bottom > 1.0 * line.size:
        return True
    if short and (prev.text.endswith(_SENTENCE_END) or prev.text.endswith(("”", "）", ")"))):
        return True
    return short and prev.x1 < layout.left + 0.6 * width


def _assemble(items: list[_Line | Grid]) -> list[Paragraph | Table]:
    layout = _layout([item for item in items if isinstance(item, _Line)])
    blocks: list[Paragraph | Table] = []
    current: list[str] = []
    prev: _Line | None = None

    def flush() -> None:
        if current:
            blocks.append(Paragraph(join_lines(current)))
            current.clear()

    for item in items:
        if isinstance(item, Grid):
            flush()
            rows = table_rows(item)
            if rows:
                blocks.append(Table(rows))
            prev = None
            continue
        if prev is not None and _starts_paragraph(prev, item, layout):
            flush()
        current.append(item.text)
        prev = item
    flush()
    return blocks


def load_pdf(data: bytes, name: str) -> list[Paragraph | Table]:
    """Load a PDF with a text layer into paragraphs and tables in reading order.

    Raises IngestError with code "encrypted", "corrupt", or "scanned" (pages but no text layer,
    only running page numbers, or text in fonts without a Unicode mapping).
    """
    pages = _read_pages(data, name)
    if not pages:
        return []
    chars = sum(page.chars for page in pages)
    if chars == 0:
        raise _scanned(name)
    if sum(page.unmapped_chars for page in pages) > 0.5 * chars and b"/Encrypt" in data:
        # An owner-password PDF opened without a password: read again with its strings as written.
        pages = _read_pages(data, name, strings_as_written=True)
        chars = sum(page.chars for page in pages)
    if sum(page.unmapped_chars for page in pages) > 0.5 * chars:
        raise _unmapped(name)
    _drop_running_lines(pages)
    if not any(page.items for page in pages):
        raise _scanned(name)  # the only text was page numbers stamped onto scanned pages
    return _assemble(_merge_tables(pages))

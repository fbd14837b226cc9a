"""PDF loader: text pages → paragraphs and tables in reading order (pdfplumber).

- Tables come from ruling lines (`page.find_tables()`); each is rebuilt as a full grid from its
  cell rectangles, so a spanning cell's text is repeated in every grid position it covers.
- Text outside the tables becomes paragraphs: lines wrapped at the PDF's line width are joined
  again, and a new paragraph starts at a heading ("一、", "（一）", "第二十条"), an indented line,
  a change of font size, a wider gap, or after a line that stops clearly short of the margin.
- Running page headers and footers ("第 N 页", "- 3 -", "3 / 12", a line repeated at the same
  place on most pages) are removed.
- A table that ends one page and goes on at the top of the next (same columns, and either its
  header rows repeated or the first part running to the bottom of the text area) is one table:
  the parts are joined, the repeated header rows dropped, and a label cell whose span was cut
  by the page break is carried onto the continuation rows.
"""

from __future__ import annotations

import bisect
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.page import Page
from pdfplumber.utils import extract_text as chars_to_text

from ingest.html import clean_text, join_lines, tidy_grid
from ingest.types import IngestError, Paragraph, Table

_EDGE_TOLERANCE = 2.0  # points: cell edges closer than this are the same grid line
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
class _Grid:
    """One table on one page: cell texts, per position the row range of its cell, and the
    x-extent of each column and y-extent of each row."""

    rows: list[list[str]]
    row_ranges: list[list[tuple[int, int]]]
    cols: list[tuple[float, float]]
    row_bounds: list[tuple[float, float]]
    page: int

    @property
    def top(self) -> float:
        return self.row_bounds[0][0]

    @property
    def bottom(self) -> float:
        return self.row_bounds[-1][1]


@dataclass
class _Page:
    items: list[_Line | _Grid] = field(default_factory=list)
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


# --- tables ------------------------------------------------------------------------------------


def _edges(values: list[float]) -> list[float]:
    """Cluster nearby coordinates into grid lines."""
    lines: list[float] = []
    for value in sorted(values):
        if not lines or value - lines[-1] > _EDGE_TOLERANCE:
            lines.append(value)
    return lines


def _index(edges: list[float], value: float) -> int:
    """Index of the grid line nearest to `value`."""
    i = bisect.bisect_left(edges, value)
    candidates = [j for j in (i - 1, i) if 0 <= j < len(edges)]
    return min(candidates, key=lambda j: abs(edges[j] - value))


def _cell_text(chars: list[dict[str, Any]]) -> str:
    if not chars:
        return ""
    return clean_text(chars_to_text(chars, x_tolerance=1.5, y_tolerance=3), cell=True)


def _grid_from_cells(
    cells: list[tuple[float, float, float, float]], chars: list[dict[str, Any]], page: int
) -> _Grid:
    """Rebuild a table from its cell rectangles: each cell covers the grid rows and columns
    between its edges, and its text goes into all of them."""
    xs = _edges([x for x0, _, x1, _ in cells for x in (x0, x1)])
    ys = _edges([y for _, top, _, bottom in cells for y in (top, bottom)])
    spans: list[tuple[int, int]] = []
    owner: dict[tuple[int, int], int] = {}
    for k, (x0, top, x1, bottom) in enumerate(cells):
        c0, r0 = _index(xs, x0), _index(ys, top)
        c1, r1 = max(_index(xs, x1), c0 + 1), max(_index(ys, bottom), r0 + 1)
        spans.append((r0, r1))
        for r in range(r0, r1):
            for c in range(c0, c1):
                owner[(r, c)] = k
    cell_chars: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        position = (bisect.bisect_right(ys, cy) - 1, bisect.bisect_right(xs, cx) - 1)
        if position in owner:
            cell_chars[owner[position]].append(ch)
    texts = {k: _cell_text(cell_chars[k]) for k in range(len(cells))}
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    rows = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    ranges = [[(r, r + 1) for _ in range(n_cols)] for r in range(n_rows)]
    for (r, c), k in owner.items():
        rows[r][c] = texts[k]
        ranges[r][c] = spans[k]
    cols = [(xs[c], xs[c + 1]) for c in range(n_cols)]
    return _Grid(rows, ranges, cols, [(ys[r], ys[r + 1]) for r in range(n_rows)], page)


def _drop_blank_rows(grid: _Grid) -> _Grid:
    """Drop spacer rows, keeping the span ranges aligned. Blank columns are dropped only after
    tables are joined across pages: a column blank on one page may hold values on another."""
    keep = [r for r, row in enumerate(grid.rows) if any(row)]
    new_index = {r: i for i, r in enumerate(keep)}

    def remap(span: tuple[int, int]) -> tuple[int, int]:
        inside = [new_index[r] for r in range(*span) if r in new_index]
        return (inside[0], inside[-1] + 1) if inside else span

    return _Grid(
        [grid.rows[r] for r in keep],
        [[remap(span) for span in grid.row_ranges[r]] for r in keep],
        grid.cols,
        [grid.row_bounds[r] for r in keep],
        grid.page,
    )


def _page_tables(page: Page, page_no: int) -> list[tuple[tuple[float, float, float, float], _Grid]]:
    """The page's ruled tables as grids, each with its bounding box."""
    grids: list[tuple[tuple[float, float, float, float], _Grid]] = []
    for table in page.find_tables():
        if len(table.cells) < 2:
            continue  # a single framed box is decoration, its text is read as prose
        x0, top, x1, bottom = table.bbox
        chars = [
            ch for ch in page.chars
            if x0 <= (ch["x0"] + ch["x1"]) / 2 <= x1 and top <= (ch["top"] + ch["bottom"]) / 2 <= bottom
        ]  # fmt: skip
        grid = _drop_blank_rows(_grid_from_cells(table.cells, chars, page_no))
        if grid.rows:
            grids.append((table.bbox, grid))
    return grids


# --- text lines --------------------------------------------------------------------------------


def _outside(boxes: list[tuple[float, float, float, float]]) -> Callable[[dict[str, Any]], bool]:
    """A page.filter() test keeping everything but the characters inside `boxes`."""

    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    return keep


def _page_lines(page: Page, page_no: int, boxes: list[tuple[float, float, float, float]]) -> list[_Line]:
    text_page = page.filter(_outside(boxes)) if boxes else page
    lines: list[_Line] = []
    for raw in text_page.extract_text_lines(x_tolerance=1.5, y_tolerance=3):
        text = clean_text(raw["text"])
        if not text:
            continue
        sizes = Counter(round(ch["size"], 1) for ch in raw["chars"])
        size = sizes.most_common(1)[0][0] if sizes else 10.0
        lines.append(_Line(text, raw["x0"], raw["x1"], raw["top"], raw["bottom"], size, page_no))
    return lines


def _read_page(page: Page, page_no: int) -> _Page:
    tables = _page_tables(page, page_no)
    boxes = [(x0 - 1, top - 1, x1 + 1, bottom + 1) for (x0, top, x1, bottom), _ in tables]
    items: list[_Line | _Grid] = [*_page_lines(page, page_no, boxes), *(g for _, g in tables)]
    items.sort(key=lambda item: item.top)
    unmapped = sum(1 for ch in page.chars if _UNMAPPED.fullmatch(ch["text"]))
    return _Page(items=items, height=float(page.height), chars=len(page.chars), unmapped_chars=unmapped)


def _read_pages(data: bytes, name: str) -> list[_Page]:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
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
            or not (_PAGE_NUMBER.fullmatch(item.text.replace(" ", "")) or _running_key(item) in running)
        ]  # fmt: skip


# --- tables across pages -----------------------------------------------------------------------


def _repeated_header_rows(first: _Grid, cont: _Grid) -> int:
    """How many leading rows of the continuation repeat the first part's header rows."""
    limit = min(5, len(first.rows) - 1, len(cont.rows) - 1)
    for k in range(limit, 0, -1):
        if cont.rows[:k] == first.rows[:k]:
            return k
    return 0


def _carry_cut_spans(first: _Grid, cont: _Grid) -> None:
    """A merged cell cut by the page break leaves a blank cell at the top of the continuation;
    the cut cell's text belongs to those rows too. A cut is recognised when the cell before
    the break spans several rows down to it, or the blank cell after it spans several rows."""
    if not first.rows or not cont.rows:
        return
    last = len(first.rows) - 1
    for c, text in enumerate(first.rows[last]):
        if not text or cont.rows[0][c]:
            continue
        r0, r1 = first.row_ranges[last][c]
        c0, c1 = cont.row_ranges[0][c]
        if r1 - r0 < 2 and c1 - c0 < 2:
            continue
        for r in range(c0, c1):
            cont.rows[r][c] = text


def _column_edges(grid: _Grid) -> list[float]:
    return [grid.cols[0][0], *(x1 for _, x1 in grid.cols)]


def _regrid(grid: _Grid, edges: list[float]) -> _Grid:
    """The same table on finer column edges: a column split in two repeats its text in both,
    as a spanning cell does."""
    cols = list(pairwise(edges))
    source = [
        next(i for i, (x0, x1) in enumerate(grid.cols) if x0 - 3 <= (a + b) / 2 <= x1 + 3) for a, b in cols
    ]
    return _Grid(
        [[row[i] for i in source] for row in grid.rows],
        [[spans[i] for i in source] for spans in grid.row_ranges],
        cols,
        grid.row_bounds,
        grid.page,
    )


def _aligned(first: _Grid, cont: _Grid) -> tuple[_Grid, _Grid] | None:
    """Both parts on the same columns, or None if their columns differ.

    A page part can lack the cells that separate some columns (only full-width label rows,
    say), so one part's column edges may be a subset of the other's; both then use the finer.
    """
    a, b = _column_edges(first), _column_edges(cont)

    def subset(small: list[float], large: list[float]) -> bool:
        return all(any(abs(x - y) <= 3 for y in large) for x in small)

    if abs(a[0] - b[0]) > 3 or abs(a[-1] - b[-1]) > 3:
        return None
    if subset(a, b):
        return _regrid(first, b), _regrid(cont, b)
    if subset(b, a):
        return _regrid(first, a), _regrid(cont, a)
    return None


def _is_title_row(row: list[str]) -> bool:
    """A row that is one cell across the whole table ("第二十条第（五）项")."""
    return len(row) > 1 and bool(row[0]) and all(cell == row[0] for cell in row)


def _continuation(first: _Grid, cont: _Grid, body_bottom: float) -> int | None:
    """If `cont` (first on its page) continues `first` (last on the page before), the number of
    repeated header rows to drop from it; None when it is a table of its own.

    A continuation (on the same columns) either repeats the header rows, or follows a table
    that ran to the bottom of the text area (its next row did not fit there). A table opening
    with a full-width title row, after one that did too, is the next table of a series.
    """
    if cont.page != first.page + 1:
        return None
    drop = _repeated_header_rows(first, cont)
    if drop:
        return drop
    if _is_title_row(first.rows[0]) and _is_title_row(cont.rows[0]):
        return None
    first_row_height = cont.row_bounds[0][1] - cont.row_bounds[0][0]
    return 0 if body_bottom - first.bottom <= 1.5 * first_row_height + 2 else None


def _body_bottom(pages: list[_Page]) -> float:
    """Where the text area ends: the lowest content on any page, or as far from the bottom
    edge as the highest content is from the top (margins are near symmetric), whichever is
    lower."""
    bottoms = [item.bottom for page in pages for item in page.items]
    tops = [(page.height, item.top) for page in pages for item in page.items]
    if not bottoms:
        return 0.0
    return max(max(bottoms), max(height - top for height, top in tops))


def _append_rows(first: _Grid, cont: _Grid, drop: int) -> None:
    cont.rows, cont.row_bounds = cont.rows[drop:], cont.row_bounds[drop:]
    cont.row_ranges = [[(a - drop, b - drop) for a, b in row] for row in cont.row_ranges[drop:]]
    _carry_cut_spans(first, cont)
    offset = len(first.rows)
    first.rows.extend(cont.rows)
    first.row_ranges.extend([[(a + offset, b + offset) for a, b in row] for row in cont.row_ranges])
    first.row_bounds.extend(cont.row_bounds)
    first.page = cont.page


def _joined(prev: _Grid, item: _Grid, body_bottom: float) -> _Grid | None:
    """`prev` with `item` appended when `item` continues it across a page break, else None."""
    aligned = _aligned(prev, item)
    if aligned is None:
        return None
    first, cont = aligned
    drop = _continuation(first, cont, body_bottom)
    if drop is None or drop >= len(cont.rows):
        return None
    _append_rows(first, cont, drop)
    return first


def _merge_tables(pages: list[_Page]) -> list[_Line | _Grid]:
    """Flatten the pages into one item list, joining tables continued across a page break."""
    body_bottom = _body_bottom(pages)
    items: list[_Line | _Grid] = []
    for page in pages:
        for i, item in enumerate(page.items):
            prev = items[-1] if items else None
            if i == 0 and isinstance(item, _Grid) and isinstance(prev, _Grid):
                joined = _joined(prev, item, body_bottom)
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
    weights = Counter()
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


def _assemble(items: list[_Line | _Grid]) -> list[Paragraph | Table]:
    layout = _layout([item for item in items if isinstance(item, _Line)])
    blocks: list[Paragraph | Table] = []
    current: list[str] = []
    prev: _Line | None = None

    def flush() -> None:
        if current:
            blocks.append(Paragraph(join_lines(current)))
            current.clear()

    for item in items:
        if isinstance(item, _Grid):
            flush()
            rows = tidy_grid(item.rows)
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
    if sum(page.unmapped_chars for page in pages) > 0.5 * chars:
        raise _unmapped(name)
    _drop_running_lines(pages)
    if not any(page.items for page in pages):
        raise _scanned(name)  # the only text was page numbers stamped onto scanned pages
    return _assemble(_merge_tables(pages))

"""Ruled tables of a PDF page → grids, and grids joined across page breaks (used by ingest.pdf).

- Tables come from ruling lines (`page.find_tables()`); each is rebuilt as a full grid from its
  cell rectangles, so a spanning cell's text is repeated in every grid position it covers.
- Word/WPS exports often draw narrative text inside boxes (one shaded or framed rectangle per
  line or per paragraph), which pdfplumber finds as one-column tables; a box may even share its
  ruling with the statistical table below it. A run of full-width rows at the top or bottom of
  a grid that holds prose is such a box: it is cut out of the grid and its text is left to the
  page's running text, so section headings and paragraphs read as they do on paper.
- Table 2's 第二十条 items drawn as one ruled block are cut apart where the columns change,
  and columns that one spanning cell fills in every row of a table are one column.
- Text found in the grid where no cell was detected (a border line not drawn) is a cell.
- A table that ends one page and goes on at the top of the next (same columns, and either its
  header rows repeated or the first part running to the bottom of the text area) is one table:
  the parts are joined, the repeated header rows dropped, and a label cell whose span was cut
  by the page break is carried onto the continuation rows, or joined with its tail there
  ("（四）无" + "法提供").
- Cell text is tightened (ingest.pdf_text): no spaces inside CJK text or between CJK characters
  and digits, and a number wrapped in a narrow cell is one number again.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pdfplumber.page import Page
from pdfplumber.utils.text import extract_text as chars_to_text

from ingest.html import clean_text, tidy_grid
from ingest.pdf_text import tighten

BBox = tuple[float, float, float, float]

_EDGE_TOLERANCE = 2.0  # points: cell edges closer than this are the same grid line
_WRAPPED_NUMBER = re.compile(r"(?<=\d)\n(?=[\d.,])|(?<=[\d,])\n(?=\d)")
_SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_LABEL_START = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+\s*[.、．]"
    r"|第[一二三四五六七八九十百零〇\d]+[章节条项])"
)
_NUMERIC = re.compile(r"^[-−－]?[\d,，.]+\s*\S{0,2}$")
_PROSE_CHARS = 15  # a full-width line this long in a text box is running text
_PROSE_MARKS = ("，", "。", "；", "！", "？")
_BRACKETED = re.compile(r"[（(][^（()）]*[）)]")


@dataclass
class Grid:
    """One table on one page: cell texts, per position the row range of its cell and the
    cell's id (positions with one id are one merged cell), and the x-extent of each column and
    y-extent of each row."""

    rows: list[list[str]]
    row_ranges: list[list[tuple[int, int]]]
    cols: list[tuple[float, float]]
    row_bounds: list[tuple[float, float]]
    page: int
    ids: list[list[int]]

    @property
    def top(self) -> float:
        return self.row_bounds[0][0]

    @property
    def bottom(self) -> float:
        return self.row_bounds[-1][1]

    @property
    def bbox(self) -> BBox:
        return (self.cols[0][0], self.top, self.cols[-1][1], self.bottom)

    def slice(self, start: int, stop: int) -> Grid:
        """Rows start..stop as a grid of their own (spans clipped to the slice)."""

        def clip(span: tuple[int, int]) -> tuple[int, int]:
            return (max(span[0], start) - start, min(span[1], stop) - start)

        return Grid(
            [list(row) for row in self.rows[start:stop]],
            [[clip(span) for span in spans] for spans in self.row_ranges[start:stop]],
            self.cols,
            self.row_bounds[start:stop],
            self.page,
            [list(ids) for ids in self.ids[start:stop]],
        )


# --- one page ----------------------------------------------------------------------------------


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
    """A cell's text: its lines joined (a number wrapped in a narrow cell stays one number),
    spaced-out characters closed up."""
    if not chars:
        return ""
    text = _WRAPPED_NUMBER.sub("", chars_to_text(chars, x_tolerance=1.5, y_tolerance=3))
    return tighten(clean_text(text, cell=True))


def _grid_from_cells(cells: list[BBox], chars: list[dict[str, Any]], page: int) -> Grid:
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
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    cell_chars: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        position = (bisect.bisect_right(ys, cy) - 1, bisect.bisect_right(xs, cx) - 1)
        if position not in owner and 0 <= position[0] < n_rows and 0 <= position[1] < n_cols:
            # Text in the grid where no cell was found: a border line was not drawn (the top
            # of a table continued from the page before, say); the position is a cell.
            owner[position] = len(spans)
            spans.append((position[0], position[0] + 1))
        if position in owner:
            cell_chars[owner[position]].append(ch)
    texts = {k: _cell_text(cell_chars[k]) for k in range(len(spans))}
    rows = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    ranges = [[(r, r + 1) for _ in range(n_cols)] for r in range(n_rows)]
    ids = [[len(spans) + r * n_cols + c for c in range(n_cols)] for r in range(n_rows)]  # no cell: its own
    for (r, c), k in owner.items():
        rows[r][c] = texts[k]
        ranges[r][c] = spans[k]
        ids[r][c] = k
    cols = [(xs[c], xs[c + 1]) for c in range(n_cols)]
    return Grid(rows, ranges, cols, [(ys[r], ys[r + 1]) for r in range(n_rows)], page, ids)


def _drop_blank_rows(grid: Grid) -> Grid:
    """Drop spacer rows, keeping the span ranges aligned. Blank columns are dropped only after
    tables are joined across pages: a column blank on one page may hold values on another."""
    keep = [r for r, row in enumerate(grid.rows) if any(row)]
    new_index = {r: i for i, r in enumerate(keep)}

    def remap(span: tuple[int, int]) -> tuple[int, int]:
        inside = [new_index[r] for r in range(*span) if r in new_index]
        return (inside[0], inside[-1] + 1) if inside else span

    return Grid(
        [grid.rows[r] for r in keep],
        [[remap(span) for span in grid.row_ranges[r]] for r in keep],
        grid.cols,
        [grid.row_bounds[r] for r in keep],
        grid.page,
        [grid.ids[r] for r in keep],
    )


def _full_width(grid: Grid, r: int) -> bool:
    """Row `r` is one cell across the whole table (or the table has one column)."""
    return bool(grid.rows[r][0]) and all(k == grid.ids[r][0] for k in grid.ids[r])


def _is_prose(text: str) -> bool:
    """A sentence: a comma, full stop or semicolon outside brackets ("（区分处理的，只计…）" in a
    row label does not count)."""
    bare = _BRACKETED.sub("", text)
    return any(mark in bare for mark in _PROSE_MARKS)


def _is_running_text(text: str) -> bool:
    """A line of a text box: prose, a section heading ("二、主动公开政府信息情况") or a long line,
    as opposed to a table title ("第二十条第（一）项", "单位：件")."""
    compact = text.replace(" ", "")
    return _is_prose(compact) or bool(_SECTION_HEADING.match(compact)) or len(compact) >= _PROSE_CHARS


def _text_rows(grid: Grid) -> list[bool]:
    """Which rows are a text box rather than table rows.

    A text box drawn against a table shares its ruling, so it shows as a run of full-width rows
    at the top or the bottom of the grid (or as the whole grid); the run is a text box when one
    of its rows is prose. A leading box reaches to its last line of running text, so the title
    rows just above the table body ("第二十条第（一）项") stay with the table; a trailing box
    reaches to the end. Full-width rows between body rows are group rows of the table.
    """
    n = len(grid.rows)
    wide = [_full_width(grid, r) for r in range(n)]
    text = [False] * n
    lead = next((r for r in range(n) if not wide[r]), n)
    trail = next((r + 1 for r in range(n - 1, -1, -1) if not wide[r]), 0)
    if any(_is_prose(grid.rows[r][0]) for r in range(lead)):
        running = [r for r in range(lead) if _is_running_text(grid.rows[r][0])]
        last = n - 1 if lead == n else running[-1]
        text[: last + 1] = [True] * (last + 1)
    if trail > 0 and any(_is_prose(grid.rows[r][0]) for r in range(trail, n)):
        text[trail:] = [True] * (n - trail)
    return text


def _cuts(grid: Grid, r: int) -> frozenset[int]:
    """The column boundaries that row `r` draws (where one cell ends and the next begins)."""
    ids = grid.ids[r]
    return frozenset(c for c in range(1, len(ids)) if ids[c] != ids[c - 1])


def _split_at_titles(grid: Grid) -> list[Grid]:
    """Cut a grid before each full-width title row that opens rows on other columns: the
    第二十条 items of table 2 drawn as one ruled block, each item with its own columns."""
    n = len(grid.rows)
    titles = [r for r in range(1, n) if _full_width(grid, r) and not _full_width(grid, r - 1)]
    bounds = [0, *titles, n]
    structure = [frozenset().union(*(_cuts(grid, r) for r in range(a, b))) for a, b in pairwise(bounds)]
    starts = [0] + [
        t
        for i, t in enumerate(titles)
        if structure[i] and structure[i + 1] and structure[i] != structure[i + 1]
    ]
    return [grid.slice(a, b) for a, b in pairwise([*starts, n])]


def _table_parts(grid: Grid) -> list[Grid]:
    """The grid without its text boxes, cut into its tables."""
    text = _text_rows(grid)
    rows = [r for r in range(len(grid.rows)) if not text[r]]
    if not rows:
        return []
    return _split_at_titles(grid.slice(rows[0], rows[-1] + 1))


def table_rows(grid: Grid) -> list[list[str]]:
    """The grid's rows with columns that one spanning cell fills in every row made one column
    (a value cell spanning the three columns of the item above it), then tidied."""
    keep = [c for c in range(len(grid.cols)) if c == 0 or any(ids[c] != ids[c - 1] for ids in grid.ids)]
    return tidy_grid([[row[c] for c in keep] for row in grid.rows])


def page_tables(page: Page, page_no: int) -> list[Grid]:
    """The page's ruled tables as grids, without the text boxes among them (their text is
    read as running text: it lies outside every returned grid's bbox)."""
    grids: list[Grid] = []
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
            grids.extend(_table_parts(grid))
    return grids


# --- across pages ------------------------------------------------------------------------------


def _repeated_header_rows(first: Grid, cont: Grid) -> int:
    """How many leading rows of the continuation repeat the first part's header rows."""
    limit = min(5, len(first.rows) - 1, len(cont.rows) - 1)
    for k in range(limit, 0, -1):
        if cont.rows[:k] == first.rows[:k]:
            return k
    return 0


def _is_cut_label(head: str, tail: str) -> bool:
    """`head` (last row before a page break) and `tail` (first row after it) are the two halves
    of one label cell: the head opens like a label ("（四）无") and the tail does not ("法提供")."""
    if not head or not tail or head == tail or _NUMERIC.match(head) or _NUMERIC.match(tail):
        return False
    return bool(_LABEL_START.match(head)) and not _LABEL_START.match(tail)


def _carry_cut_spans(first: Grid, cont: Grid) -> None:
    """A merged cell cut by the page break leaves a blank cell, or the rest of its text, at the
    top of the continuation; the cut cell's text belongs to those rows too. A blank is a cut
    when the cell before the break spans several rows down to it, or the blank cell after it
    spans several rows; a text is the cell's tail when `_is_cut_label` says so."""
    if not first.rows or not cont.rows:
        return
    last = len(first.rows) - 1
    title = _is_title_row(first.rows[last])
    for c, text in enumerate(first.rows[last]):
        if not text:
            continue
        tail = cont.rows[0][c]
        r0, r1 = first.row_ranges[last][c]
        c0, c1 = cont.row_ranges[0][c]
        if tail and not title and _is_cut_label(text, tail):
            text = tighten(text + tail)
            for r in range(r0, r1):
                first.rows[r][c] = text
        elif tail or (r1 - r0 < 2 and c1 - c0 < 2):
            continue
        for r in range(c0, c1):
            cont.rows[r][c] = text


def _column_edges(grid: Grid) -> list[float]:
    return [grid.cols[0][0], *(x1 for _, x1 in grid.cols)]


def _regrid(grid: Grid, edges: list[float]) -> Grid:
    """The same table on finer column edges: a column split in two repeats its text in both,
    as a spanning cell does."""
    cols = list(pairwise(edges))
    source = [
        next(i for i, (x0, x1) in enumerate(grid.cols) if x0 - 3 <= (a + b) / 2 <= x1 + 3) for a, b in cols
    ]
    return Grid(
        [[row[i] for i in source] for row in grid.rows],
        [[spans[i] for i in source] for spans in grid.row_ranges],
        cols,
        grid.row_bounds,
        grid.page,
        [[ids[i] for i in source] for ids in grid.ids],
    )


def _aligned(first: Grid, cont: Grid) -> tuple[Grid, Grid] | None:
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


def _continuation(first: Grid, cont: Grid, body_bottom: float) -> int | None:
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


def _append_rows(first: Grid, cont: Grid, drop: int) -> None:
    cont.rows, cont.row_bounds = cont.rows[drop:], cont.row_bounds[drop:]
    cont.row_ranges = [[(a - drop, b - drop) for a, b in row] for row in cont.row_ranges[drop:]]
    _carry_cut_spans(first, cont)
    offset = len(first.rows)
    id_offset = 1 + max((k for ids in first.ids for k in ids), default=0)
    first.rows.extend(cont.rows)
    first.row_ranges.extend([[(a + offset, b + offset) for a, b in row] for row in cont.row_ranges])
    first.row_bounds.extend(cont.row_bounds)
    first.ids.extend([[k + id_offset for k in ids] for ids in cont.ids[drop:]])
    first.page = cont.page


def join_continuation(prev: Grid, item: Grid, body_bottom: float) -> Grid | None:
    """`prev` with `item` appended when `item` continues it across a page break, else None.

    `body_bottom` is where the text area ends on a page (see ingest.pdf).
    """
    aligned = _aligned(prev, item)
    if aligned is None:
        return None
    first, cont = aligned
    drop = _continuation(first, cont, body_bottom)
    if drop is None or drop >= len(cont.rows):
        return None
    _append_rows(first, cont, drop)
    return first

"""Word (.docx) loader: body paragraphs and tables in document order, merged cells resolved.

The grid is built from the table XML itself (w:gridBefore, w:gridSpan, w:vMerge), so a
horizontally merged cell repeats its text across the columns it spans and a vertically merged
cell repeats it down the rows it spans, whatever python-docx's cell view does.
"""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from ingest.html import clean_text, tidy_grid
from ingest.limits import TooManyCells, current_limits, table_error, too_much
from ingest.types import IngestError, Paragraph, Table

_W_P, _W_TBL, _W_TR, _W_TC, _W_SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")
_W_SDT_CONTENT, _W_CUSTOM_XML = qn("w:sdtContent"), qn("w:customXml")
_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_W_VAL = qn("w:val")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_MAX_SPAN = 1000


def _corrupt(name: str, detail: str) -> IngestError:
    return IngestError(
        f"{name}: the Word document is damaged or not a valid .docx file ({detail})",
        f"{name}：Word 文档已损坏或不是有效的 .docx 文件（{detail}）",
        "corrupt",
    )


def _children(element: etree._Element, tag: str) -> list[etree._Element]:
    """Direct children with `tag`, looking through content controls and custom XML wrappers."""
    found: list[etree._Element] = []
    for child in element:
        if child.tag == tag:
            found.append(child)
        elif child.tag in (_W_SDT, _W_CUSTOM_XML):
            inner = child.find(_W_SDT_CONTENT) if child.tag == _W_SDT else child
            if inner is not None:
                found.extend(_children(inner, tag))
    return found


def paragraph_lines(p: etree._Element) -> list[str]:
    """The text of a w:p split at its line breaks (w:br, w:cr); tabs become spaces.

    Deleted text (w:delText) is not w:t, so tracked deletions are left out; the fallback copy of
    a text box (mc:Fallback) is skipped so its text is not read twice.
    """
    lines: list[str] = [""]
    for node in p.iter(_W_T, _W_TAB, _W_BR, _W_CR):
        if any(ancestor.tag == _MC_FALLBACK for ancestor in node.iterancestors()):
            continue
        if node.tag == _W_T:
            lines[-1] += node.text or ""
        elif node.tag == _W_TAB:
            lines[-1] += " "
        elif node.get(qn("w:type")) in (None, "textWrapping"):
            lines.append("")
    return lines


def _cell_text(tc: etree._Element) -> str:
    lines: list[str] = []
    for p in tc.iter(_W_P):
        lines.extend(paragraph_lines(p))
    return clean_text("\n".join(lines), cell=True)


def _int_val(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return min(max(int(element.get(_W_VAL, default)), 0), _MAX_SPAN)
    except ValueError:
        return default


def table_grid(tbl: etree._Element) -> list[list[str]]:
    """Expand a w:tbl into a rectangular grid of cell texts.

    gridSpan repeats a cell across its columns; a w:vMerge continuation cell takes the text of
    the cell above it (which already holds the restart cell's text).
    """
    grid: list[list[str]] = []
    cells, max_cells = 0, current_limits().max_table_cells
    for tr in _children(tbl, _W_TR):
        tr_pr = tr.find(qn("w:trPr"))
        col = _int_val(tr_pr.find(qn("w:gridBefore")) if tr_pr is not None else None, 0)
        row: list[str] = [""] * col
        for tc in _children(tr, _W_TC):
            tc_pr = tc.find(qn("w:tcPr"))
            span = max(_int_val(tc_pr.find(qn("w:gridSpan")) if tc_pr is not None else None, 1), 1)
            cells += span
            if cells + col > max_cells:  # checked before the row is widened
                raise TooManyCells(cells + col, max_cells)
            v_merge = tc_pr.find(qn("w:vMerge")) if tc_pr is not None else None
            if v_merge is not None and v_merge.get(_W_VAL) in (None, "continue") and grid:
                above = grid[-1]
                texts = [above[c] if c < len(above) else "" for c in range(col, col + span)]
            else:
                texts = [_cell_text(tc)] * span
            row.extend(texts)
            col += span
        grid.append(row)
    return grid


def _is_layout_table(tbl: etree._Element) -> bool:
    """A table used for layout: it holds other tables, or every row is a single cell (a frame
    around prose carries no row/column structure)."""
    rows = [_children(tr, _W_TC) for tr in _children(tbl, _W_TR)]
    if not rows or any(tc.find(f".//{_W_TBL}") is not None for cells in rows for tc in cells):
        return True
    return max(len(cells) for cells in rows) <= 1


def _body_blocks(body: etree._Element) -> list[Paragraph | Table]:
    """Blocks of a body, content control or layout-table cell, in document order."""
    blocks: list[Paragraph | Table] = []
    for child in body:
        if child.tag == _W_P:
            for line in paragraph_lines(child):
                text = clean_text(line)
                if text:
                    blocks.append(Paragraph(text))
        elif child.tag == _W_TBL and _is_layout_table(child):
            for tr in _children(child, _W_TR):
                for tc in _children(tr, _W_TC):
                    blocks.extend(_body_blocks(tc))
        elif child.tag == _W_TBL:
            grid = tidy_grid(table_grid(child))
            if grid:
                blocks.append(Table(grid))
        elif child.tag in (_W_SDT, _W_CUSTOM_XML):
            inner = child.find(_W_SDT_CONTENT) if child.tag == _W_SDT else child
            if inner is not None:
                blocks.extend(_body_blocks(inner))
    return blocks


def load_docx(data: bytes, name: str) -> list[Paragraph | Table]:
    """Load a .docx file's body into paragraphs and tables in document order.

    The archive's unpacked sizes are checked first (zipfile's directory; zipfile never reads a
    member past its recorded size): IngestError "too_large" over the limits of ingest.limits.
    """
    _check_unpacked_size(data, name)
    try:
        document = Document(io.BytesIO(data))
    # BadZipFile, KeyError (missing part), XMLSyntaxError, python-docx's PackageNotFoundError and
    # ValueError (wrong content type) all mean the same thing to the user.
    except Exception as exc:
        raise _corrupt(name, type(exc).__name__) from exc
    try:
        return _body_blocks(document.element.body)
    except TooManyCells as exc:
        raise table_error(name, exc) from None


def _check_unpacked_size(data: bytes, name: str) -> None:
    """IngestError when the XML parts together or all parts together unpack past the limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # python-docx reports the damaged file
    limits = current_limits()
    markup = sum(m.file_size for m in members if m.filename.lower().endswith((".xml", ".rels")))
    if markup > limits.max_markup_bytes:
        raise too_much(
            name,
            "the Word document's XML unpacked",
            "Word 文档解压后的 XML 大小",
            markup,
            limits.max_markup_bytes,
        )
    total = sum(m.file_size for m in members)
    if total > limits.max_unpacked_bytes:
        raise too_much(
            name, "the Word document unpacked", "Word 文档解压后大小", total, limits.max_unpacked_bytes
        )

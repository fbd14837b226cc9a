"""A page per document: GET /documents/{source} (source = the file name as in citations).

A report shows its sections in the format's order and its tables 表二/表三/表四 as HTML tables
built from the facts table (blank cells shown as blank), with the ingest checks beside the table
they concern. A regulation shows its chapters and articles. Every section, article, table row and
check carries the anchor its citations link to (assistant.links.section_anchor), and the cited one
is highlighted (CSS :target). Every string is escaped; the page has no script.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.links import DOCUMENTS_PATH, section_anchor
from ingest.template import TABLE3_BY_KEY, table3_path
from ingest.types import CheckResult, Chunk, Document, Fact

router = APIRouter(include_in_schema=False)

TABLES = ("表二", "表三", "表四")
TABLE_TITLES = {
    "表二": "主动公开政府信息情况",
    "表三": "收到和处理政府信息公开申请情况",
    "表四": "政府信息公开行政复议、行政诉讼情况",
}
NUMERALS = "一二三四五六七八九十"
SKIPPED_CHUNKS = {
    "statement",
    "table_row",
}  # statements repeat sentences of their section; rows are in tables
NOT_FOUND_ZH = "资料库中没有这个文件。"
NOT_FOUND_EN = "No document of that name is in the corpus."
STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0;color:#1f2328;
 background:#fafafa;line-height:1.6}
header,main{max-width:1240px;margin:0 auto;padding:12px 20px}
header{border-bottom:1px solid #ddd;background:#fff} h1{font-size:20px;margin:6px 0}
h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #e5e5e5} h3{font-size:15px;margin:12px 0 4px}
.meta,.muted{color:#666;font-size:13px} nav a{margin-right:10px;font-size:13px}
.block{padding:4px 8px;margin:4px 0;border-radius:6px;white-space:pre-wrap}
.block:target,.article:target{background:#fff3b0;outline:2px solid #e0b400}
.with-checks{display:grid;grid-template-columns:minmax(0,1fr) 260px;gap:16px;align-items:start}
.with-checks>.grid{overflow-x:auto} table.facts thead th{white-space:nowrap}
table.facts tbody th{min-width:9em}
@media (max-width:820px){.with-checks{grid-template-columns:minmax(0,1fr)}}
table.facts{border-collapse:collapse;font-size:13px;background:#fff}
table.facts th,table.facts td{border:1px solid #bbb;padding:2px 6px}
table.facts td{text-align:right;min-width:2.5em} table.facts td.blank{background:#f3f3f3}
table.facts tbody th{text-align:left;font-weight:normal} tr.group th{font-weight:bold;background:#f5f5f5}
table.facts tr:has(:target) th,table.facts tr:has(:target) td{background:#fff3b0}
table.facts tr:has(:target){outline:2px solid #e0b400}
aside.checks{font-size:13px;position:sticky;top:8px} aside.checks li{margin:3px 0;padding:2px 4px}
aside.checks li.bad{color:#b3261e} aside.checks li.ok{color:#17803d} aside.checks li:target{background:#fff3b0}
a.anchor{display:inline-block;width:0;height:0;overflow:hidden}
"""


@dataclass
class Section:
    """A top-level section (一、总体情况; a regulation's chapter) with its blocks and table."""

    title: str
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)  # (full section path, texts)
    table: str | None = None


@router.get("/documents/{source}", response_class=HTMLResponse)
def document_page(source: str, request: Request) -> HTMLResponse:
    """The document's page: sections, tables as HTML tables with their checks, anchors for citations."""
    store = request.app.state.assistant.store
    found = store.catalog.documents_by_source(source)
    if not found:
        body = (
            f"<header><h1>{_e(NOT_FOUND_ZH)}</h1></header><main><p>{_e(NOT_FOUND_EN)}</p>"
            f'<p class="muted">{_e(source)}</p><p><a href="/">返回问答 / Back to the chat</a></p></main>'
        )
        return _page("404", body, 404)
    doc = found[0]
    catalog = store.catalog
    return _page(
        doc.title or doc.source,
        render_document(
            doc,
            catalog.chunks([doc.doc_id]),
            catalog.facts(doc.doc_id),
            catalog.checks(doc.doc_id),
            catalog.problems(doc.doc_id),
        ),
    )


def render_document(
    doc: Document, chunks: list[Chunk], facts: list[Fact], checks: list[CheckResult], problems: list[str]
) -> str:
    """The page body of one document (pure: what the catalog holds in, HTML out)."""
    sections = _sections(chunks, facts)
    meta = " · ".join(
        x for x in (doc.source, doc.agency, f"{doc.year}年" if doc.year else "", _kind(doc.kind)) if x
    )
    nav = "".join(f'<a href="#{_id("sec:" + s.title)}">{_e(s.title)}</a>' for s in sections)
    parts = [
        f'<header><h1>{_e(doc.title or doc.source)}</h1><div class="meta">{_e(meta)}</div>'
        f'<nav><a href="/">← 返回问答</a>{nav}</nav></header><main>'
    ]
    rows_by_table = _rows_by_table(facts)
    for section in sections:
        parts.append(f'<h2 id="{_id("sec:" + section.title)}">{_e(section.title)}</h2>')
        parts.extend(_block_html(path, texts, section.title) for path, texts in section.blocks)
        if section.table:
            parts.append(_table_with_checks(section.table, rows_by_table[section.table], chunks, checks))
    others = [c for c in checks if _check_table(c) is None]
    if others or problems:
        parts.append("<h2>其他核对</h2>" + _checks_html(others, problems))
    parts.append("</main>")
    return "".join(parts)


def _sections(chunks: list[Chunk], facts: list[Fact]) -> list[Section]:
    """Top-level sections in the format's order (preamble first, then 一、… by numeral), each with its
    blocks (consecutive chunks of one section path joined) and the table it holds."""
    by_title: dict[str, Section] = {}
    for chunk in sorted(chunks, key=lambda c: c.ordinal):
        top = chunk.section.split(" / ")[0].strip() or "正文"
        section = by_title.setdefault(top, Section(top))
        if chunk.chunk_type in SKIPPED_CHUNKS:
            table = next((t for t in TABLES if f" / {t} / " in f" / {chunk.section} / "), None)
            section.table = section.table or table
            continue
        if section.blocks and section.blocks[-1][0] == chunk.section:
            section.blocks[-1][1].append(chunk.text)
        else:
            section.blocks.append((chunk.section, [chunk.text]))
    have = {f.table for f in facts}
    for table in TABLES:  # a table whose rows were not chunked still gets a place
        if table in have and not any(s.table == table for s in by_title.values()):
            by_title.setdefault(table, Section(f"{table} {TABLE_TITLES[table]}", table=table))
    return sorted(by_title.values(), key=_order)


def _order(section: Section) -> tuple[int, int]:
    first = section.title[:1]
    if section.title.startswith("第") and "章" in section.title[:6]:
        return (1, 0)  # chapters keep their order (stable sort)
    return (1, NUMERALS.index(first)) if first in NUMERALS and section.title[1:2] == "、" else (0, 0)


def _block_html(path: str, texts: list[str], top: str) -> str:
    heading = path[len(top) :].lstrip(" /") if path.startswith(top) else path
    head = f"<h3>{_e(heading)}</h3>" if heading else ""
    body = "\n".join(texts)
    return f'<div class="block" id="{section_anchor(path)}">{head}{_e(body)}</div>'


# --------------------------------------------------------------------------- tables


def _rows_by_table(facts: list[Fact]) -> dict[str, list[tuple[Fact, list[Fact]]]]:
    """Per table, its rows in published order: (first fact, the row's facts)."""
    rows: dict[str, dict[str, list[Fact]]] = {t: {} for t in TABLES}
    for fact in sorted(facts, key=lambda f: f.ordinal):
        rows.setdefault(fact.table, {}).setdefault(fact.row_key, []).append(fact)
    return {t: [(r[0], r) for r in by_key.values()] for t, by_key in rows.items()}


def _table_with_checks(
    table: str, rows: list[tuple[Fact, list[Fact]]], chunks: list[Chunk], checks: list[CheckResult]
) -> str:
    chunk_sections = _row_chunk_sections(chunks)
    tables = _grids(table, rows, chunk_sections)
    own = [c for c in checks if _check_table(c) == table]
    if not own:
        return f'<div class="grid">{"".join(tables)}</div>'
    aside = f'<aside class="checks"><h3>核对（勾稽关系）</h3>{_checks_html(own, [])}</aside>'
    # Two columns (table, its checks) on a wide screen; the checks under the table on a narrow one.
    return f'<div class="with-checks"><div class="grid">{"".join(tables)}</div>{aside}</div>'


def _row_chunk_sections(chunks: Iterable[Chunk]) -> dict[tuple[str, str], str]:
    """(table, published row path) → the section of that row's chunk (what retrieval cites)."""
    out: dict[tuple[str, str], str] = {}
    for chunk in chunks:
        if chunk.chunk_type != "table_row":
            continue
        parts = chunk.section.split(" / ")
        for i, part in enumerate(parts):
            if part in TABLES:
                out[(part, " / ".join(parts[i + 1 :]))] = chunk.section
    return out


def _grids(
    table: str, rows: list[tuple[Fact, list[Fact]]], chunk_sections: dict[tuple[str, str], str]
) -> list[str]:
    """The table as one grid (表三, 表四) or one grid per item of 第二十条 (表二, whose items have
    columns of their own); header rows for each group of rows (（三）不予公开 over its eight)."""
    groups: dict[str, list[tuple[Fact, list[Fact]]]] = {}
    for first, row in rows:
        key = first.row_path.split(" / ")[0] if table == "表二" else ""
        groups.setdefault(key, []).append((first, row))
    out = []
    for item, item_rows in groups.items():
        columns = list(dict.fromkeys(f.column for _, row in item_rows for f in row))
        head = "".join(f"<th>{_e(c)}</th>" for c in columns)
        body, styles = _grid_body(table, item_rows, columns, chunk_sections, skip=1 if item else 0)
        caption = f"{table} {TABLE_TITLES.get(table, '')}" + (f" · {item}" if item else "")
        out.append(
            f"<style>{''.join(styles)}</style>"
            * bool(styles)
            + f'<table class="facts"><caption>{_e(caption)}</caption><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
    return out


def _grid_body(
    table: str,
    rows: list[tuple[Fact, list[Fact]]],
    columns: list[str],
    chunk_sections: dict[tuple[str, str], str],
    skip: int,
) -> tuple[list[str], list[str]]:
    """Row HTML with anchors (row chunk, facts citation forms) and group header rows; and one CSS
    rule per group, so that a cited group (「（三）不予公开」, 8 rows) highlights all its rows."""
    body: list[str] = []
    styles: list[str] = []
    open_groups: list[str] = []
    for first, row in rows:
        parts = first.row_path.split(" / ")
        keys = first.row_key.split(".")
        for depth in range(skip, len(parts) - 1):
            prefix = " / ".join(parts[: depth + 1])
            if depth < len(open_groups) and open_groups[depth] == prefix:
                continue
            del open_groups[depth:]
            open_groups.append(prefix)
            anchors = [f"{table} {prefix}"]
            if table == "表三" and ".".join(keys[: depth + 1]) in TABLE3_BY_KEY:
                anchors.append(f"表三 {table3_path('.'.join(keys[: depth + 1]))}")
            ids = [section_anchor(a) for a in dict.fromkeys(anchors)]
            styles.extend(f"table.facts:has(#{i}:target) tr.in-{i} > *{{background:#fff3b0}}" for i in ids)
            body.append(
                f'<tr class="group"><th colspan="{len(columns) + 1}">{_spans(ids)}{_e(parts[depth])}</th></tr>'
            )
        del open_groups[len(parts) - 1 :]
        anchors = [f"{table} {first.row_path}"]
        if (table, first.row_path) in chunk_sections:
            anchors.append(chunk_sections[(table, first.row_path)])
        if table == "表三" and first.row_key in TABLE3_BY_KEY:
            anchors.append(f"表三 {table3_path(first.row_key)}")
        ids = [section_anchor(a) for a in dict.fromkeys(anchors)]
        member = " ".join(f"in-{section_anchor(g)}" for g in _group_anchors(table, parts, keys, skip))
        cells = {f.column: f for f in row}
        tds = "".join(_cell_html(cells.get(c)) for c in columns)
        body.append(f'<tr class="{member}"><th>{_spans(ids)}{_e(parts[-1])}</th>{tds}</tr>')
    return body, styles


def _group_anchors(table: str, parts: list[str], keys: list[str], skip: int) -> list[str]:
    out = []
    for depth in range(skip, len(parts) - 1):
        out.append(f"{table} {' / '.join(parts[: depth + 1])}")
        if table == "表三" and ".".join(keys[: depth + 1]) in TABLE3_BY_KEY:
            out.append(f"表三 {table3_path('.'.join(keys[: depth + 1]))}")
    return list(dict.fromkeys(out))


def _spans(ids: list[str]) -> str:
    return "".join(f'<a class="anchor" id="{i}"></a>' for i in ids)


def _cell_html(fact: Fact | None) -> str:
    if fact is None or not fact.raw:
        return '<td class="blank" title="空白（报告未填写）"></td>'
    return f"<td>{_e(fact.raw)}</td>"


# --------------------------------------------------------------------------- checks


def _check_table(check: CheckResult) -> str | None:
    """The table a check concerns: 表四 for its totals, 表三 for the rules stated on table 3."""
    if check.rule == "表四总计":
        return "表四"
    return "表三" if check.message_zh.startswith("表三") else None


def _checks_html(checks: list[CheckResult], problems: list[str]) -> str:
    """Failed checks first (anchored as their citations 「核对：ROW」), then the passed ones."""
    items = []
    for check in sorted(checks, key=lambda c: c.ok):
        mark, cls = ("✓", "ok") if check.ok else ("✗", "bad")
        anchor = f' id="{section_anchor("核对：" + check.row)}"' if check.row and not check.ok else ""
        items.append(f'<li class="{cls}"{anchor}>{mark} {_e(check.message_zh)}</li>')
    items.extend(f'<li class="bad">✗ {_e(p)}</li>' for p in problems)
    return f"<ul>{''.join(items)}</ul>"


# --------------------------------------------------------------------------- page


def _kind(kind: str) -> str:
    return {"report": "年度报告", "regulation": "法规文件"}.get(kind, "")


def _id(text: str) -> str:
    return section_anchor(text)


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    doc = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)} · 政务公开问答</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status_code)


__all__ = ["DOCUMENTS_PATH", "render_document", "router"]

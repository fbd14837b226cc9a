"""Exact figures from the facts table, with the cells they came from.

Group rows are the sum of their sub-rows; a blank 总计 cell is computed from its columns and
the answer says so; a blank cell is never read as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.lexicon import COLUMN_GROUPS, Quantity, table2_column_words
from ingest.checks import result_leaves
from ingest.report import format_number
from ingest.template import APPLICANT_COLUMNS, TABLE3_BY_KEY, table3_children, table3_path
from ingest.types import Document, Fact

TABLE_TITLES = {
    "表二": "主动公开政府信息情况",
    "表三": "收到和处理政府信息公开申请情况",
    "表四": "行政复议、行政诉讼情况",
}


@dataclass
class Figure:
    """One figure for one document: the value (None = blank) and how it was obtained."""

    document: Document
    quantity: Quantity
    column: str
    value: float | None
    unit: str
    rows: list[tuple[str, list[Fact]]] = field(default_factory=list)  # (row label path, facts of that row)
    how: str = ""  # e.g. "8项合计" or "总计栏空白，由各类申请人相加"
    section: str = ""

    @property
    def text(self) -> str:
        return "空白（报告未填写）" if self.value is None else f"{format_number(self.value)}{self.unit}"


def figure(
    document: Document, facts: list[Fact], quantity: Quantity, column: str | None, question: str
) -> Figure | None:
    """The figure a quantity names in one report, or None when the report has no such row."""
    if quantity.table == "表三":
        return _table3(document, facts, quantity, column or "总计")
    if quantity.table == "表四":
        return _table4(document, facts, quantity, column or "总计")
    return _table2(document, facts, quantity, question)


def _row_facts(facts: list[Fact], table: str, key: str) -> dict[str, Fact]:
    return {f.column: f for f in facts if f.table == table and f.row_key == key}


def column_parts(column: str) -> tuple[str, ...]:
    """The published columns a (possibly composite) column adds up: '商业企业+法律服务机构', 法人或其他组织."""
    if column in COLUMN_GROUPS:
        return COLUMN_GROUPS[column]
    return tuple(column.split("+")) if "+" in column else (column,)


def _cell(row: dict[str, Fact], column: str) -> tuple[float | None, str]:
    """A cell's value; a blank 总计 is computed from the applicant columns when they are all filled;
    a group of columns is the sum of its filled cells (blank when all are blank)."""
    parts = column_parts(column)
    if len(parts) > 1:
        filled = {c: v for c in parts if c in row and (v := row[c].value) is not None}
        blanks = [c for c in parts if c not in filled]
        if not filled:
            return None, ""
        each = "、".join(f"{c}{format_number(v)}件" for c, v in filled.items())
        how = f"{each}，{len(parts)}栏相加"
        return sum(filled.values()), how + (f"，其中{'、'.join(blanks)}空白未计" if blanks else "")
    fact = row.get(column)
    if fact is not None and fact.value is not None:
        return fact.value, ""
    if column == "总计":
        cells = [row.get(c) for c in APPLICANT_COLUMNS]
        values = [p.value for p in cells if p is not None and p.value is not None]
        if cells and len(values) == len(cells):
            return sum(values), "总计栏空白，由各类申请人数相加得出"
    return None, ""


def row_value(row: list[Fact], column: str) -> float | None:
    """One published row's value in a column (a blank 总计 computed from its columns; None = blank)."""
    return _cell({f.column: f for f in row}, column)[0]


def _table3(document: Document, facts: list[Fact], quantity: Quantity, column: str) -> Figure | None:
    key = quantity.row
    keys = {f.row_key for f in facts if f.table == "表三"}
    if not keys:
        return None
    label = table3_path(key)
    if key in keys:
        row = _row_facts(facts, "表三", key)
        value, how = _cell(row, column)
        published = next(iter(row.values())).row_path
        return Figure(
            document, quantity, column, value, "件", [(published, list(row.values()))], how, f"表三 {label}"
        )
    children = [k for k in (table3_children(key) if key != "三" else []) if k in keys]
    if key == "三.7":
        children = result_leaves(keys)
    if not children:
        return None
    rows: list[tuple[str, list[Fact]]] = []
    total = 0.0
    blanks = []
    notes = set()
    for child in children:
        row = _row_facts(facts, "表三", child)
        value, how = _cell(row, column)
        published = next(iter(row.values())).row_path if row else table3_path(child)
        rows.append((published, list(row.values())))
        if value is None:
            blanks.append(TABLE3_BY_KEY[child].label)
        else:
            total += value
        if how:
            notes.add(how)
    how = f"{len(children)}项合计"
    if blanks:
        how += f"，其中{'、'.join(blanks)}空白未计"
    if notes:
        how += "；" + "；".join(sorted(notes))
    value = None if len(blanks) == len(children) else total
    return Figure(document, quantity, column, value, "件", rows, how, f"表三 {label}")


def _table4(document: Document, facts: list[Fact], quantity: Quantity, column: str) -> Figure | None:
    parts = ["诉讼.直接", "诉讼.复议后"] if quantity.row == "诉讼" else [quantity.row]
    rows: list[tuple[str, list[Fact]]] = []
    total = 0.0
    any_value = False
    for part in parts:
        row = _row_facts(facts, "表四", part)
        if not row:
            return None
        fact = row.get(column)
        value = fact.value if fact else None
        if value is None and column == "总计":
            pieces = [row.get(c) for c in ("结果维持", "结果纠正", "其他结果", "尚未审结")]
            known = [p.value for p in pieces if p is not None and p.value is not None]
            if len(known) == len(pieces):
                value = sum(known)
        if value is not None:
            total += value
            any_value = True
        rows.append((row[next(iter(row))].row_path, list(row.values())))
    how = "未经复议直接起诉与复议后起诉合计" if len(parts) == 2 else ""
    label = "行政诉讼" if quantity.row == "诉讼" else rows[0][0]
    return Figure(document, quantity, column, total if any_value else None, "件", rows, how, f"表四 {label}")


def _table2(document: Document, facts: list[Fact], quantity: Quantity, question: str) -> Figure | None:
    item = quantity.item or ""
    candidates = [
        f
        for f in facts
        if f.table == "表二" and f.row_key.startswith(f"20.{item}.") and quantity.row in f.row_key
    ]
    if not candidates:
        return None
    words = table2_column_words(question, item)
    chosen = next((f for w in words for f in candidates if w in f.column), candidates[-1])
    row = [f for f in candidates if f.row_key == chosen.row_key]
    return Figure(
        document,
        quantity,
        chosen.column,
        chosen.value,
        chosen.unit,
        [(chosen.row_path, row)],
        "",
        f"表二 {chosen.row_path}",
    )


def row_quote(path: str, row: list[Fact]) -> str:
    """A row as it stands in the report: '1.属于国家秘密：自然人 0；…；总计 0'."""
    cells = "；".join(f"{f.column} {f.raw if f.raw else '（空白）'}" for f in row)
    return f"{path}：{cells}"


def figure_quote(fig: Figure) -> str:
    """The cited text for a figure: the published row(s), and the computed total where one was needed."""
    if len(fig.rows) == 1:
        quote = row_quote(fig.rows[0][0], fig.rows[0][1])
        if fig.how:
            quote += f"（{fig.how}：{fig.column} {fig.text}）"
        return quote
    lines = []
    for path, row in fig.rows:
        if len(column_parts(fig.column)) > 1:
            value, _ = _cell({f.column: f for f in row}, fig.column)
            shown = format_number(value) if value is not None else "（空白）"
        else:
            cell = next((f for f in row if f.column == fig.column), None)
            shown = cell.raw if cell and cell.raw else "（空白）"
        lines.append(f"{path.split(' / ')[-1]} {fig.column} {shown}")
    return "；".join(lines) + f"；{fig.how}：{fig.text}"

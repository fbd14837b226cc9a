"""Checks a report's tables cannot make alone: its narrative against its tables, and one year's
report against the previous year's of the same agency.

- 正文与表格: each number the narrative states about a table quantity (ingest.claims) is compared
  with the table figures it may restate; it passes when any of them is equal.
- 上年结转: 表三 二（上年结转）of a year = 四（结转下年度继续办理）of the year before, per column.
- 现行有效件数 (2021 format): 表二 现行有效件数 = last year's + 本年制发件数 − 本年废止件数, for 规章 and
  行政规范性文件. In the 2019 trial format, 对外公开总数量 may not exceed last year's plus this
  year's 本年新公开数量 (the format has no column for repeals), and 上一年项目数量 = last year's
  上一年项目数量 + 本年增/减 (行政许可, 处罚, 强制, 收费 …).

Blank cells are never read as 0: a comparison that needs one is not made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.claims import Cell, Claim, Reading, sentence_claims
from ingest.report import format_number
from ingest.template import table3_children
from ingest.types import CheckResult, Chunk, Fact

NARRATIVE_RULE = "正文与表格"
CARRY_RULE = "上年结转"
STOCK_RULE = "现行有效件数"
ITEMS_RULE = "项目数量"
YEAR_RULES = (CARRY_RULE, STOCK_RULE, ITEMS_RULE)

_EPS = 1e-6

Cells = dict[tuple[str, str, str], Fact]


def cell_map(facts: Iterable[Fact]) -> Cells:
    """Facts by (table, row key, column)."""
    return {(f.table, f.row_key, f.column): f for f in facts}


# --------------------------------------------------------------------------- narrative against tables


@dataclass
class NarrativeCheck:
    """One stated number compared with the table figures it may restate."""

    claim: Claim
    compared: list[tuple[Reading, float, tuple[Cell, ...]]]  # readings the tables could give
    ok: bool

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The cells of the reading the claim is first read as (what a question on it asks for)."""
        return self.compared[0][2]

    @property
    def message_zh(self) -> str:
        claim = self.claim
        figures = "；".join(f"{r.label}为{format_number(v)}{_unit(claim)}" for r, v, _ in self.compared)
        where = f"正文（{claim.section}）" if claim.section else "正文"
        if self.ok:
            reading, value, _ = next(c for c in self.compared if _agrees(claim, c[1]))
            return f"{where}所述{claim.what}{claim.shown}，与{reading.label}{format_number(value)}{_unit(claim)}相符"
        return (
            f"{where}“{claim.sentence}”中的{claim.shown}（{claim.what}）与统计表不符：{figures}"
            + _scope_hint(claim)
        )

    def result(self) -> CheckResult:
        """As a check result (stored with the report's other checks)."""
        value = next((v for _, v, _ in self.compared if _agrees(self.claim, v)), self.compared[0][1])
        return CheckResult(
            rule=NARRATIVE_RULE,
            ok=self.ok,
            message_zh=self.message_zh,
            expected=value,
            found=self.claim.value,
            row=f"正文：{self.claim.section}" if self.claim.section else "正文",
        )


def narrative_checks(
    chunks: Iterable[Chunk], facts: Iterable[Fact], year: int | None = None
) -> list[NarrativeCheck]:
    """Every claim of the counted sentences (statement chunks) that the tables can be compared with."""
    cells = cell_map(facts)
    checks: list[NarrativeCheck] = []
    seen: set[tuple[str, str]] = set()
    for chunk in chunks:
        if chunk.chunk_type != "statement" or chunk.section in ("联系方式", "统计期限"):
            continue
        for claim in sentence_claims(chunk.text, chunk.section, year):
            if (claim.sentence, claim.phrase) in seen:
                continue
            seen.add((claim.sentence, claim.phrase))
            check = compare_claim(claim, cells)
            if check is not None:
                checks.append(check)
    return checks


def compare_claim(claim: Claim, cells: Cells) -> NarrativeCheck | None:
    """The claim against every reading the tables can give (None when they give none)."""
    compared = []
    for reading in claim.readings:
        got = reading_value(reading, cells, claim.unit)
        if got is not None:
            compared.append((reading, got[0], got[1]))
    if not compared:
        return None
    return NarrativeCheck(claim, compared, any(_agrees(claim, v) for _, v, _ in compared))


def reading_value(reading: Reading, cells: Cells, unit: str = "件") -> tuple[float, tuple[Cell, ...]] | None:
    """The sum of a reading's cells (a 表三 group row by its sub-rows), with the cells used; None
    when a cell is missing or blank."""
    total = 0.0
    used: list[Cell] = []
    for cell in reading.cells:
        leaves = _leaves(cell, cells)
        if not leaves:
            return None
        for leaf in leaves:
            fact = cells[(leaf.table, leaf.row_key, leaf.column)]
            if fact.value is None:
                return None
            factor = 10_000 if unit == "万元" and fact.unit == "元" else 1
            total += fact.value / factor
            used.append(leaf)
    return total, tuple(used)


def _leaves(cell: Cell, cells: Cells) -> list[Cell]:
    if (cell.table, cell.row_key, cell.column) in cells:
        return [cell]
    if cell.table != "表三":
        return []
    out: list[Cell] = []
    for child in table3_children(cell.row_key):
        out += _leaves(Cell(cell.table, child, cell.column), cells)
    return out


def _agrees(claim: Claim, value: float) -> bool:
    if claim.at_least:
        return value + claim.tolerance >= claim.value
    return abs(value - claim.value) <= claim.tolerance


def _unit(claim: Claim) -> str:
    return claim.unit


def _scope_hint(claim: Claim) -> str:
    """A sentence whose subject is one office (区政府办, 本机关) may count less than the tables."""
    if any(word in claim.sentence for word in ("办代表", "办公室", "本机关", "本单位", "本部门")):
        return "（正文所述可能只是一个机关的数字；如是，请写明口径）"
    return ""


# --------------------------------------------------------------------------- one year against the next


@dataclass
class YearCheck:
    """One figure of a report against the previous year's report of the same agency."""

    rule: str
    ok: bool
    row: str
    message_zh: str
    expected: float  # what the earlier report (and this year's changes) give
    found: float  # what the later report states
    cells: tuple[Cell, ...]  # the later report's cell(s) checked
    earlier_cells: tuple[Cell, ...]  # the earlier report's cells compared

    def result(self) -> CheckResult:
        return CheckResult(
            rule=self.rule,
            ok=self.ok,
            message_zh=self.message_zh,
            expected=self.expected,
            found=self.found,
            row=self.row,
        )


def year_checks(
    earlier: Iterable[Fact], later: Iterable[Fact], earlier_name: str, later_name: str
) -> list[YearCheck]:
    """The later report (`later_name`, e.g. 「2022年报告」) against the earlier one, the year before."""
    a, b = cell_map(earlier), cell_map(later)
    return (
        carry_over_checks(a, b, earlier_name, later_name)
        + stock_checks(a, b, earlier_name, later_name)
        + item_checks(a, b, earlier_name, later_name)
    )


def _value(cells: Cells, table: str, row: str, column: str) -> float | None:
    fact = cells.get((table, row, column))
    return fact.value if fact is not None else None


def carry_over_checks(a: Cells, b: Cells, earlier: str, later: str) -> list[YearCheck]:
    """表三, per column: 二（上年结转）of the later year = 四（结转下年度继续办理）of the earlier."""
    out: list[YearCheck] = []
    columns = [c for (t, r, c) in b if t == "表三" and r == "二"]
    for column in columns:
        carried_in, carried_out = _value(b, "表三", "二", column), _value(a, "表三", "四", column)
        if carried_in is None or carried_out is None:
            continue
        ok = abs(carried_in - carried_out) < _EPS
        verdict = "相符" if ok else "二者应相等"
        out.append(
            YearCheck(
                CARRY_RULE,
                ok,
                f"表三 二、上年结转 {column}列",
                f"表三{column}列：{later}“二、上年结转”为{format_number(carried_in)}件，"
                f"{earlier}“四、结转下年度继续办理”为{format_number(carried_out)}件，{verdict}",
                carried_out,
                carried_in,
                (Cell("表三", "二", column),),
                (Cell("表三", "四", column),),
            )
        )
    return out


def stock_checks(a: Cells, b: Cells, earlier: str, later: str) -> list[YearCheck]:
    """表二 第二十条第（一）项: this year's stock from last year's and this year's changes."""
    out: list[YearCheck] = []
    for name in ("规章", "行政规范性文件", "规范性文件"):
        row = f"20.1.{name}"
        stock, before = _value(b, "表二", row, "现行有效件数"), _value(a, "表二", row, "现行有效件数")
        issued, repealed = _value(b, "表二", row, "本年制发件数"), _value(b, "表二", row, "本年废止件数")
        if None not in (stock, before, issued, repealed):
            expected = before + issued - repealed  # type: ignore[operator]
            ok = abs(stock - expected) < _EPS  # type: ignore[operator]
            out.append(
                YearCheck(
                    STOCK_RULE,
                    ok,
                    f"表二 {name} 现行有效件数",
                    f"表二“{name}”：{later}现行有效件数为{format_number(stock)}件，{earlier}现行有效件数"  # type: ignore[arg-type]
                    f"{format_number(before)}件 + 本年制发{format_number(issued)}件 − 本年废止"  # type: ignore[arg-type]
                    f"{format_number(repealed)}件 = {format_number(expected)}件，{'相符' if ok else '二者应相等'}",  # type: ignore[arg-type]
                    expected,
                    stock,  # type: ignore[arg-type]
                    tuple(Cell("表二", row, c) for c in ("现行有效件数", "本年制发件数", "本年废止件数")),
                    (Cell("表二", row, "现行有效件数"),),
                )
            )
        out += _trial_stock(a, b, name, earlier, later)
    return out


def _trial_stock(a: Cells, b: Cells, name: str, earlier: str, later: str) -> list[YearCheck]:
    """2019 trial format: 对外公开总数量 ≤ last year's + 本年新公开数量 (repeals are not reported)."""
    row = f"20.1.{name}"
    total, before = _value(b, "表二", row, "对外公开总数量"), _value(a, "表二", row, "对外公开总数量")
    new = _value(b, "表二", row, "本年新公开数量")
    if total is None or before is None or new is None:
        return []
    most = before + new
    ok = total <= most + _EPS
    verdict = "不多于" if ok else "多于"
    return [
        YearCheck(
            STOCK_RULE,
            ok,
            f"表二 {name} 对外公开总数量",
            f"表二“{name}”：{later}对外公开总数量为{format_number(total)}件，{verdict}{earlier}对外公开总数量"
            f"{format_number(before)}件与本年新公开数量{format_number(new)}件之和{format_number(most)}件"
            + ("，相符" if ok else "（只有本年新公开的文件能使总数增加）"),
            most,
            total,
            (Cell("表二", row, "对外公开总数量"), Cell("表二", row, "本年新公开数量")),
            (Cell("表二", row, "对外公开总数量"),),
        )
    ]


def item_checks(a: Cells, b: Cells, earlier: str, later: str) -> list[YearCheck]:
    """2019 trial format: 上一年项目数量 = last year's 上一年项目数量 + its 本年增/减."""
    out: list[YearCheck] = []
    rows = sorted({r for (t, r, c) in b if t == "表二" and c == "上一年项目数量"})
    for row in rows:
        now = _value(b, "表二", row, "上一年项目数量")
        before, change = _value(a, "表二", row, "上一年项目数量"), _value(a, "表二", row, "本年增/减")
        if now is None or before is None or change is None:
            continue
        expected = before + change
        ok = abs(now - expected) < _EPS
        name = row.split(".", 2)[2]
        out.append(
            YearCheck(
                ITEMS_RULE,
                ok,
                f"表二 {name} 上一年项目数量",
                f"表二“{name}”：{later}上一年项目数量为{format_number(now)}，{earlier}上一年项目数量"
                f"{format_number(before)} + 本年增/减{format_number(change)} = {format_number(expected)}，"
                f"{'相符' if ok else '二者应相等'}",
                expected,
                now,
                (Cell("表二", row, "上一年项目数量"),),
                (Cell("表二", row, "上一年项目数量"), Cell("表二", row, "本年增/减")),
            )
        )
    return out


__all__ = [
    "CARRY_RULE",
    "ITEMS_RULE",
    "NARRATIVE_RULE",
    "STOCK_RULE",
    "YEAR_RULES",
    "NarrativeCheck",
    "YearCheck",
    "cell_map",
    "compare_claim",
    "narrative_checks",
    "reading_value",
    "year_checks",
]

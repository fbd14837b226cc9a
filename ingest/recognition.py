"""What ingest recognised in one report: tables and their cells, facts, checks, fuzzy labels.

Shown by `gongkai ingest -v` and in the staff area's upload result, so that a staff member sees at
once when a file lost a table or a row was read under another label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.labels import LabelMatch
from ingest.template import (
    TABLE2_FORMATS,
    TABLE3_COLUMNS,
    TABLE3_ROWS,
    TABLE4_COLUMNS,
    TABLE4_ROWS,
    table2_labels,
)
from ingest.types import CheckResult, Fact


@dataclass
class TableCount:
    """One table: how many of the format's cells were found, of how many the format has."""

    table: str
    found: int
    expected: int | None  # None for a table the format does not have

    def describe(self) -> str:
        """'表三 175/175', or '信息处理费收取情况 4 格' for a table outside the format."""
        if self.expected is None:
            return f"{self.table} {self.found} 格"
        return f"{self.table} {self.found}/{self.expected}"


@dataclass
class Recognition:
    """The ingest report of one document."""

    sections: list[str] = field(default_factory=list)  # headings as found, in order
    tables: list[TableCount] = field(default_factory=list)
    facts: int = 0
    narrative_facts: dict[str, int] = field(default_factory=dict)  # chunk_type → count
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fuzzy: list[LabelMatch] = field(default_factory=list)

    def add_checks(self, checks: list[CheckResult]) -> None:
        """Count the passed checks and keep the messages of the failed ones."""
        self.checks_passed = sum(1 for c in checks if c.ok)
        self.checks_failed = [c.message_zh for c in checks if not c.ok]

    def lines(self) -> list[str]:
        """The report as short lines of text, for the command line and the staff area."""
        lines = [
            "表格：" + ("，".join(t.describe() for t in self.tables) if self.tables else "未识别到统计表")
        ]
        lines.append(f"数据项：{self.facts}")
        if self.narrative_facts:
            lines.append("正文要点：" + "，".join(f"{k} {v}" for k, v in self.narrative_facts.items()))
        if self.sections:
            lines.append("章节：" + "；".join(self.sections))
        checks = f"核对：{self.checks_passed} 项通过，{len(self.checks_failed)} 项不符"
        lines.append(checks)
        lines += [f"  不符：{m}" for m in self.checks_failed]
        lines += [f"  格式：{p}" for p in self.problems]
        if self.fuzzy:
            lines.append(f"近似匹配的标签：{len(self.fuzzy)}")
            lines += [f"  {m.describe()}" for m in self.fuzzy]
        return lines


def cells_found(facts: list[Fact], table: str, keys: set[str], columns: list[str]) -> int:
    """Facts of `table` whose row key is in `keys` and whose column is in `columns`."""
    return sum(1 for f in facts if f.table == table and f.row_key in keys and f.column in columns)


def table_counts(facts: list[Fact]) -> list[TableCount]:
    """Per table found, how many of the format's cells it gave (blank cells count: they are there)."""
    counts: list[TableCount] = []
    names = list(dict.fromkeys(f.table for f in facts))
    for name in names:
        if name == "表二":
            counts.append(TableCount(name, table2_cells_found(facts), table2_cells_expected(facts)))
        elif name == "表三":
            keys = {f.row_key for f in facts if f.table == "表三"}
            rows = {r.key for r in TABLE3_ROWS if not _is_group(r.key, keys)}
            counts.append(TableCount(name, cells_found(facts, name, rows, TABLE3_COLUMNS), len(rows) * 7))
        elif name == "表四":
            counts.append(TableCount(name, cells_found(facts, name, set(TABLE4_ROWS), TABLE4_COLUMNS), 15))
        else:
            counts.append(TableCount(name, sum(1 for f in facts if f.table == name), None))
    return counts


def _is_group(key: str, found: set[str]) -> bool:
    """表三 rows that carry no cells: 三, the groups with sub-rows, and （六）'s sub-rows when the
    report uses the 2019-style single （六）其他处理 row (or the reverse)."""
    if key in ("三", "三.3", "三.4", "三.5"):
        return True
    if key == "三.6":
        return any(k.startswith("三.6.") for k in found)
    if key.startswith("三.6."):
        return "三.6" in found
    return False


def table2_cells_expected(facts: list[Fact]) -> int:
    """Cells of 表二 in the format the report follows (2019 trial or 2021), for the items it has."""
    columns = {f.column for f in facts if f.table == "表二"}
    best = 0
    for items in TABLE2_FORMATS.values():
        cells = sum(len(rows) * len(cols) for rows, cols in items.values())
        if columns & {c for _, cols in items.values() for c in cols}:
            best = max(best, cells)
    return best


def table2_cells_found(facts: list[Fact]) -> int:
    """Cells of 表二 whose row and column are the format's (a fuzzy match counts)."""
    count = 0
    for fact in facts:
        if fact.table != "表二":
            continue
        item = int(fact.row_key.split(".")[1])
        rows, columns = table2_labels(item)
        if fact.row_key.split(".", 2)[2] in rows and fact.column in columns:
            count += 1
    return count

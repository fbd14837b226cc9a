"""The report's own arithmetic (勾稽关系), checked on its facts.

- 表三: 一 + 二 = 三（七）总计 + 四, column by column;
- 表三: 总计 = the sum of the six applicant columns, row by row;
- 表三: 三（七）总计 = the sum of the result rows（一）…（六）, column by column;
- 表四: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结, for each part;
- 正文与表格: each count the narrative states of a table quantity restates a table figure
  (ingest.crosschecks; the checks across years of one agency are there too).

Blank cells are skipped, never read as 0. Facts are served as published whatever these say.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingest.crosschecks import narrative_checks
from ingest.report import format_number
from ingest.template import APPLICANT_COLUMNS, RESULT_GROUPS, TABLE3_COLUMNS, TABLE4_ROWS, table3_path
from ingest.types import CheckResult, Chunk, Fact

_EPS = 1e-6


def _cells(facts: list[Fact], table: str) -> dict[tuple[str, str], float | None]:
    return {(f.row_key, f.column): f.value for f in facts if f.table == table}


def result_leaves(keys: set[str]) -> list[str]:
    """Leaf rows of 三（一）…（六） present in a report (a group without sub-rows is its own leaf)."""
    leaves: list[str] = []
    for group in RESULT_GROUPS:
        children = sorted(k for k in keys if k.startswith(group + "."))
        leaves.extend(children if children else ([group] if group in keys else []))
    return leaves


def check_report(
    facts: list[Fact], chunks: Iterable[Chunk] = (), year: int | None = None
) -> list[CheckResult]:
    """Every 勾稽关系 the format states, applied to a report's facts (blank cells skipped); with the
    report's chunks, also its narrative's counts against its tables (`year`: the report's)."""
    t3 = _cells(facts, "表三")
    results: list[CheckResult] = []
    if t3:
        results += check_balance(t3)
        results += check_total_column(t3)
        results += check_result_total(t3)
    results += check_table4(_cells(facts, "表四"))
    results += [check.result() for check in narrative_checks(chunks, facts, year)]
    return results


def _compare(left: float, right: float) -> tuple[bool, str]:
    ok = abs(left - right) < _EPS
    return ok, "，相符" if ok else "，不相等"


def check_balance(t3: dict[tuple[str, str], float | None]) -> list[CheckResult]:
    """表三, column by column: 一（本年新收）+ 二（上年结转）= 三（七）总计 + 四（结转下年度）."""
    results: list[CheckResult] = []
    for col in TABLE3_COLUMNS:
        parts = [t3.get(("一", col)), t3.get(("二", col))]
        outs = [t3.get(("三.7", col)), t3.get(("四", col))]
        if None in parts or None in outs:
            continue
        left, right = sum(parts), sum(outs)  # type: ignore[arg-type]
        ok, verdict = _compare(left, right)
        results.append(
            CheckResult(
                rule="收支平衡",
                ok=ok,
                row=f"{col}列",
                expected=left,
                found=right,
                message_zh=(
                    f"表三{col}列：一（本年新收）+ 二（上年结转）= {format_number(left)}，"
                    f"三（七）总计 + 四（结转下年度）= {format_number(right)}" + verdict
                ),
            )
        )
    return results


def check_total_column(t3: dict[tuple[str, str], float | None]) -> list[CheckResult]:
    """表三, row by row: 总计 = the sum of the six applicant columns (one passing result when all agree)."""
    results: list[CheckResult] = []
    for key in sorted({k for k, _ in t3}, key=_row_order):
        total = t3.get((key, "总计"))
        parts = [t3.get((key, c)) for c in APPLICANT_COLUMNS]
        if total is None or any(p is None for p in parts):
            continue
        s = sum(parts)  # type: ignore[arg-type]
        if abs(s - total) >= _EPS:
            results.append(
                CheckResult(
                    rule="总计列",
                    ok=False,
                    row=table3_path(key),
                    expected=s,
                    found=total,
                    message_zh=(
                        f"表三“{table3_path(key)}”：各类申请人之和为{format_number(s)}，"
                        f"总计列却为{format_number(total)}"
                    ),
                )
            )
    return results or [CheckResult(rule="总计列", ok=True, message_zh="表三各行总计列等于各类申请人之和")]


def check_result_total(t3: dict[tuple[str, str], float | None]) -> list[CheckResult]:
    """表三, column by column: 三（七）总计 = the sum of the result rows （一）…（六）."""
    results: list[CheckResult] = []
    leaves = result_leaves({k for k, _ in t3})
    for col in TABLE3_COLUMNS:
        total = t3.get(("三.7", col))
        values = [t3.get((leaf, col)) for leaf in leaves]
        if total is None or not leaves or any(v is None for v in values):
            continue
        s = sum(values)  # type: ignore[arg-type]
        ok, verdict = _compare(s, total)
        results.append(
            CheckResult(
                rule="办理结果合计",
                ok=ok,
                row=f"三、（七）总计 {col}列",
                expected=s,
                found=total,
                message_zh=(
                    f"表三{col}列：办理结果（一）至（六）各项之和为{format_number(s)}，"
                    f"（七）总计为{format_number(total)}" + verdict
                ),
            )
        )
    return results


def check_table4(t4: dict[tuple[str, str], float | None]) -> list[CheckResult]:
    """表四, per part: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""
    results: list[CheckResult] = []
    for part, label in TABLE4_ROWS.items():
        values = [t4.get((part, c)) for c in ("结果维持", "结果纠正", "其他结果", "尚未审结")]
        total = t4.get((part, "总计"))
        if total is None or any(v is None for v in values):
            continue
        s = sum(values)  # type: ignore[arg-type]
        ok, verdict = _compare(s, total)
        results.append(
            CheckResult(
                rule="表四总计",
                ok=ok,
                row=label,
                expected=s,
                found=total,
                message_zh=f"表四“{label}”：各项结果之和为{format_number(s)}，总计为{format_number(total)}"
                + verdict,
            )
        )
    return results


def _row_order(key: str) -> tuple[int, ...]:
    order = {"一": 0, "二": 1, "三": 2, "四": 3}
    parts = key.split(".")
    return (order.get(parts[0], 9), *[int(p) for p in parts[1:]])

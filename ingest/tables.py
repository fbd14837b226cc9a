"""The statistical tables of an annual report, read row by row into facts.

Each table has a reader that knows when a row starts it (its header labels, wherever the table
stands), which printed labels stand for which of the format's rows and columns (ingest.labels),
and how many of the format's cells it found. Tables the format does not have (信息处理费 and the
like) are read by `ExtraTableReader` into facts of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.labels import LabelMatch, best_label, label_body, similarity, split_numbering
from ingest.numerals import NUMERAL_CHARS, cn_to_int
from ingest.template import (
    TABLE3_BY_KEY,
    TABLE3_COLUMNS,
    TABLE3_ROWS,
    TABLE4_COLUMNS,
    TABLE4_ROWS,
    Row,
    normalize_label,
    table2_labels,
    table3_children,
    table3_number,
    table3_path,
)
from ingest.types import Document, Fact

_NUMBER = re.compile(r"^[-−－]?\d[\d,，]*(\.\d+)?\s*(万元|元|件|条|项|个)?$")
ITEM_20 = re.compile(rf"第二十条第[（(]([{NUMERAL_CHARS}]+)[)）]项")


@dataclass
class ReportRow:
    """One row of the stream a report is read as: a paragraph, or one row of a table grid."""

    cells: list[str]
    is_paragraph: bool = False
    block: int = 0  # index of the loader block it came from

    @property
    def nonempty(self) -> list[str]:
        return [c.strip() for c in self.cells if c and c.strip()]

    @property
    def text(self) -> str:
        """The row's distinct non-empty cells joined by spaces (merged cells repeat their text)."""
        out: list[str] = []
        for cell in self.nonempty:
            if not out or out[-1] != cell:
                out.append(cell)
        return " ".join(out)


def is_number(cell: str) -> bool:
    """A cell holding one number, with or without a unit: '12', '1,234', '1690.9913万元'."""
    return bool(_NUMBER.match(cell.strip().replace("\u3000", ""))) if cell.strip() else False


def parse_number(cell: str) -> float | None:
    """'1,234' → 1234.0; '75394432.52元' → 75394432.52; '' → None (blank is not 0)."""
    text = cell.strip().replace(",", "").replace("，", "").replace("−", "-").replace("－", "-")
    text = re.sub(r"(万元|元|件|条|项|个)$", "", text).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class FactSink:
    """Where the readers put facts and the label matches they made."""

    document: Document
    facts: list[Fact] = field(default_factory=list)
    matches: list[LabelMatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, table: str, row_key: str, row_path: str, column: str, raw: str, unit: str) -> None:
        """One cell as a fact; a blank cell is kept with value None."""
        self.facts.append(
            Fact(
                doc_id=self.document.doc_id,
                table=table,
                row_key=row_key,
                row_path=row_path,
                column=column,
                value=parse_number(raw),
                raw=raw.strip(),
                unit=unit,
                ordinal=len(self.facts) + 1,
            )
        )

    def record(self, match: LabelMatch) -> None:
        """Keep a label match, once per printed label."""
        if match not in self.matches:
            self.matches.append(match)


def labels_and_values(cells: list[str]) -> tuple[list[str], list[str]]:
    """Label cells (text, deduplicated in order) and the cells after the last label."""
    last_label = -1
    labels: list[str] = []
    for i, cell in enumerate(cells):
        if cell.strip() and not is_number(cell):
            last_label = i
            for part in cell.split(" / "):
                part = part.strip()
                if part and (not labels or normalize_label(labels[-1]) != normalize_label(part)):
                    labels.append(part)
    return labels, cells[last_label + 1 :]


def fit_values(values: list[str], width: int) -> list[str]:
    """Fit a row's value cells to `width` columns.

    Text layouts shift cells with stray leading or trailing tabs; those empty cells are layout,
    not blanks. Drop them only while there are more cells than columns.
    """
    values = [v.strip() for v in values]
    while len(values) > width and values and not values[0]:
        values = values[1:]
    while len(values) > width and values and not values[-1]:
        values = values[:-1]
    values = values[:width]
    return values + [""] * (width - len(values))


def column_label(header: str) -> str:
    """A column header without its unit note: '本年收费金额（单位：万元）' → '本年收费金额'."""
    return re.sub(r"[（(]单位[:：].*?[)）]", "", normalize_label(header))


def unit_for(header: str, raw: str) -> str:
    """The unit of a 表二 cell: printed with the value, else said by its column header."""
    value = raw.strip()
    if value.endswith("万元"):
        return "万元"
    if value.endswith("元"):
        return "元"
    if "万元" in header:
        return "万元"
    if "金额" in header:
        return "元"
    if "项目数量" in header or "增/减" in header or "增减" in header:
        return "项"
    return "件"


# --------------------------------------------------------------------------- 表二


class Table2Reader:
    """表二: items of 第二十条 (（一）（五）（六）（八）（九）), each with its header row and rows."""

    table = "表二"

    def __init__(self, sink: FactSink) -> None:
        self.sink = sink
        self.item: int | None = None
        self.item_title = ""
        self.columns: list[tuple[str, str]] = []  # (canonical label, header as printed)

    @staticmethod
    def caption(row: ReportRow) -> tuple[int, str] | None:
        """(item number, numeral as printed) when `row` is an item caption such as 「第二十条第（一）项」."""
        text = row.text
        m = ITEM_20.search(text)
        if not m or len(text) >= 40:
            return None
        number = cn_to_int(m.group(1))
        return (number, m.group(1)) if number is not None else None

    @staticmethod
    def item_of(row: ReportRow) -> int | None:
        """The item number when `row` is an item caption."""
        found = Table2Reader.caption(row)
        return found[0] if found else None

    def start_item(self, item: int, printed: str) -> None:
        """A new item caption: its header row comes next."""
        self.item = item
        self.item_title = f"第二十条第（{printed}）项"
        self.columns = []

    def read(self, row: ReportRow) -> bool:
        """Take a header or data row of the current item; False when the row is not one."""
        first = row.nonempty[0]
        if normalize_label(first) == "信息内容":
            idx = row.cells.index(next(c for c in row.cells if c.strip()))
            headers = [c.strip() for c in row.cells[idx + 1 :]]
            while headers and not headers[-1]:
                headers.pop()
            self.columns = [(self._column(h), h) for h in headers]
            return True
        if self.item is None or not self.columns:
            return False
        labels, values = labels_and_values(row.cells)
        if not labels:
            return False
        label = labels[-1]
        row_label = self._row(label)
        values = fit_values(values, len(self.columns))
        for (column, header), raw in zip(self.columns, values):
            self.sink.add(
                self.table,
                f"20.{self.item}.{row_label}",
                f"{self.item_title} / {label}",
                column,
                raw,
                unit_for(header, raw),
            )
        return True

    def _column(self, header: str) -> str:
        printed = column_label(header)
        _, columns = table2_labels(self.item or 0)
        return self._match("column", header, printed, columns)

    def _row(self, label: str) -> str:
        rows, _ = table2_labels(self.item or 0)
        return self._match("row", label, normalize_label(label), rows)

    def _match(self, kind: str, printed: str, norm: str, candidates: list[str]) -> str:
        if norm in candidates:
            return norm
        found = best_label(norm, candidates)
        if found is None:
            return norm
        matched, score = found
        self.sink.record(LabelMatch(self.table, kind, printed.strip(), matched, round(score, 2)))
        return matched


# --------------------------------------------------------------------------- 表三


def table3_header_words(text: str) -> int:
    """How many of 表三's column labels a row holds."""
    return sum(1 for col in TABLE3_COLUMNS if col in text)


def is_table3_header(row: ReportRow) -> bool:
    """A header row of 表三: its applicant columns, no numbers."""
    cells = row.nonempty
    if any(is_number(c) for c in cells):
        return False
    return any(
        normalize_label(c) in TABLE3_COLUMNS or "申请人" in c or "勾稽" in c or "法人或其他组织" in c
        for c in cells
    )


def starts_table3(row: ReportRow) -> bool:
    """A grid row that shows 表三 begins, wherever it stands: three or more of its column labels."""
    if row.is_paragraph or any(is_number(c) for c in row.nonempty):
        return False
    return table3_header_words(row.text) >= 3


def looks_like_table3_label(text: str) -> bool:
    """A paragraph that is a 表三 row label rather than narrative."""
    norm = normalize_label(text)
    return bool(
        re.match(
            r"^(（[一二三四五六七]）|\d[.、]|[一二三四]、(本年新收|上年结转|本年度办理|结转下年度))", norm
        )
    )


def _candidates(numbering: str, subgroup: str | None) -> list[Row]:
    """The 表三 rows a label with this kind of numbering can stand for."""
    if numbering.endswith("、") and not numbering[0].isdigit():
        return [r for r in TABLE3_ROWS if "." not in r.key]
    if numbering.startswith(("（", "(")):
        return [r for r in TABLE3_ROWS if r.key.count(".") == 1]
    if numbering:
        return [
            r for r in TABLE3_ROWS if subgroup and r.key.count(".") == 2 and r.key.startswith(subgroup + ".")
        ]
    return [r for r in TABLE3_ROWS if r.key.count(".") < 2 or (subgroup and r.key.startswith(subgroup + "."))]


def match_table3_row(label: str, subgroup: str | None) -> tuple[str, float] | None:
    """The 表三 row a printed label stands for, with the similarity of its words to the template's.

    The words decide (a typo, 「1、」 for 「1.」, a missing word still match); the printed number
    only breaks ties and carries a label whose words are too short to compare.
    """
    numbering, body = split_numbering(normalize_label(label))
    number = cn_to_int(re.sub(r"[（()）、.．\s]", "", numbering)) if numbering else None
    best: tuple[float, float, str] | None = None
    for row in _candidates(numbering, subgroup):
        score = similarity(body, row.label)
        if row.keywords and any(word in label_body(body) for word in row.keywords):
            score = max(score, 0.8)
        bonus = 0.2 if number is not None and number == table3_number(row) else 0.0
        if best is None or score + bonus > best[0]:
            best = (score + bonus, score, row.key)
    if best is None:
        return None
    total, score, key = best
    if score >= 0.6 or (total > score and (score >= 0.3 or not label_body(body))):
        return key, score
    return None


def table3_columns(header_rows: list[list[str]]) -> list[str]:
    """Column order from the header labels (by grid position), falling back to the template order."""
    positions: dict[str, int] = {}
    for cells in header_rows:
        for i, cell in enumerate(cells):
            norm = normalize_label(cell)
            for col in TABLE3_COLUMNS:
                if norm == col or (col != "其他" and norm.startswith(col)):
                    positions.setdefault(col, i)
    if len(positions) == len(TABLE3_COLUMNS) and len(set(positions.values())) == len(TABLE3_COLUMNS):
        return sorted(TABLE3_COLUMNS, key=lambda c: positions[c])
    return list(TABLE3_COLUMNS)


class Table3Reader:
    """表三: rows 一 … 四 with the result rows （一）…（七） and their numbered sub-rows."""

    table = "表三"

    def __init__(self, sink: FactSink) -> None:
        self.sink = sink
        self.group: str | None = None  # "三" once 三、本年度办理结果 is seen
        self.subgroup: str | None = None  # "三.3" etc.
        self.seen: set[str] = set()
        self.headers: list[list[str]] = []
        self.columns: list[str] | None = None

    def read(self, row: ReportRow) -> bool:
        """Take a header or data row; False when the row is none of 表三's."""
        labels, values = labels_and_values(row.cells)
        has_numbers = any(is_number(v) for v in values)
        if not has_numbers and is_table3_header(row):
            self.headers.append(row.cells)
            return True
        key = self.row_key(labels)
        if key is None:
            return False
        if not has_numbers and (table3_children(key) or key == "三"):
            return True  # a group heading row such as （三）不予公开 carries no cells of its own
        # A leaf row with every cell blank is kept: its cells are blank, not missing and not 0.
        if self.columns is None:
            self.columns = table3_columns(self.headers)
        if key in self.seen:
            self.sink.problems.append(f"表三 行 {table3_path(key)} 出现了两次，只取第一次")
            return True
        self.seen.add(key)
        cells = fit_values(values, len(TABLE3_COLUMNS))
        for col, raw in zip(self.columns, cells):
            self.sink.add(self.table, key, " / ".join(labels) or table3_path(key), col, raw, "件")
        return True

    def row_key(self, labels: list[str]) -> str | None:
        """The row key of the last label, following the group and subgroup the labels open."""
        key: str | None = None
        for label in labels:
            found = self._match(label)
            if not found:
                continue
            key = found
            if found.count(".") == 1:
                self.subgroup = found
            elif found in ("一", "二", "四"):
                self.subgroup = None
            if found == "三":
                self.group = "三"
        return key

    def _match(self, label: str) -> str | None:
        norm = normalize_label(label)
        if label_body(norm) == "总计":
            return "三.7" if self.group else None
        found = match_table3_row(norm, self.subgroup)
        if found is None:
            return None
        key, score = found
        template = TABLE3_BY_KEY[key].label
        if label_body(norm) != label_body(template):
            self.sink.record(LabelMatch(self.table, "row", label.strip(), template, round(score, 2)))
        return key


# --------------------------------------------------------------------------- 表四


def is_table4_header(text: str) -> bool:
    """A header row of 表四 (its result columns, or its two halves) or a caption naming them."""
    return all(word in text for word in ("结果维持", "结果纠正")) or text in ("行政复议", "行政诉讼")


def starts_table4(row: ReportRow) -> bool:
    """A grid row that shows 表四 begins, wherever it stands: its result columns or its two halves."""
    text = row.text
    if row.is_paragraph or any(is_number(c) for c in row.nonempty):
        return False
    return all(word in text for word in ("结果维持", "结果纠正")) or all(
        word in text for word in ("行政复议", "行政诉讼", "总计")
    )


class Table4Reader:
    """表四: 行政复议 and the two kinds of 行政诉讼, five columns each."""

    table = "表四"

    def __init__(self, sink: FactSink) -> None:
        self.sink = sink
        self.seen: set[str] = set()

    def read(self, row: ReportRow) -> bool:
        """Take a data row (one part, or all three on one line); False for a row without numbers."""
        labels, values = labels_and_values(row.cells)
        numbers = [v for v in values if v.strip()]
        if not numbers or not any(is_number(v) for v in numbers):
            return False
        text = "".join(labels)
        part: str | None = None
        if "复议后" in text:
            part = "诉讼.复议后"
        elif "直接起诉" in text or "未经复议" in text:
            part = "诉讼.直接"
        elif "复议" in text:
            part = "复议"
        if part is not None:
            parts = [(part, fit_values(values, 5))]
        else:
            fitted = fit_values(values, 15)
            parts = [(p, fitted[i * 5 : i * 5 + 5]) for i, p in enumerate(TABLE4_ROWS)]
        for part_key, cells in parts:
            if part_key in self.seen:
                continue
            self.seen.add(part_key)
            for col, raw in zip(TABLE4_COLUMNS, cells):
                self.sink.add(self.table, part_key, TABLE4_ROWS[part_key], col, raw, "件")
        return True


# --------------------------------------------------------------------------- other tables


class ExtraTableReader:
    """A table the format does not have (信息处理费收取情况 and the like): its header row gives the
    columns, each later row with numbers gives one fact per cell, under the table's own name."""

    def __init__(self, sink: FactSink, name: str) -> None:
        self.sink = sink
        self.table = name
        self.block: int | None = None
        self.headers: list[str] = []

    def read(self, row: ReportRow) -> bool:
        """Take a grid row: a header (no numbers) or a data row; paragraphs are never taken."""
        if row.is_paragraph:
            return False
        if row.block != self.block:
            self.block, self.headers = row.block, []
        labels, values = labels_and_values(row.cells)
        if not any(is_number(v) for v in values):
            if not self.headers:
                self.headers = [c.strip() for c in row.cells]
            return False  # header rows are read as narrative too
        label = " / ".join(labels)
        offset = len(row.cells) - len(values)
        for i, raw in enumerate(values):
            header = self.headers[offset + i] if offset + i < len(self.headers) else ""
            column = column_label(header) if header else f"第{offset + i + 1}列"
            self.sink.add(
                self.table,
                f"{self.table}.{normalize_label(label)}",
                label,
                column,
                raw,
                unit_for(header, raw),
            )
        return True


__all__ = [
    "ExtraTableReader",
    "FactSink",
    "ITEM_20",
    "ReportRow",
    "Table2Reader",
    "Table3Reader",
    "Table4Reader",
    "column_label",
    "is_number",
    "is_table4_header",
    "looks_like_table3_label",
    "match_table3_row",
    "parse_number",
    "similarity",
    "starts_table3",
    "starts_table4",
]

"""Annual reports: six sections of narrative and three statistical tables → chunks and facts.

Works on the blocks any loader gives (text, PDF, Word, HTML): paragraphs and table grids are
read as one stream of rows, and the national format (ingest.template) tells which row is which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.classify import META_LINE
from ingest.template import (
    APPLICANT_COLUMNS,
    CN_DIGITS,
    SECTION_TITLES,
    TABLE3_BY_KEY,
    TABLE3_COLUMNS,
    TABLE3_ROWS,
    TABLE4_COLUMNS,
    TABLE4_ROWS,
    TABLE_OF_SECTION,
    normalize_label,
    section_number,
    table3_children,
    table3_path,
)
from ingest.types import Chunk, Document, Fact, LoadedFile, Paragraph

_NUMBER = re.compile(r"^[-−－]?\d[\d,，]*(\.\d+)?\s*(万元|元|件|条|项|个)?$")
_ITEM_20 = re.compile(r"第二十条第[（(]([一二三四五六七八九十]+)[)）]项")
NARRATIVE_CHUNK_CHARS = 450


@dataclass
class _Row:
    cells: list[str]
    is_paragraph: bool = False


@dataclass
class ReportParse:
    facts: list[Fact] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    sections_found: set[int] = field(default_factory=set)
    tables_found: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def is_number(cell: str) -> bool:
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


def format_number(value: float) -> str:
    """Arabic digits, no trailing '.0': 3.0 → '3', 0.11 → '0.11'."""
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _rows_of(loaded: LoadedFile) -> list[_Row]:
    rows: list[_Row] = []
    for block in loaded.blocks:
        if isinstance(block, Paragraph):
            rows.append(_Row([block.text], is_paragraph=True))
        else:
            for cells in block.rows:
                rows.append(_Row([c if c is not None else "" for c in cells]))
    return rows


def _labels_and_values(cells: list[str]) -> tuple[list[str], list[str]]:
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


def _fit_values(values: list[str], width: int) -> list[str]:
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


class _Table3State:
    def __init__(self) -> None:
        self.group: str | None = None  # "三" once 三、本年度办理结果 is seen
        self.subgroup: str | None = None  # "三.3" etc.
        self.seen: set[str] = set()

    def row_key(self, labels: list[str]) -> str | None:
        key: str | None = None
        for label in labels:
            norm = normalize_label(label)
            found = self._match(norm)
            if found:
                key = found
                if found.count(".") == 1:
                    self.subgroup = found
                elif found in ("一", "二", "四"):
                    self.subgroup = None
                if found == "三":
                    self.group = "三"
        return key

    def _match(self, norm: str) -> str | None:
        if re.match(r"^一、", norm) and "新收" in norm:
            return "一"
        if re.match(r"^二、", norm) and "结转" in norm:
            return "二"
        if re.match(r"^三、", norm) and "办理结果" in norm:
            return "三"
        if re.match(r"^四、", norm) and "结转" in norm:
            return "四"
        m = re.match(r"^（([一二三四五六七])）", norm)
        if m:
            return f"三.{CN_DIGITS.index(m.group(1)) + 1}"
        m = re.match(r"^(\d)[.、．]", norm)
        if m and self.subgroup and self.subgroup not in ("三.1", "三.2", "三.7"):
            key = f"{self.subgroup}.{m.group(1)}"
            if key in TABLE3_BY_KEY:
                return key
        # Rows published without their numbering: match the template's distinctive words.
        for row in TABLE3_ROWS:
            if row.keywords and any(word in norm for word in row.keywords):
                if row.key.count(".") == 2 and not (self.subgroup and row.key.startswith(self.subgroup)):
                    continue
                return row.key
        if "总计" in norm and self.group:
            return "三.7"
        return None


def _table3_columns(header_rows: list[list[str]]) -> list[str]:
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


def parse_report(loaded: LoadedFile, document: Document) -> ReportParse:
    """Read sections, narrative and the three tables of an annual report."""
    result = ReportParse()
    rows = _rows_of(loaded)
    section = 0
    narrative: dict[int, list[str]] = {}
    item20: str | None = None
    item20_title = ""
    header20: list[str] = []
    t3 = _Table3State()
    t3_headers: list[list[str]] = []
    t3_columns: list[str] | None = None
    t4_seen_rows: set[str] = set()
    ordinal = 0

    def add_fact(table: str, row_key: str, row_path: str, column: str, raw: str, unit: str) -> None:
        nonlocal ordinal
        ordinal += 1
        result.facts.append(
            Fact(
                doc_id=document.doc_id,
                table=table,
                row_key=row_key,
                row_path=row_path,
                column=column,
                value=parse_number(raw),
                raw=raw.strip(),
                unit=unit,
                ordinal=ordinal,
            )
        )

    for row in rows:
        nonempty = [c.strip() for c in row.cells if c and c.strip()]
        if not nonempty:
            continue
        first = nonempty[0]
        if row.is_paragraph and META_LINE.match(first):
            continue
        heading = section_number(first) if len(nonempty) == 1 or row.is_paragraph else None
        if heading is None and len(nonempty) == 1:
            heading = section_number(first)
        if heading is not None:
            section = heading
            result.sections_found.add(heading)
            continue
        if row.is_paragraph and not _ITEM_20.search(first) and section not in (3, 4):
            narrative.setdefault(section, []).append(first)
            continue

        # 表二: 第二十条 items
        m20 = _ITEM_20.search(" ".join(nonempty))
        if m20 and len(" ".join(nonempty)) < 40:
            item20 = str(CN_DIGITS.index(m20.group(1)[-1]) + 1 + (9 if len(m20.group(1)) > 1 else 0))
            item20_title = f"第二十条第（{m20.group(1)}）项"
            header20 = []
            section = section or 2
            continue
        if section == 2 or (item20 and section in (0, 2)):
            if row.is_paragraph:
                narrative.setdefault(section, []).append(first)
                continue
            if normalize_label(first) == "信息内容":
                idx = row.cells.index(next(c for c in row.cells if c.strip()))
                header20 = [c.strip() for c in row.cells[idx + 1 :]]
                while header20 and not header20[-1]:
                    header20.pop()
                continue
            if item20 and header20:
                labels, values = _labels_and_values(row.cells)
                if not labels:
                    continue
                label = labels[-1]
                values = _fit_values(values, len(header20))
                result.tables_found.add("表二")
                for col, raw in zip(header20, values):
                    add_fact(
                        "表二",
                        f"20.{item20}.{normalize_label(label)}",
                        f"{item20_title} / {label}",
                        _column_label(col),
                        raw,
                        _unit_for(col, raw),
                    )
                continue
            continue

        # 表三
        if section == 3:
            if row.is_paragraph and not any(is_number(c) for c in nonempty):
                if "勾稽" in first or "列说明" in first:
                    continue
                if not _looks_like_table3_label(first):
                    narrative.setdefault(section, []).append(first)
                    continue
            labels, values = _labels_and_values(row.cells)
            has_numbers = any(is_number(v) for v in values)
            if not has_numbers and any(
                normalize_label(c) in TABLE3_COLUMNS or "申请人" in c or "勾稽" in c or "法人或其他组织" in c
                for c in nonempty
            ):
                t3_headers.append(row.cells)
                continue
            key = t3.row_key(labels)
            if key is None:
                continue
            if not has_numbers and (table3_children(key) or key == "三"):
                continue  # a group heading row such as （三）不予公开 carries no cells of its own
            # A leaf row with every cell blank is kept: its cells are blank, not missing and not 0.
            if t3_columns is None:
                t3_columns = _table3_columns(t3_headers)
            cells = _fit_values(values, len(TABLE3_COLUMNS))
            if key in t3.seen:
                result.problems.append(f"表三 行 {table3_path(key)} 出现了两次，只取第一次")
                continue
            t3.seen.add(key)
            result.tables_found.add("表三")
            for col, raw in zip(t3_columns, cells):
                add_fact("表三", key, " / ".join(labels) or table3_path(key), col, raw, "件")
            continue

        # 表四
        if section == 4:
            labels, values = _labels_and_values(row.cells)
            numbers = [v for v in values if v.strip()]
            if not numbers or not any(is_number(v) for v in numbers):
                if row.is_paragraph and "列说明" not in first and not _looks_like_table4_header(first):
                    narrative.setdefault(section, []).append(first)
                continue
            text = "".join(labels)
            part: str | None = None
            if "复议后" in text:
                part = "诉讼.复议后"
            elif "直接起诉" in text or "未经复议" in text:
                part = "诉讼.直接"
            elif "复议" in text:
                part = "复议"
            if part is not None:
                fitted = _fit_values(values, 5)
                parts = [(part, fitted)]
            else:
                fitted = _fit_values(values, 15)
                parts = [(p, fitted[i * 5 : i * 5 + 5]) for i, p in enumerate(TABLE4_ROWS)]
            for part_key, cells in parts:
                if part_key in t4_seen_rows:
                    continue
                t4_seen_rows.add(part_key)
                result.tables_found.add("表四")
                for col, raw in zip(TABLE4_COLUMNS, cells):
                    add_fact("表四", part_key, TABLE4_ROWS[part_key], col, raw, "件")
            continue

        # Anything else is narrative (tables in sections 1, 5, 6 read as text).
        narrative.setdefault(section, []).append(" ".join(nonempty))

    result.chunks = _narrative_chunks(document, narrative) + _table_row_chunks(document, result.facts)
    for i, chunk in enumerate(result.chunks):
        chunk.ordinal = i
    return result


def _looks_like_table3_label(text: str) -> bool:
    norm = normalize_label(text)
    return bool(
        re.match(
            r"^(（[一二三四五六七]）|\d[.、]|[一二三四]、(本年新收|上年结转|本年度办理|结转下年度))", norm
        )
    )


def _looks_like_table4_header(text: str) -> bool:
    return all(word in text for word in ("结果维持", "结果纠正")) or text in ("行政复议", "行政诉讼")


def _column_label(header: str) -> str:
    return re.sub(r"[（(]单位[:：].*?[)）]", "", normalize_label(header))


def _unit_for(header: str, raw: str) -> str:
    if "万元" in header:
        return "万元"
    if raw.strip().endswith("元") or "金额" in header:
        return "元"
    if "项目数量" in header or "增/减" in header or "增减" in header:
        return "项"
    return "件"


# --------------------------------------------------------------------------- chunks


_SUBHEAD = re.compile(r"(?=(?:^|(?<=[。；！？\s]))[（(][一二三四五六七八九十]{1,2}[)）])")


def _narrative_chunks(document: Document, narrative: dict[int, list[str]]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section, paragraphs in sorted(narrative.items()):
        title = SECTION_TITLES.get(section, "正文")
        text = "\n".join(paragraphs)
        for sub_title, body in _split_subsections(text):
            path = f"{title} / {sub_title}" if sub_title else title
            for piece in _windows(body, NARRATIVE_CHUNK_CHARS):
                chunks.append(Chunk.of(document, path, piece, "narrative"))
    return chunks


def _split_subsections(text: str) -> list[tuple[str, str]]:
    """Split on （一）…（十） markers at sentence starts; the marker's phrase becomes the title."""
    parts = [p for p in _SUBHEAD.split(text) if p.strip()]
    out: list[tuple[str, str]] = []
    for part in parts:
        m = re.match(r"^[（(]([一二三四五六七八九十]{1,2})[)）]\s*([^。：:，,\n]{1,20})", part)
        if m:
            out.append((f"（{m.group(1)}）{m.group(2).strip()}", part.strip()))
        else:
            out.append(("", part.strip()))
    return out


def _windows(text: str, size: int) -> list[str]:
    """Cut text into pieces of about `size` characters at sentence ends."""
    sentences = [s for s in re.split(r"(?<=[。！？；\n])", text) if s.strip()]
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + len(sentence) > size:
            pieces.append(current.strip())
            current = ""
        current += sentence
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _table_row_chunks(document: Document, facts: list[Fact]) -> list[Chunk]:
    """One chunk per table row, carrying the table title, the full row path and every column."""
    rows: dict[tuple[str, str], list[Fact]] = {}
    for fact in facts:
        rows.setdefault((fact.table, fact.row_key), []).append(fact)
    chunks: list[Chunk] = []
    titles = {"表二": SECTION_TITLES[2], "表三": SECTION_TITLES[3], "表四": SECTION_TITLES[4]}
    for (table, key), cells in rows.items():
        if table == "表三":
            path = table3_path(key)
        else:
            path = cells[0].row_path
        values = "；".join(f"{f.column} {f.raw if f.raw else '（空白）'}" for f in cells)
        text = f"{document.year or ''}年 {table} {path}：{values}"
        section = f"{titles[table]} / {table} / {path}"
        chunks.append(Chunk.of(document, section, text, "table_row"))
    return chunks


def required_tables_missing(parse: ReportParse) -> list[str]:
    """Format problems: sections or tables the national format requires but the report lacks."""
    problems: list[str] = []
    for n, title in SECTION_TITLES.items():
        if n not in parse.sections_found:
            problems.append(f"缺少第{CN_DIGITS[n - 1]}部分“{title}”")
    for n, table in TABLE_OF_SECTION.items():
        if table not in parse.tables_found:
            problems.append(f"缺少{table}（{SECTION_TITLES[n]}）的统计表")
    if "表三" in parse.tables_found:
        seen = {f.row_key for f in parse.facts if f.table == "表三"}
        for row in TABLE3_ROWS:
            if row.key in ("三", "三.3", "三.4", "三.5") or row.key.startswith("三.6."):
                continue
            if row.key == "三.6" and any(k.startswith("三.6.") for k in seen):
                continue
            if row.key not in seen and not any(k.startswith(row.key + ".") for k in seen):
                problems.append(f"表三缺少行“{table3_path(row.key)}”")
    return problems


__all__ = [
    "APPLICANT_COLUMNS",
    "ReportParse",
    "format_number",
    "parse_number",
    "parse_report",
    "required_tables_missing",
]

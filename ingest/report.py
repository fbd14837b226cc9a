"""Annual reports: sections of narrative and the statistical tables → chunks and facts.

Works on the blocks any loader gives (text, PDF, Word, HTML): paragraphs and table grids are
read as one stream of rows, then in named steps:

1. find sections: headings recognised by their words (ingest.template.section_heading), so an
   extra section (「五、信息处理费收取情况」) and the shifted ones after it are read for what they are;
2. find tables: each row is given to the table whose header labels opened it, wherever it
   stands, or to the table of its section;
3. map labels and build facts: the table readers (ingest.tables) match printed labels to the
   format's by similarity (ingest.labels) and turn cells into facts;
4. chunks: narrative by section, small chunks for what the narrative states (ingest.narrative),
   one chunk per table row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.classify import META_LINE
from ingest.labels import LabelMatch
from ingest.narrative import contact_chunk, narrative_chunks, period_chunk, table_row_chunks
from ingest.recognition import Recognition, table_counts
from ingest.tables import (
    ExtraTableReader,
    FactSink,
    ReportRow,
    Table2Reader,
    Table3Reader,
    Table4Reader,
    is_number,
    is_table4_header,
    looks_like_table3_label,
    parse_number,
    starts_table3,
    starts_table4,
)
from ingest.template import (
    APPLICANT_COLUMNS,
    CN_DIGITS,
    SECTION_TITLES,
    TABLE3_ROWS,
    TABLE4_COLUMNS,
    TABLE_OF_SECTION,
    SectionHeading,
    normalize_label,
    section_heading,
    table3_path,
)
from ingest.types import Chunk, Document, Fact, LoadedFile, Paragraph

FORMAT_TABLES = ("表二", "表三", "表四")


@dataclass
class ReportParse:
    facts: list[Fact] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    sections_found: set[int] = field(default_factory=set)
    tables_found: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)  # section headings as printed, in order
    matches: list[LabelMatch] = field(default_factory=list)  # printed labels read as the format's

    def recognition(self) -> Recognition:
        """What was recognised: tables with their cell counts, facts, fuzzy labels (checks added later)."""
        found = Recognition(sections=list(self.headings), facts=len(self.facts))
        found.tables = table_counts(self.facts)
        found.fuzzy = [m for m in self.matches if m.fuzzy]
        for chunk in self.chunks:
            if chunk.chunk_type in ("contact", "statement"):
                what = chunk.section if chunk.section in ("联系方式", "统计期限") else "数字陈述句"
                found.narrative_facts[what] = found.narrative_facts.get(what, 0) + 1
        return found


def format_number(value: float) -> str:
    """Arabic digits, no trailing '.0': 3.0 → '3', 0.11 → '0.11'."""
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- 1. sections


@dataclass
class Section:
    """Where a row stands: a format section (1–6), the preamble (0) or an extra section (None)."""

    number: int | None
    title: str
    printed: int = 0

    @property
    def table(self) -> str | None:
        """The table the format puts in this section."""
        return TABLE_OF_SECTION.get(self.number or 0)


def report_rows(loaded: LoadedFile) -> list[ReportRow]:
    """Paragraphs and table-grid rows in reading order, provenance lines left out."""
    rows: list[ReportRow] = []
    for i, block in enumerate(loaded.blocks):
        if isinstance(block, Paragraph):
            if not META_LINE.match(block.text.strip()):
                rows.append(ReportRow([block.text], is_paragraph=True, block=i))
        else:
            rows += [ReportRow([c if c is not None else "" for c in cells], block=i) for cells in block.rows]
    return [row for row in rows if row.nonempty]


def _heading_of(row: ReportRow) -> SectionHeading | None:
    cells = row.nonempty
    return section_heading(cells[0]) if len(cells) == 1 or row.is_paragraph else None


def find_sections(rows: list[ReportRow]) -> list[tuple[Section, ReportRow]]:
    """Each row with the section it stands in; heading rows themselves are left out.

    A heading counts where the format puts it (「三、收到和处理…」) or where it continues the
    printed numbering: an extra 「五、信息处理费收取情况」 is a section when the known heading after
    it is numbered 六; a 「二、加强…」 inside 总体情况 is not.
    """
    candidates = {i: h for i, row in enumerate(rows) if (h := _heading_of(row)) is not None}
    section = Section(0, "正文")
    out: list[tuple[Section, ReportRow]] = []
    for i, row in enumerate(rows):
        heading = candidates.get(i)
        if heading is not None and _accepted(heading, section, [h for j, h in candidates.items() if j > i]):
            section = _section_of(heading)
            continue
        out.append((section, row))
    return out


def _accepted(heading: SectionHeading, current: Section, later: list[SectionHeading]) -> bool:
    if heading.section == heading.printed:
        return True
    if heading.section is not None:
        return heading.printed > current.printed  # a format section moved down by extra ones before it
    if heading.printed != current.printed + 1:
        return False
    following = next((h for h in later if h.section is not None), None)
    if following is None:
        return current.number == max(SECTION_TITLES)
    return following.printed > heading.printed  # the numbering runs on through it


def _section_of(heading: SectionHeading) -> Section:
    if heading.section is not None and heading.section == heading.printed:
        return Section(heading.section, SECTION_TITLES[heading.section], heading.printed)
    return Section(heading.section, heading.text, heading.printed)


# --------------------------------------------------------------------------- 2. tables


def find_tables(sectioned: list[tuple[Section, ReportRow]]) -> list[tuple[Section, str | None, ReportRow]]:
    """Each row with the table it belongs to: the one whose header labels opened it, wherever it
    stands, else the one the format puts in its section, else None (narrative, or a table of the
    report's own)."""
    out: list[tuple[Section, str | None, ReportRow]] = []
    current: Section | None = None
    table: str | None = None
    for section, row in sectioned:
        if section is not current:
            current, table = section, section.table
        if Table2Reader.item_of(row) is not None:
            table = "表二"
        elif starts_table3(row):
            table = "表三"
        elif starts_table4(row):
            table = "表四"
        out.append((section, table, row))
    return out


# --------------------------------------------------------------------------- 3. labels and facts


class _Builder:
    """Gives each row to its table's reader; what no table takes becomes narrative."""

    def __init__(self, document: Document) -> None:
        self.sink = FactSink(document)
        self.t2 = Table2Reader(self.sink)
        self.t3 = Table3Reader(self.sink)
        self.t4 = Table4Reader(self.sink)
        self.extra: dict[str, ExtraTableReader] = {}
        self.narrative: dict[str, list[str]] = {}
        self.table_titles: dict[str, str] = {t: SECTION_TITLES[n] for n, t in TABLE_OF_SECTION.items()}

    def add_narrative(self, section: Section, text: str) -> None:
        self.narrative.setdefault(section.title, []).append(text)

    def row(self, section: Section, table: str | None, row: ReportRow) -> None:
        if table == "表二":
            self._table2(section, row)
        elif table == "表三":
            self._table3(section, row)
        elif table == "表四":
            self._table4(section, row)
        else:
            self._other(section, row)

    def _table2(self, section: Section, row: ReportRow) -> None:
        caption = Table2Reader.caption(row)
        if caption is not None:
            self.t2.start_item(*caption)
        elif row.is_paragraph and normalize_first(row) != "信息内容":
            self.add_narrative(section, row.nonempty[0])
        else:
            self.t2.read(row)

    def _table3(self, section: Section, row: ReportRow) -> None:
        first = row.nonempty[0]
        if row.is_paragraph and not any(is_number(c) for c in row.nonempty):
            if "勾稽" in first or "列说明" in first:
                return
            if not looks_like_table3_label(first):
                self.add_narrative(section, first)
                return
        if not self.t3.read(row) and row.is_paragraph:
            self.add_narrative(section, first)  # a sentence with numbers that is no row of the table

    def _table4(self, section: Section, row: ReportRow) -> None:
        first = row.nonempty[0]
        if (
            not self.t4.read(row)
            and row.is_paragraph
            and "列说明" not in first
            and not is_table4_header(first)
        ):
            self.add_narrative(section, first)

    def _other(self, section: Section, row: ReportRow) -> None:
        """Narrative; a grid row with numbers is also a fact of a table of the report's own."""
        self.add_narrative(section, " ".join(row.nonempty))
        if row.is_paragraph:
            return
        name = _extra_table_name(section)
        reader = self.extra.setdefault(name, ExtraTableReader(self.sink, name))
        self.table_titles.setdefault(name, section.title)
        reader.read(row)


def normalize_first(row: ReportRow) -> str:
    return normalize_label(row.nonempty[0])


def _extra_table_name(section: Section) -> str:
    title = section.title
    return title.split("、", 1)[1] if "、" in title[:4] else title


# --------------------------------------------------------------------------- the whole


def parse_report(loaded: LoadedFile, document: Document) -> ReportParse:
    """Read sections, narrative and the tables of an annual report."""
    sectioned = find_sections(report_rows(loaded))
    builder = _Builder(document)
    result = ReportParse()
    for section, table, row in find_tables(sectioned):
        builder.row(section, table, row)
    for section, _ in sectioned:
        if section.number:
            result.sections_found.add(section.number)
        if section.title != "正文" and section.title not in result.headings:
            result.headings.append(section.title)
    result.facts = builder.sink.facts
    result.problems = builder.sink.problems
    result.matches = builder.sink.matches
    result.tables_found = {f.table for f in result.facts if f.table in FORMAT_TABLES}
    result.chunks = report_chunks(document, builder.narrative, result.facts, builder.table_titles)
    return result


def report_chunks(
    document: Document, narrative: dict[str, list[str]], facts: list[Fact], titles: dict[str, str]
) -> list[Chunk]:
    """Narrative chunks (with their statements), table rows, the contact and the statistics period."""
    paragraphs = [p for texts in narrative.values() for p in texts]
    # The office's contact stands in the preamble or the closing lines; elsewhere only if not there.
    titles_in_order = list(narrative)
    ends = list(dict.fromkeys(titles_in_order[:1] + titles_in_order[-1:]))
    contact = contact_chunk(document, [p for t in ends for p in narrative[t]]) or contact_chunk(
        document, paragraphs
    )
    chunks = narrative_chunks(document, narrative) + table_row_chunks(document, facts, titles)
    chunks += [c for c in (contact, period_chunk(document, paragraphs)) if c]
    for i, chunk in enumerate(chunks):
        chunk.ordinal = i
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
    "TABLE4_COLUMNS",
    "ReportParse",
    "find_sections",
    "find_tables",
    "format_number",
    "parse_number",
    "parse_report",
    "report_rows",
    "required_tables_missing",
]

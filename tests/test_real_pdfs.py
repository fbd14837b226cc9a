"""Report PDFs exactly as agencies exported them (WPS): narrative in text boxes that read as
one-column tables, tables broken across pages, merged cells cut by a page break, and a text
layer with gaps between characters. They stay in ../shared/corpus/real (never copied into the
project); the tests skip when it is absent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.loaders import load_path
from ingest.pdf_text import line_text
from ingest.pipeline import parse_file
from ingest.template import SECTION_TITLES
from ingest.types import Fact, LoadedFile, Paragraph, Table

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
HONGZE_2024_PDF = REAL / "淮安市洪泽区人民政府_2024.pdf"
HONGZE_2024_TXT = ROOT / "data" / "corpus" / "reports" / "淮安市洪泽区人民政府_2024.txt"
HONGZE_2023_PDF = REAL / "淮安市洪泽区人民政府_2023.pdf"
HUAIAN_2024_PDF = REAL / "淮安市人民政府_2024.pdf"

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus/real is not available")


def paragraphs(loaded: LoadedFile) -> list[str]:
    return [block.text for block in loaded.blocks if isinstance(block, Paragraph)]


def tables(loaded: LoadedFile) -> list[list[list[str]]]:
    return [block.rows for block in loaded.blocks if isinstance(block, Table)]


def cells(facts: list[Fact]) -> Counter[tuple[str, str, str, str, float | None]]:
    """Every cell of tables 2, 3 and 4, by canonical row and column, as published and as read."""
    return Counter(
        (fact.table, fact.row_key, fact.column, fact.raw, fact.value)
        for fact in facts
        if fact.table in ("表二", "表三", "表四")
    )


# --- the acceptance checks ---------------------------------------------------------------------


@needs_real
def test_hongze_2024_pdf_gives_the_same_facts_as_its_transcription() -> None:
    from_pdf, from_txt = parse_file(HONGZE_2024_PDF), parse_file(HONGZE_2024_TXT)
    assert cells(from_pdf.facts) == cells(from_txt.facts)
    assert {fact.table for fact in from_pdf.facts} >= {"表二", "表三", "表四"}
    assert (from_pdf.document.agency, from_pdf.document.year) == (
        from_txt.document.agency,
        from_txt.document.year,
    )


@needs_real
@pytest.mark.parametrize(
    ("path", "agency", "year"),
    [
        (HONGZE_2024_PDF, "洪泽区人民政府", 2024),
        (HONGZE_2023_PDF, "洪泽区人民政府", 2023),  # its title reads 洪泽区人民政府, without 淮安市
        (HUAIAN_2024_PDF, "淮安市人民政府", 2024),
    ],
    ids=["hongze-2024", "hongze-2023", "huaian-2024"],
)
def test_real_pdf_has_every_section_and_table(path: Path, agency: str, year: int) -> None:
    parsed = parse_file(path)
    assert [problem for problem in parsed.problems if "缺少" in problem] == []
    assert {fact.table for fact in parsed.facts} >= {"表二", "表三", "表四"}
    assert parsed.document.kind == "report"
    assert agency in parsed.document.agency
    assert parsed.document.year == year


# --- what the loader gives ---------------------------------------------------------------------


@needs_real
@pytest.mark.parametrize("path", [HONGZE_2024_PDF, HONGZE_2023_PDF, HUAIAN_2024_PDF], ids=lambda p: p.stem)
def test_text_boxes_read_as_paragraphs_with_their_headings(path: Path) -> None:
    loaded = load_path(path)
    paras = paragraphs(loaded)
    for title in SECTION_TITLES.values():  # the format's six headings
        assert title in paras
    # no table is a text box: every table has more than one column, and no cell is prose
    for rows in tables(loaded):
        assert len(rows[0]) > 1
        assert not any(cell.endswith("。") for row in rows for cell in row)
    # the 第二十条 items of table 2 follow their section heading, each under its title row
    titles = [
        row[0]
        for rows in tables(loaded)
        for row in rows
        if row[0].startswith("第二十条") and len(set(row)) == 1
    ]
    assert titles == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项"]
    assert paras.index("二、主动公开政府信息情况") < paras.index("三、收到和处理政府信息公开申请情况")


@needs_real
def test_prose_has_no_spaces_inside_words_or_numbers() -> None:
    paras = paragraphs(load_path(HONGZE_2023_PDF))
    preamble = next(p for p in paras if p.startswith("本报告由"))
    assert "（国令第711号）" in preamble
    assert "统计期限自2023年1月1日起至2023年12月31日止" in preamble
    assert "邮编：223100，电话：0517-87222589，电子邮箱：hzzwgk@126.com）。" in preamble
    # a character overhanging its text box joins its line: "健全工作机制、强化……"
    assert any("健全工作机制、强化部门协同配合" in p for p in paras)


@needs_real
def test_spanning_value_cell_is_one_column() -> None:
    """(五) 行政许可 has one value cell spanning the three columns of item (一) above it."""
    loaded = load_path(HONGZE_2024_PDF)
    item5 = next(rows for rows in tables(loaded) if rows[0][0] == "第二十条第（五）项")
    assert item5 == [["第二十条第（五）项"] * 2, ["信息内容", "本年处理决定数量"], ["行政许可", "9487"]]


@needs_real
def test_header_cell_without_its_top_border_is_read() -> None:
    """In 洪泽 2023 the (六) item starts a page and the 信息内容 cell has no top ruling."""
    loaded = load_path(HONGZE_2023_PDF)
    rows = next(rows for rows in tables(loaded) if ["第二十条第（六）项"] * 2 in rows)
    at = rows.index(["第二十条第（六）项"] * 2)
    assert rows[at + 1 : at + 4] == [
        ["信息内容", "本年处理决定数量"],
        ["行政处罚", "4119"],
        ["行政强制", "195"],
    ]


@needs_real
def test_label_cell_cut_by_a_page_break_is_joined() -> None:
    """淮安 2024 prints （四）无法提供 in a merged cell that the page break cuts into 「（四）无」
    and 「法提供」; the vertical 三、本年度办理结果 cell runs over both pages."""
    loaded = load_path(HUAIAN_2024_PDF)
    table3 = next(rows for rows in tables(loaded) if len(rows[0]) == 10)
    assert len(table3) == 28
    groups = [row[1] for row in table3 if row[0] == "三、本年度办理结果"]
    assert groups.count("（四）无法提供") == 3
    assert not any(label in ("（四）无", "法提供") for label in groups)
    assert len(groups) == 22
    assert table3[-1][0] == "四、结转下年度继续办理"


@needs_real
def test_table4_across_its_three_header_rows() -> None:
    loaded = load_path(HUAIAN_2024_PDF)
    table4 = next(rows for rows in tables(loaded) if len(rows[0]) == 15)
    assert table4[-1] == [
        "72",
        "64",
        "178",
        "37",
        "351",
        "13",
        "4",
        "8",
        "1",
        "26",
        "12",
        "1",
        "1",
        "6",
        "20",
    ]


# --- line text from glyphs (no PDF needed) -----------------------------------------------------


def glyphs(*items: tuple[str, float]) -> list[dict[str, object]]:
    """Glyphs at the given x positions, each 8 pt wide (digits, Latin) or 16 pt (CJK)."""
    out: list[dict[str, object]] = []
    for text, x0 in items:
        width = 16.0 if ord(text) > 0x2000 else 8.0
        out.append({"text": text, "x0": x0, "x1": x0 + width, "size": 16.0})
    return out


def test_inferred_spaces_inside_cjk_and_beside_digits_are_dropped() -> None:
    # 号 ， 邮 编 ： 2 2 … with 3.5 pt gaps, as WPS justifies a line
    chars = glyphs(("号", 0), ("，", 19.5), ("邮", 39), ("编", 58.5), ("：", 78), ("2", 97.5), ("3", 105.5))
    chars += glyphs(("年", 117))
    assert line_text(chars) == "号，邮编：23年"


def test_written_spaces_and_spaces_between_numbers_stay() -> None:
    written = glyphs(("告", 0), (" ", 16), ("根", 20))
    assert line_text(written) == "告 根"
    separate_numbers = glyphs(("1", 0), ("0", 30), ("5", 60))
    assert line_text(separate_numbers) == "1 0 5"
    letter_spaced_number = glyphs(("2", 0), ("0", 10), ("2", 20), ("4", 30))
    assert line_text(letter_spaced_number) == "2024"
    latin_words = glyphs(("a", 0), ("b", 12))
    assert line_text(latin_words) == "a b"


# --- the same layout, built here (no ../shared needed) -----------------------------------------

BOXED_PROSE = (
    "2024年，本机关在门户网站主动公开政府信息1234条，公开政府常务会议12期，"
    "受理政府信息公开申请56件，均在法定期限内予以答复。"
)


def boxed_report(path: Path) -> Path:
    """A page whose narrative is drawn in one ruled block with table 2 below it, as WPS exports
    do: full-width rows holding the section headings and prose, then two 第二十条 items on
    different columns (the second item's value cell spanning three columns)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus import SimpleDocTemplate, TableStyle
    from reportlab.platypus import Table as PdfTable

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=10.5, leading=15, wordWrap="CJK")
    rows = [
        ["一、总体情况"],
        [BOXED_PROSE],
        ["二、主动公开政府信息情况"],
        ["第二十条第（一）项"],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "1", "0", "2"],
        ["第二十条第（五）项"],
        ["信息内容", "本年处理决定数量"],
        ["行政许可", "30"],
    ]
    data = [[PdfParagraph(text, style) for text in row] + [""] * (4 - len(row)) for row in rows]
    commands: list[tuple[object, ...]] = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
    commands += [("SPAN", (0, r), (3, r)) for r in (0, 1, 2, 3, 6)]
    commands += [("SPAN", (1, r), (3, r)) for r in (7, 8)]
    doc = SimpleDocTemplate(str(path), pagesize=A4, title="boxed")
    doc.build([PdfTable(data, colWidths=[doc.width / 4] * 4, style=TableStyle(commands))])
    return path


def test_generated_text_box_sharing_the_ruling_of_table2(tmp_path: Path) -> None:
    loaded = load_path(boxed_report(tmp_path / "boxed.pdf"))
    assert paragraphs(loaded) == ["一、总体情况", BOXED_PROSE, "二、主动公开政府信息情况"]
    assert tables(loaded) == [
        [
            ["第二十条第（一）项"] * 4,
            ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            ["规章", "1", "0", "2"],
        ],
        [["第二十条第（五）项"] * 2, ["信息内容", "本年处理决定数量"], ["行政许可", "30"]],
    ]

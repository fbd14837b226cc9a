"""Variants of the national format, read by meaning rather than position.

Reports as agencies print them: an extra section with its own table, tables whose section
heading is lost, the 2019-style single （六）其他处理 row in a 2021-format table, table-2
headers in other words, row labels with typos, other numbering or missing words, and two-value
table-2 items. The variants are built here from the bundled texts; the bundled reports
themselves are asserted cell by cell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import REPORTS
from ingest.pipeline import parse_bytes, parse_file
from ingest.report import find_sections, report_rows
from ingest.types import LoadedFile, Paragraph

HONGZE = REPORTS / "淮安市洪泽区人民政府_2024.txt"
HONGZE_TEXT = HONGZE.read_text(encoding="utf-8")
NATURAL = REPORTS / "平潭综合实验区自然资源与生态环境局_2020.txt"
PT21_TEXT = (REPORTS / "平潭综合实验区管委会_2021.txt").read_text(encoding="utf-8")
FORMAT_TABLES = ("表二", "表三", "表四")


def _parse(text: str, name: str = "variant.txt"):
    return parse_bytes(text.encode("utf-8"), name)


def _cells(parsed, tables=FORMAT_TABLES) -> dict[tuple[str, str, str], tuple[float | None, str]]:
    return {(f.table, f.row_key, f.column): (f.value, f.raw) for f in parsed.facts if f.table in tables}


def _fuzzy(parsed) -> list[tuple[str, str]]:
    return [(m.printed, m.matched) for m in parsed.document.recognition.fuzzy]


@pytest.fixture(scope="module")
def hongze():
    return parse_file(HONGZE)


# --------------------------------------------------------------------------- bundled reports, cell by cell


def test_hongze_2024_cells_and_its_single_other_row(hongze):
    cells = _cells(hongze)
    # the row the PDF prints as 「2.其他法律行政止公开」
    assert [cells[("表三", "三.3.2", c)] for c in ("自然人", "法律服务机构", "总计")] == [(0.0, "0")] * 3
    assert cells[("表三", "三.3.3", "总计")] == (1.0, "1")
    assert cells[("表三", "三.4.1", "自然人")] == (31.0, "31")
    # 2021-format tables with the 2019-style single （六）其他处理 row
    assert cells[("表三", "三.6", "总计")] == (0.0, "0")
    assert not any(k.startswith("三.6.") for _, k, _ in cells)
    assert cells[("表二", "20.1.行政规范性文件", "现行有效件数")] == (8.0, "8")
    assert cells[("表二", "20.8.行政事业性收费", "本年收费金额")] == (7545.0, "7545")
    assert cells[("表四", "诉讼.复议后", "其他结果")] == (1.0, "1")
    assert hongze.problems == []
    # its tables keep every rule; its narrative's 17 applications are not table 3's 95 (正文与表格)
    assert [(c.rule, c.found, c.expected) for c in hongze.checks if not c.ok] == [("正文与表格", 17, 95)]
    tables = {t.table: (t.found, t.expected) for t in hongze.document.recognition.tables}
    assert tables == {"表二": (10, 10), "表三": (161, 161), "表四": (15, 15)}


def test_natural_resources_2020_two_value_item_and_header_in_other_words():
    parsed = parse_file(NATURAL)
    purchase = {f.column: f for f in parsed.facts if f.row_key == "20.9.政府集中采购"}
    assert purchase["采购项目数量"].value == 19 and purchase["采购项目数量"].unit == "项"
    assert purchase["采购总金额"].value == 1690.9913
    assert purchase["采购总金额"].raw == "1690.9913万元" and purchase["采购总金额"].unit == "万元"
    # 「本年公开数量」 is the format's 「本年新公开数量」, and the match is recorded
    published = {f.row_key: f for f in parsed.facts if f.column == "本年新公开数量"}
    assert published["20.1.规范性文件"].value == 9 and published["20.1.规章"].value == 0
    assert not any(f.column == "本年公开数量" for f in parsed.facts)
    assert ("本年公开数量", "本年新公开数量") in _fuzzy(parsed)
    # its known faults stay as published and are flagged
    failed = [c.message_zh for c in parsed.checks if not c.ok]
    assert any("法律服务机构列" in m for m in failed) and any("为10，（七）总计为9" in m for m in failed)


# --------------------------------------------------------------------------- labels by similarity


@pytest.mark.parametrize(
    "printed",
    [
        "2.其他法律行政止公开",  # the typo as the PDF prints it
        "其他法律行政止公开",  # the typo, no number
        "2、其他法律行政法规禁止公开",  # 「2、」 for 「2.」
    ],
)
def test_typo_and_numbering_variants_give_the_same_cells(hongze, printed):
    text = HONGZE_TEXT.replace("（三）不予公开 / 2.其他法律行政法规禁止公开", f"（三）不予公开 / {printed}")
    assert text != HONGZE_TEXT
    parsed = _parse(text)
    assert _cells(parsed) == _cells(hongze)
    assert parsed.problems == []
    row = next(f for f in parsed.facts if f.row_key == "三.3.2")
    assert row.row_path.endswith(printed)  # the row as published
    same_words = printed.endswith("其他法律行政法规禁止公开")  # only the numbering differs: not fuzzy
    assert ((printed, "2.其他法律行政法规禁止公开") in _fuzzy(parsed)) is not same_words


def test_numbering_with_ideographic_comma_everywhere(hongze):
    text = HONGZE_TEXT
    for n in range(1, 9):
        text = text.replace(f" / {n}.", f" / {n}、")
    parsed = _parse(text)
    assert _cells(parsed) == _cells(hongze)


def test_missing_words_still_match(hongze):
    text = HONGZE_TEXT.replace("1.本机关不掌握相关政府信息", "1.本机关不掌握信息").replace(
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（二）部分公开"
    )
    parsed = _parse(text)
    assert _cells(parsed) == _cells(hongze)
    assert ("1.本机关不掌握信息", "1.本机关不掌握相关政府信息") in _fuzzy(parsed)


def test_exact_labels_are_not_reported_as_fuzzy(hongze):
    assert _fuzzy(hongze) == []


def test_table2_item_caption_with_ascii_brackets(hongze):
    parsed = _parse(HONGZE_TEXT.replace("第二十条第（六）项", "第二十条第(六)项"))
    assert _cells(parsed) == _cells(hongze)


def test_table2_row_label_typo_keeps_the_format_row():
    text = HONGZE_TEXT.replace("行政规范性文件\t3\t0\t8", "行政规范姓文件\t3\t0\t8")
    parsed = _parse(text)
    cell = next(f for f in parsed.facts if f.row_key == "20.1.行政规范性文件" and f.column == "本年制发件数")
    assert cell.value == 3 and cell.row_path.endswith("行政规范姓文件")


# --------------------------------------------------------------------------- sections and tables


INFO_FEE = (
    "五、信息处理费收取情况\n"
    "本年度未收取信息处理费。\n"
    "项目\t收费数量（件）\t收费金额（元）\n"
    "信息处理费\t0\t0\n"
)


def _with_fee_section(text: str) -> str:
    text = text.replace("五、存在的主要问题及改进情况", "六、存在的主要问题及改进情况")
    text = text.replace("六、其他需要报告的事项", "七、其他需要报告的事项")
    return text.replace("六、存在的主要问题及改进情况", INFO_FEE + "六、存在的主要问题及改进情况", 1)


def test_extra_section_with_its_own_table(hongze):
    parsed = _parse(_with_fee_section(HONGZE_TEXT))
    assert _cells(parsed) == _cells(hongze)
    assert parsed.problems == []
    fee = {f.column: f for f in parsed.facts if f.table == "信息处理费收取情况"}
    assert set(fee) == {"收费数量（件）", "收费金额（元）"}  # the headers as printed
    assert fee["收费金额（元）"].value == 0 and fee["收费金额（元）"].unit == "元"
    assert fee["收费金额（元）"].row_path == "信息处理费"
    sections = {c.section for c in parsed.chunks if c.chunk_type == "narrative"}
    assert "五、信息处理费收取情况" in sections
    assert "六、存在的主要问题及改进情况" in sections and "七、其他需要报告的事项" in sections
    fee_text = next(c.text for c in parsed.chunks if c.section == "五、信息处理费收取情况")
    assert "本年度未收取信息处理费" in fee_text and "信息处理费 0 0" in fee_text
    problems = next(c.text for c in parsed.chunks if c.section == "六、存在的主要问题及改进情况")
    assert "个别部门对复杂申请件的研判能力不足" in problems
    tables = [t.describe() for t in parsed.document.recognition.tables]
    assert "信息处理费收取情况 2 格" in tables


def test_two_extra_sections_in_a_row(hongze):
    text = _with_fee_section(HONGZE_TEXT)
    for old, new in (("七、其他", "八、其他"), ("六、存在的主要问题", "七、存在的主要问题")):
        text = text.replace(old, new)
    text = text.replace(
        "七、存在的主要问题", "六、政务公开工作考核情况\n本年度开展考核两次。\n七、存在的主要问题", 1
    )
    parsed = _parse(text)
    assert _cells(parsed) == _cells(hongze) and parsed.problems == []
    sections = [c.section for c in parsed.chunks if c.chunk_type == "narrative"]
    assert sections[-4:] == [
        "五、信息处理费收取情况",
        "六、政务公开工作考核情况",
        "七、存在的主要问题及改进情况",
        "八、其他需要报告的事项",
    ]


def test_numbered_points_inside_a_section_are_not_sections():
    blocks = [
        Paragraph("一、总体情况"),
        Paragraph("一、加强组织领导"),
        Paragraph("二、完善工作机制"),
        Paragraph("二、主动公开政府信息情况"),
        Paragraph("正文"),
    ]
    rows = report_rows(LoadedFile("x.txt", blocks, b"x"))
    sections = [(s.number, s.title, r.nonempty[0]) for s, r in find_sections(rows)]
    assert sections == [
        (1, "一、总体情况", "一、加强组织领导"),
        (1, "一、总体情况", "二、完善工作机制"),
        (2, "二、主动公开政府信息情况", "正文"),
    ]


@pytest.mark.parametrize(
    "heading, missing",
    [
        ("三、收到和处理政府信息公开申请情况", "缺少第三部分“三、收到和处理政府信息公开申请情况”"),
        ("二、主动公开政府信息情况", "缺少第二部分“二、主动公开政府信息情况”"),
        ("四、政府信息公开行政复议、行政诉讼情况", "缺少第四部分“四、政府信息公开行政复议、行政诉讼情况”"),
    ],
)
def test_tables_are_found_by_their_headers_when_the_heading_is_lost(hongze, heading, missing):
    parsed = _parse(HONGZE_TEXT.replace(heading + "\n", ""))
    assert _cells(parsed) == _cells(hongze)
    assert parsed.problems == [missing]


def test_2021_table_with_the_single_other_row():
    lines = [ln for ln in PT21_TEXT.splitlines() if "（六）其他处理 / " not in ln]
    subrows = [ln for ln in PT21_TEXT.splitlines() if "（六）其他处理 / " in ln]
    assert len(subrows) == 3
    sums = [sum(int(ln.split("\t")[i] or 0) for ln in subrows) for i in range(1, 8)]
    at = next(i for i, ln in enumerate(lines) if ln.startswith("三、本年度办理结果 / （七）总计"))
    lines.insert(at, "\t".join(["三、本年度办理结果 / （六）其他处理", *map(str, sums)]))
    parsed = _parse("\n".join(lines))
    assert parsed.problems == []
    assert [f.value for f in parsed.facts if f.row_key == "三.6"] == sums
    assert all(c.ok for c in parsed.checks if c.rule == "办理结果合计")
    table3 = next(t for t in parsed.document.recognition.tables if t.table == "表三")
    assert (table3.found, table3.expected) == (161, 161)


# --------------------------------------------------------------------------- narrative facts


def test_contact_period_and_counted_sentences(hongze):
    contact = [c for c in hongze.chunks if c.chunk_type == "contact"]
    assert len(contact) == 1 and contact[0].section == "联系方式"
    assert contact[0].text.startswith(
        "联系方式（地址、电话）：如对本报告有疑问，请与淮安市洪泽区人民政府办公室联系"
    )
    assert "0517-87290606" in contact[0].text and "洪泽湖大道90号" in contact[0].text
    assert "淮安市洪泽区人民政府办公室" in contact[0].text
    period = [c for c in hongze.chunks if c.section == "统计期限"]
    assert [c.chunk_type for c in period] == ["statement"]
    assert period[0].text == "报告中所列数据统计期限自2024年1月1日起至2024年12月31日止。"
    counted = {
        c.text: c.section for c in hongze.chunks if c.chunk_type == "statement" and c.section != "统计期限"
    }
    sentence = "2024年，我区在政府网站平台主动发布各类政府信息2428条，公开政府常务会议7期，解读信息发布7条。"
    assert counted[sentence] == "一、总体情况 / （一）主动公开情况"
    # the narrative chunks are kept as they were
    assert any(sentence in c.text for c in hongze.chunks if c.chunk_type == "narrative")


def test_contact_with_email_and_counts_in_chinese_numerals():
    parsed = parse_file(REPORTS / "彭阳县小岔乡人民政府_2022.txt")
    contact = next(c for c in parsed.chunks if c.chunk_type == "contact")
    assert "pyxxcxbgs@163.com" in contact.text and "0954-7015199" in contact.text
    assert "综合办公室联系" in contact.text
    junshan = parse_file(REPORTS / "平潭综合实验区君山片区管理局_2022.txt")
    statements = {c.text: c.section for c in junshan.chunks if c.chunk_type == "statement"}
    questionnaire = next(t for t in statements if "发布调查问卷四次" in t)
    assert statements[questionnaire] == "一、总体情况 / （三）政府信息管理方面"
    assert any("微信公众号共发布903篇" in t for t in statements)


def test_no_contact_or_period_chunk_when_the_report_states_none():
    text = "\n".join(
        ln
        for ln in HONGZE_TEXT.splitlines()
        if "电话" not in ln and "统计期限" not in ln and not ln.startswith("本报告")
    )
    parsed = _parse(text)
    assert not [c for c in parsed.chunks if c.chunk_type == "contact" or c.section == "统计期限"]


def test_recognition_lines_for_the_command_line(hongze):
    lines = hongze.document.recognition.lines()
    assert lines[0] == "表格：表二 10/10，表三 161/161，表四 15/15"
    assert "数据项：186" in lines
    parsed = _parse(HONGZE_TEXT.replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开"))
    lines = parsed.document.recognition.lines()
    assert any("近似匹配的标签：1" == line for line in lines)
    assert any("“2.其他法律行政止公开” → “2.其他法律行政法规禁止公开”" in line for line in lines)


REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


@pytest.mark.skipif(
    not (REAL / "淮安市洪泽区人民政府_2024.pdf").exists(), reason="../shared/corpus/real is absent"
)
def test_hongze_2024_pdf_prints_the_typo_and_it_is_matched(hongze):
    parsed = parse_file(REAL / "淮安市洪泽区人民政府_2024.pdf")
    row = [f for f in parsed.facts if f.row_key == "三.3.2"]
    assert [(f.column, f.raw) for f in row] == [
        (f.column, f.raw) for f in hongze.facts if f.row_key == "三.3.2"
    ]
    assert "其他法律行政止公开" in row[0].row_path
    assert any(
        m.matched == "2.其他法律行政法规禁止公开" and m.fuzzy for m in parsed.document.recognition.fuzzy
    )

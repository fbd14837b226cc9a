"""Loading text files (encodings, bad input) and parsing both report layouts and the regulation."""

from __future__ import annotations

import codecs

import pytest

from helpers import REGULATIONS, REPORTS
from ingest.checks import check_report
from ingest.loaders import decode_text, load_bytes, sniff_format
from ingest.pipeline import parse_bytes, parse_file
from ingest.types import IngestError, Paragraph, Table

SAMPLE = "彭阳县小岔乡人民政府\n2022 年政府信息公开工作年度报告\n一、总体情况\n我乡认真贯彻落实《条例》。\n"


@pytest.mark.parametrize(
    "encoded, encoding",
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16"),
    ],
)
def test_encoding_is_detected_not_guessed(encoded, encoding):
    text, found = decode_text(encoded, "x.txt")
    assert text.lstrip("\ufeff") == SAMPLE
    assert found == encoding


def test_gbk_file_named_html_is_still_text():
    loaded = load_bytes(SAMPLE.encode("gbk"), "report.html")
    assert loaded.format == "text"
    assert "小岔乡" in loaded.text()


@pytest.mark.parametrize(
    "data, code",
    [(b"", "empty"), (b"   \n\t\n", "empty"), (b"\x00\x01\x02\x03binary\x00" * 50, "binary")],
)
def test_empty_and_binary_files_are_rejected_with_both_languages(data, code):
    with pytest.raises(IngestError) as err:
        load_bytes(data, "bad.txt")
    assert err.value.code == code
    assert "bad.txt" in err.value.message_en and "bad.txt" in err.value.message_zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message_zh)


def test_oversized_file_is_rejected():
    with pytest.raises(IngestError) as err:
        load_bytes(SAMPLE.encode() * 100, "big.txt", max_bytes=1000)
    assert err.value.code == "too_large"
    assert "超过上限" in err.value.message_zh


def test_format_sniffed_from_bytes():
    assert sniff_format(b"%PDF-1.7 ...", "download(3)") == "pdf"
    assert sniff_format(b"<html><head><meta charset='gbk'></head>", "x.txt") == "html"
    with pytest.raises(IngestError) as err:
        sniff_format(b"PK\x03\x04 not a word file", "archive.zip")
    assert err.value.code == "unsupported"


def test_tab_lines_become_tables():
    loaded = load_bytes("标题行\na\tb\tc\n1\t2\t3\n结尾".encode(), "t.txt")
    kinds = [type(b) for b in loaded.blocks]
    assert kinds == [Paragraph, Table, Paragraph]
    assert loaded.blocks[1].rows == [["a", "b", "c"], ["1", "2", "3"]]


def _facts(parsed):
    return {(f.table, f.row_key, f.column): f for f in parsed.facts}


def test_seed_layout_with_shifted_cells():
    parsed = parse_file(REPORTS / "彭阳县小岔乡人民政府_2022.txt")
    doc = parsed.document
    assert (doc.kind, doc.agency, doc.year) == ("report", "彭阳县小岔乡人民政府", 2022)
    assert doc.title == "彭阳县小岔乡人民政府2022年政府信息公开工作年度报告"
    facts = _facts(parsed)
    t3_rows = {f.row_key for f in parsed.facts if f.table == "表三"}
    # 25 leaf rows: 一 二 （一）（二） 8+3+5+3 sub-rows （七） 四.
    assert len(t3_rows) == 25
    # "3.其他" stands alone in the first column of its line: it still belongs to （六）其他处理.
    assert facts[("表三", "三.6.3", "总计")].value == 0
    # "(三) 不予公开 / 1.属于国家秘密" is shifted one cell right: still 7 columns.
    assert facts[("表三", "三.3.1", "自然人")].raw == "0"
    assert facts[("表二", "20.8.行政事业性收费", "本年收费金额")].value == 0.11
    assert facts[("表二", "20.8.行政事业性收费", "本年收费金额")].unit == "万元"
    assert len([f for f in parsed.facts if f.table == "表四"]) == 15
    assert all(c.ok for c in parsed.checks)


def test_tab_row_layout():
    parsed = parse_file(REPORTS / "平潭综合实验区管委会_2021.txt")
    doc = parsed.document
    assert (doc.kind, doc.agency, doc.year) == ("report", "平潭综合实验区", 2021)
    facts = _facts(parsed)
    assert facts[("表三", "一", "总计")].value == 70
    assert facts[("表三", "三.3.7", "自然人")].value == 6
    assert facts[("表三", "三.4.1", "其他")].value == 3
    assert facts[("表四", "复议", "其他结果")].value == 2
    assert facts[("表四", "诉讼.直接", "结果维持")].value == 12
    assert facts[("表二", "20.5.行政许可", "本年处理决定数量")].value == 2293


def test_trial_format_2019_with_negative_changes():
    parsed = parse_file(REPORTS / "平潭综合实验区管委会_2020.txt")
    facts = _facts(parsed)
    assert facts[("表二", "20.6.行政处罚", "本年增/减")].value == -18
    assert facts[("表二", "20.9.政府集中采购", "采购总金额")].value == 73802895.90
    assert facts[("表二", "20.9.政府集中采购", "采购总金额")].unit == "元"
    # The trial format has （六）其他处理 as a row of its own, without sub-rows.
    assert facts[("表三", "三.6", "自然人")].value == 4
    assert not any(k[1].startswith("三.6.") for k in facts)


def test_pingtan_2020_arithmetic_fault_is_flagged_and_served_as_published():
    parsed = parse_file(REPORTS / "平潭综合实验区管委会_2020.txt")
    failed = [c for c in parsed.checks if not c.ok]
    assert {(c.rule, c.row, c.expected, c.found) for c in failed} == {
        ("办理结果合计", "三、（七）总计 总计列", 27, 21),
        ("办理结果合计", "三、（七）总计 自然人列", 26, 20),
    }
    assert _facts(parsed)[("表三", "三.7", "总计")].value == 21


def test_other_reports_pass_their_arithmetic():
    for name in [
        "平潭综合实验区管委会_2019.txt",
        "平潭综合实验区管委会_2021.txt",
        "平潭综合实验区管委会_2022.txt",
    ]:
        checks = check_report(parse_file(REPORTS / name).facts)
        assert checks and all(c.ok for c in checks), name


def test_blank_cells_stay_blank_and_break_no_rule():
    text = (REPORTS / "平潭综合实验区管委会_2021.txt").read_text(encoding="utf-8")
    text = text.replace(
        "三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0",
        "三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密\t\t0\t0\t0\t0\t0\t",
    )
    parsed = parse_bytes(text.encode("utf-8"), "blank.txt")
    facts = _facts(parsed)
    assert facts[("表三", "三.3.1", "自然人")].value is None
    assert facts[("表三", "三.3.1", "总计")].value is None
    assert facts[("表三", "三.3.1", "商业企业")].value == 0
    assert all(c.ok for c in parsed.checks)


def test_title_agency_and_year_come_from_the_text_not_the_file_name():
    data = (REPORTS / "平潭综合实验区管委会_2022.txt").read_bytes()
    doc = parse_bytes(data, "download(3).txt").document
    assert (doc.source, doc.agency, doc.year) == ("download(3).txt", "平潭综合实验区", 2022)


def test_regulation_articles_are_whole_chunks_with_their_chapter():
    parsed = parse_file(REGULATIONS / "gov_info_disclosure_regulation_2019.txt")
    assert parsed.document.kind == "regulation"
    assert parsed.document.title == "中华人民共和国政府信息公开条例"
    articles = [c for c in parsed.chunks if c.chunk_type == "article"]
    assert len(articles) == 56
    art33 = next(c for c in articles if c.section.endswith("第三十三条"))
    assert art33.section == "第四章 依申请公开 / 第三十三条"
    paragraphs = art33.text.split("\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith("行政机关不能当场答复的") and "20个工作日" in paragraphs[1]
    art20 = next(c for c in articles if c.section.endswith("第二十条"))
    assert "(十五)" in art20.text  # numbered items stay inside their article


def test_headings_run_into_their_text_still_make_sections():
    # The Jiangsu norms print 「一、申请审查明确“补不补”行政机关收到…（一）补正情形。当…」 as one line.
    parsed = parse_file(REGULATIONS / "jiangsu_gov_info_application_handling_reply_norms_2020.txt")
    sections = list(dict.fromkeys(c.section for c in parsed.chunks))
    assert sections[:5] == [
        "正文",
        "一、申请审查明确“补不补”",
        "一、申请审查明确“补不补” / （一）补正情形",
        "一、申请审查明确“补不补” / （二）补正告知",
        "一、申请审查明确“补不补” / （三）补正结果",
    ]
    assert "三、信息检索确认“有没有”" in sections and len(sections) == 16
    result = next(c for c in parsed.chunks if c.section.endswith("（三）补正结果"))
    assert result.text.startswith("（三）补正结果。补正原则上不超过一次")
    held = "".join(c.text for c in parsed.chunks)
    source = (REGULATIONS / "jiangsu_gov_info_application_handling_reply_norms_2020.txt").read_text("utf-8")
    body = [line for line in source.splitlines() if line.startswith(("一、", "二、", "三、", "四、", "五、"))]
    sentences = [s for line in body for s in line.split("。")[1:] if s]
    assert sentences and all(s in held for s in sentences)  # nothing dropped at the cuts


def test_format_notices_are_regulations_not_reports():
    for path in REGULATIONS.glob("gov_info_annual_report_format_notice_*.txt"):
        parsed = parse_file(path)
        assert parsed.document.kind == "regulation", path.name
        assert parsed.facts == []


def test_table_rows_are_chunks_with_table_title_row_path_and_headers():
    parsed = parse_file(REPORTS / "平潭综合实验区管委会_2021.txt")
    row = next(
        c for c in parsed.chunks if c.chunk_type == "table_row" and c.section.endswith("7.属于行政执法案卷")
    )
    assert (
        row.section
        == "三、收到和处理政府信息公开申请情况 / 表三 / 三、本年度办理结果 / （三）不予公开 / 7.属于行政执法案卷"
    )
    assert "自然人 6" in row.text and "总计 6" in row.text
    narrative = [c for c in parsed.chunks if c.chunk_type == "narrative"]
    assert any(c.section == "一、总体情况 / （二）依申请公开方面" for c in narrative)
    assert all(not c.text.startswith("# source") for c in narrative)


def test_general_document_is_ingested_without_facts():
    parsed = parse_bytes("会议纪要\n今天讨论了食堂的菜单，决定周五加一道菜。".encode(), "memo.txt")
    assert parsed.document.kind == "other"
    assert parsed.facts == [] and parsed.chunks


def test_year_in_chinese_numerals_and_agency_from_the_signature():
    text = (REPORTS / "平潭综合实验区管委会_2021.txt").read_text(encoding="utf-8")
    body = text.split("\n", 5)[5]  # drop the provenance header with its 标题 line
    report = "二〇二一年度政府信息公开工作年度报告\n" + body + "\n\n平潭综合实验区管委会\n2022年1月28日\n"
    doc = parse_bytes(report.encode("utf-8"), "nb.txt").document
    assert (doc.kind, doc.year, doc.agency) == ("report", 2021, "平潭综合实验区管委会")

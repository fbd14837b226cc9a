"""Loader-level tests for PDF, DOCX and HTML: real corpus files against their .txt renderings,
generated official-layout reports, and the error cases."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import docgen
from ingest.html import clean_text, load_html
from ingest.loaders import load_bytes, load_path, text_to_blocks
from ingest.pdf import load_pdf
from ingest.types import IngestError, LoadedFile, Paragraph, Table
from ingest.word import load_docx

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ROOT / "data" / "corpus" / "formats"
REPORTS = ROOT / "data" / "corpus" / "reports"
PDF_2019 = FORMATS / "平潭综合实验区管委会_2019.pdf"
HTML_2021 = FORMATS / "平潭综合实验区管委会_2021.html"
DOCX_2022 = FORMATS / "平潭综合实验区管委会_2022.docx"
APPLICANT_COLUMNS = list(docgen.TABLE3_COLUMNS)  # 自然人 … 总计


# --- helpers -----------------------------------------------------------------------------------


def tables(loaded: LoadedFile) -> list[list[list[str]]]:
    return [block.rows for block in loaded.blocks if isinstance(block, Table)]


def paragraphs(loaded: LoadedFile) -> list[str]:
    return [block.text for block in loaded.blocks if isinstance(block, Paragraph)]


def table_with(loaded: LoadedFile, first_cell: str) -> list[list[str]]:
    """The table whose first column holds `first_cell`."""
    found = [rows for rows in tables(loaded) if any(row[0] == first_cell for row in rows)]
    assert len(found) == 1, f"{first_cell!r} in {len(found)} tables"
    return found[0]


def row_of(rows: list[list[str]], label: str) -> list[str]:
    found = [row for row in rows if row[0] == label]
    assert len(found) == 1, f"{label!r} found {len(found)} times"
    return found[0]


def txt_table3(txt: Path) -> dict[str, list[str]]:
    """Table-3 rows of a corpus .txt: leaf label → the 7 cells (自然人 … 总计), blanks as ""."""
    rows: dict[str, list[str]] = {}
    inside = False
    for block in text_to_blocks(txt.read_text(encoding="utf-8")):
        if isinstance(block, Table) and block.rows[0][:2] == ["项目", "自然人"]:
            inside = True
            for row in block.rows[1:]:
                rows[row[0].split(" / ")[-1]] = row[1:8]
    assert inside
    return rows


def table3_by_leaf(rows: list[list[str]]) -> dict[str, list[str]]:
    """Loaded table-3 rows (one label column) keyed by label, group rows left out."""
    return {row[0]: row[1:] for row in rows[1:] if len(set(row)) > 1}


@pytest.fixture(scope="module")
def spec() -> dict:
    return docgen.example_spec()


@pytest.fixture(scope="module")
def generated(spec: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return docgen.write_all(spec, tmp_path_factory.mktemp("official"))


@pytest.fixture(scope="module")
def pdf_2019() -> LoadedFile:
    return load_path(PDF_2019)


# --- text helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cell", "expected"),
    [
        ("行政诉讼（未经复\n议直接起诉）", True, "行政诉讼（未经复议直接起诉）"),
        ("社会公益\n组织", True, "社会公益组织"),
        ("总\u3000\u3000计", True, "总计"),
        ("自 然 人", True, "自然人"),
        ("2019\n年", False, "2019年"),
        ("Freedom of\ninformation", False, "Freedom of information"),
        ("  本年\xa0收费  ", False, "本年 收费"),
        ("\u200b单位\ufeff", True, "单位"),
    ],
)
def test_clean_text_joins_lines_without_spaces_between_cjk(raw: str, cell: bool, expected: str) -> None:
    assert clean_text(raw, cell=cell) == expected


# --- corpus PDF (2019) -------------------------------------------------------------------------


def test_pdf_table3_split_across_pages_is_one_table(pdf_2019: LoadedFile) -> None:
    rows = table_with(pdf_2019, "一、本年新收政府信息公开申请数量")
    labels = [row[0] for row in rows]
    assert labels[0] == "项目"
    assert labels[1] == "一、本年新收政府信息公开申请数量"
    assert labels[-1] == "四、结转下年度继续办理"
    assert "1.本机关不掌握相关政府信息" in labels  # first row of page 4
    assert labels.count("项目") == 1
    assert len(rows) == 28 and all(len(row) == 8 for row in rows)


def test_pdf_table3_cells_equal_txt(pdf_2019: LoadedFile) -> None:
    rows = table_with(pdf_2019, "一、本年新收政府信息公开申请数量")
    assert rows[0] == ["项目", *APPLICANT_COLUMNS]
    assert row_of(rows, "2.重复申请") == ["2.重复申请", "3", "0", "0", "0", "0", "0", "3"]
    assert row_of(rows, "3.补正后申请内容仍不明确")[1] == "5"
    assert row_of(rows, "（七）总计")[1:] == ["23", "0", "0", "0", "0", "0", "23"]
    assert table3_by_leaf(rows) == txt_table3(REPORTS / "平潭综合实验区管委会_2019.txt")


def test_pdf_group_rows_are_full_width(pdf_2019: LoadedFile) -> None:
    rows = table_with(pdf_2019, "一、本年新收政府信息公开申请数量")
    assert row_of(rows, "三、本年度办理结果") == ["三、本年度办理结果"] * 8
    assert row_of(rows, "（三）不予公开") == ["（三）不予公开"] * 8
    assert row_of(rows, "（五）不予处理") == ["（五）不予处理"] * 8  # on the continuation page


def test_pdf_wrapped_cells_and_table4(pdf_2019: LoadedFile) -> None:
    rows = table_with(pdf_2019, "行政复议")
    assert [row[0] for row in rows] == ["类别", *docgen.TABLE4_GROUPS]
    table3 = table_with(pdf_2019, "一、本年新收政府信息公开申请数量")
    assert row_of(table3, "5.要求行政机关确认或重新出具已获取信息")[1:] == ["0"] * 7


def test_pdf_table2_items(pdf_2019: LoadedFile) -> None:
    rows = table_with(pdf_2019, "行政许可")
    assert rows[0] == ["第二十条第（五）项"] * 4
    assert row_of(rows, "其他对外管理服务事项") == ["其他对外管理服务事项", "10", "0", "153"]
    assert row_of(table_with(pdf_2019, "政府集中采购"), "政府集中采购")[2] == "75394432.52元"


def test_pdf_page_footers_removed_and_prose_rejoined(pdf_2019: LoadedFile) -> None:
    text = pdf_2019.text()
    assert "第 1 页" not in text and "第 4 页" not in text
    txt_lines = set((REPORTS / "平潭综合实验区管委会_2019.txt").read_text(encoding="utf-8").splitlines())
    paras = paragraphs(pdf_2019)
    # every prose paragraph after the title block comes back exactly as in the .txt
    assert [p for p in paras[2:] if p not in txt_lines] == []
    assert "一、总体情况" in paras and "六、其他需要报告的事项" in paras
    # the paragraph broken by the page 1 → 2 break is one paragraph
    assert any("（4）推进教育和医疗卫生信息公开。" in p for p in paras)


def test_pdf_table_text_not_duplicated_as_paragraphs(pdf_2019: LoadedFile) -> None:
    assert not any("重复申请" in p for p in paragraphs(pdf_2019))
    assert not any(p.startswith("信息内容") for p in paragraphs(pdf_2019))


# --- corpus HTML (2021) and DOCX (2022) --------------------------------------------------------


def test_html_corpus_tables_equal_txt() -> None:
    loaded = load_path(HTML_2021)
    assert loaded.encoding == "utf-8" and loaded.format == "html"
    rows = table_with(loaded, "一、本年新收政府信息公开申请数量")
    assert row_of(rows, "一、本年新收政府信息公开申请数量")[1:] == ["64", "0", "0", "2", "0", "4", "70"]
    assert row_of(rows, "（三）不予公开") == ["（三）不予公开"] * 8
    assert table3_by_leaf(rows) == txt_table3(REPORTS / "平潭综合实验区管委会_2021.txt")
    assert row_of(table_with(loaded, "行政复议"), "行政复议")[1:] == ["1", "0", "2", "0", "3"]
    assert row_of(table_with(loaded, "行政事业性收费"), "行政事业性收费")[1] == "24252.311082"
    assert paragraphs(loaded)[0] == "平潭综合实验区2021年度政府信息公开工作年度报告"


def test_docx_corpus_tables_equal_txt() -> None:
    loaded = load_path(DOCX_2022)
    assert loaded.format == "docx"
    rows = table_with(loaded, "一、本年新收政府信息公开申请数量")
    assert row_of(rows, "3.其他")[1:] == ["0", "2", "0", "0", "0", "0", "2"]
    assert row_of(rows, "三、本年度办理结果") == ["三、本年度办理结果"] * 8
    assert table3_by_leaf(rows) == txt_table3(REPORTS / "平潭综合实验区管委会_2022.txt")
    assert table_with(loaded, "行政许可")[0] == ["第二十条第（五）项"] * 2
    table4 = table_with(loaded, "行政复议")
    assert row_of(table4, "行政诉讼（未经复议直接起诉）")[1:] == ["1", "0", "0", "0", "1"]
    # body order: the table-3 heading comes right before table 3
    kinds = [(type(b).__name__, b.text if isinstance(b, Paragraph) else b.rows[0][0]) for b in loaded.blocks]
    i = kinds.index(("Paragraph", "三、收到和处理政府信息公开申请情况"))
    assert kinds[i + 1] == ("Table", "项目")


# --- generated official-layout reports ---------------------------------------------------------

FORMATS_GENERATED = ["html", "html_gb18030", "docx", "pdf"]


@pytest.mark.parametrize("fmt", FORMATS_GENERATED)
def test_official_layout_grids(fmt: str, spec: dict, generated: dict[str, Path]) -> None:
    loaded = load_path(generated[fmt])
    expected = [docgen.expand(layout) for layout in docgen.table2_layouts(spec)]
    expected += [docgen.expand(docgen.table3_layout(spec)), docgen.expand(docgen.table4_layout(spec))]
    assert tables(loaded) == expected


@pytest.mark.parametrize("fmt", FORMATS_GENERATED)
def test_official_layout_cells(fmt: str, generated: dict[str, Path]) -> None:
    loaded = load_path(generated[fmt])
    table3 = next(rows for rows in tables(loaded) if len(rows[0]) == 10)
    assert table3[0] == [""] * 3 + ["申请人情况"] * 7
    assert table3[1] == [""] * 3 + ["自然人"] + ["法人或其他组织"] * 5 + ["总计"]
    assert table3[2] == [""] * 3 + APPLICANT_COLUMNS
    assert table3[3] == ["一、本年新收政府信息公开申请数量"] * 3 + ["37", "5", "", "1", "2", "0", "45"]
    by_leaf = {tuple(row[:3]): row[3:] for row in table3[3:]}
    results, withheld = "三、本年度办理结果", "（三）不予公开"
    assert by_leaf[(results, withheld, "4.保护第三方合法权益")] == ["2", "0", "", "0", "1", "0", "3"]
    assert by_leaf[(results, withheld, "5.属于三类内部事务信息")] == ["0", "0", "", "0", "0", "0", "0"]
    assert by_leaf[(results, "（一）予以公开", "（一）予以公开")] == ["14", "2", "", "1", "0", "0", "17"]
    assert by_leaf[(results, "（七）总计", "（七）总计")] == ["40", "4", "", "1", "2", "0", "47"]
    assert by_leaf[("四、结转下年度继续办理",) * 3] == ["0", "2", "", "0", "0", "0", "2"]
    assert sum(1 for row in table3 if row[0] == "三、本年度办理结果") == 22
    table4 = next(rows for rows in tables(loaded) if len(rows[0]) == 15)
    assert table4[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    assert table4[1][5:] == ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5
    assert table4[2] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    assert table4[3] == ["2", "1", "0", "1", "4", "3", "0", "1", "0", "4", "1", "0", "0", "1", "2"]
    enforcement = next(rows for rows in tables(loaded) if rows[0][0] == "第二十条第（六）项")
    assert enforcement[-1] == ["行政强制", ""]  # a blank cell stays blank


@pytest.mark.parametrize("fmt", FORMATS_GENERATED)
def test_official_layout_prose(fmt: str, spec: dict, generated: dict[str, Path]) -> None:
    paras = paragraphs(load_path(generated[fmt]))
    assert paras[0] == spec["title"]
    for title in docgen.SECTION_TITLES:
        assert title in paras
    for texts in spec["sections"].values():
        for text in texts:
            assert text in paras
    assert docgen.CHECK_NOTE in paras
    joined = "\n".join(paras)
    for chrome in ("当前位置", "版权所有", "分享到", "统计代码", "页面统计", "第 1 页", "政务服务"):
        assert chrome not in joined


@pytest.mark.parametrize(
    "break_before",
    [
        "二、上年结转政府信息公开申请数量",  # first part: no cell separates the three label columns
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",  # 三、… cut after one row
        "1.属于国家秘密",  # both 三、… and the continuation start inside spans
        "四、结转下年度继续办理",  # continuation: only a full-width label row
    ],
)
def test_pdf_table3_broken_anywhere_is_one_exact_grid(break_before: str, spec: dict, tmp_path: Path) -> None:
    path = docgen.write_pdf(spec, tmp_path / "broken.pdf", break_table3_before=break_before)
    loaded = load_path(path)
    assert [rows for rows in tables(loaded) if len(rows[0]) == 10] == [
        docgen.expand(docgen.table3_layout(spec))
    ]
    assert len(tables(loaded)) == 6


def test_pdf_running_header_and_footer_removed(generated: dict[str, Path], spec: dict) -> None:
    loaded = load_path(generated["pdf"])
    assert f"{spec['agency']}政府信息公开" not in paragraphs(loaded)
    assert not any(p.startswith("第 ") and p.endswith(" 页") for p in paragraphs(loaded))


def test_pdf_separate_small_tables_across_a_page_break_stay_separate(generated: dict[str, Path]) -> None:
    heads = [rows[0][0] for rows in tables(load_path(generated["pdf"]))]
    assert heads[:4] == [heading for heading, _, _ in docgen.TABLE2_ITEMS]


# --- HTML specifics ----------------------------------------------------------------------------


def test_gb18030_page_decodes(generated: dict[str, Path], spec: dict) -> None:
    data = generated["html_gb18030"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    loaded = load_bytes(data, "report_gb.html")
    assert loaded.encoding == "gb18030"
    assert paragraphs(loaded)[0] == spec["title"]


@pytest.mark.parametrize("declared", ["gbk", "GB2312", "gb18030"])
def test_gbk_family_declarations_map_to_gb18030(declared: str) -> None:
    page = f'<html><head><meta charset="{declared}"></head><body><p>镕基䶮</p></body></html>'
    blocks, encoding = load_html(page.encode("gb18030"), "x.html")
    assert encoding == "gb18030"
    assert blocks == [Paragraph("镕基䶮")]


def test_undeclared_gbk_page_falls_back_to_gb18030() -> None:
    page = "<html><body><p>政府信息公开工作年度报告</p><p>行政复议</p></body></html>"
    blocks, encoding = load_html(page.encode("gbk"), "x.html")
    assert encoding == "gb18030"
    assert [b.text for b in blocks] == ["政府信息公开工作年度报告", "行政复议"]


def test_stale_gb2312_declaration_on_utf8_page() -> None:
    page = '<html><head><meta charset="gb2312"></head><body><p>政府信息公开</p></body></html>'
    blocks, encoding = load_html(page.encode("utf-8"), "x.html")
    assert encoding == "utf-8" and blocks == [Paragraph("政府信息公开")]


def test_bom_wins_over_wrong_declaration() -> None:
    page = '<html><head><meta charset="gbk"></head><body><p>年度报告</p></body></html>'
    blocks, encoding = load_html(b"\xef\xbb\xbf" + page.encode("utf-8"), "x.html")
    assert encoding == "utf-8-sig" and blocks == [Paragraph("年度报告")]


def test_html_rowspan_colspan_expanded() -> None:
    page = """<table border="1">
    <tr><td rowspan="2" colspan="2">&nbsp;</td><td colspan="3">申请人情况</td></tr>
    <tr><td>自然人</td><td>商业<br>企业</td><td rowspan="2">总&nbsp;计</td></tr>
    <tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>4</td><td></td></tr>
    <tr><td>（二）部分公开</td><td>1</td><td>0</td><td>1</td></tr>
    </table>"""
    blocks, _ = load_html(page.encode("utf-8"), "t.html")
    assert blocks == [
        Table(
            [
                ["", "", "申请人情况", "申请人情况", "申请人情况"],
                ["", "", "自然人", "商业企业", "总计"],
                ["三、本年度办理结果", "（一）予以公开", "4", "", "总计"],
                ["三、本年度办理结果", "（二）部分公开", "1", "0", "1"],
            ]
        )
    ]


def test_html_layout_tables_become_blocks() -> None:
    page = """<html><body><table width="100%"><tr><td>
      <p>一、总体情况</p><div>本年度工作情况良好。<br>第二行文字。</div>
      <table border="1"><tr><td>类别</td><td>总计</td></tr><tr><td>行政复议</td><td>2</td></tr></table>
    </td></tr></table>
    <table><tr><td>五、存在的主要问题及改进情况：这是一个只有一列的排版表格，用来放正文段落。</td></tr></table>
    </body></html>"""
    blocks, _ = load_html(page.encode("utf-8"), "t.html")
    assert blocks == [
        Paragraph("一、总体情况"),
        Paragraph("本年度工作情况良好。"),
        Paragraph("第二行文字。"),
        Table([["类别", "总计"], ["行政复议", "2"]]),
        Paragraph("五、存在的主要问题及改进情况：这是一个只有一列的排版表格，用来放正文段落。"),
    ]


def test_html_main_container_preferred_and_header_cells_kept() -> None:
    page = """<html><head><title>年报_某县人民政府</title></head><body>
    <div id="menu"><a>首页</a><a>机构概况</a></div>
    <div class="breadcrumb">当前位置：首页 &gt; 年报</div>
    <div class="main-box"><h1>某县2023年政府信息公开工作年度报告</h1>
      <div class="TRS_Editor"><p>一、总体情况</p><p>正文第一段，字数足够多，是页面的主要内容。正文继续。</p>
      <table><tr><td class="header">类别</td><td class="header">总计</td></tr>
             <tr><td>行政复议</td><td>1</td></tr></table>
      <div style="display:none">隐藏的文字</div></div>
    </div>
    <div id="footer">主办单位：某县人民政府办公室</div></body></html>"""
    blocks, _ = load_html(page.encode("utf-8"), "t.html")
    assert blocks == [
        Paragraph("某县2023年政府信息公开工作年度报告"),
        Paragraph("一、总体情况"),
        Paragraph("正文第一段，字数足够多，是页面的主要内容。正文继续。"),
        Table([["类别", "总计"], ["行政复议", "1"]]),
    ]


def test_html_heading_broken_by_br_is_one_paragraph() -> None:
    page = "<h1>某县2023年政府信息<br>公开工作年度报告</h1><p>第一行<br/>第二行</p>"
    blocks, _ = load_html(page.encode("utf-8"), "t.html")
    assert blocks == [
        Paragraph("某县2023年政府信息公开工作年度报告"),
        Paragraph("第一行"),
        Paragraph("第二行"),
    ]


# --- DOCX specifics ----------------------------------------------------------------------------


def test_docx_vertical_and_horizontal_merges(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_paragraph("表格前的段落")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(2, 0)).text = "三、本年度办理结果"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "（三）不予公开"
    for c, text in ((1, "1.属于国家秘密"), (2, "")):
        table.cell(1, c).text = text
    table.cell(2, 1).text = "2.其他法律行政法规禁止公开"
    table.cell(2, 2).text = "7"
    document.add_paragraph("表格后的段落")
    path = tmp_path / "merged.docx"
    document.save(str(path))
    loaded = load_path(path)
    assert loaded.blocks == [
        Paragraph("表格前的段落"),
        Table(
            [
                ["三、本年度办理结果", "（三）不予公开", "（三）不予公开"],
                ["三、本年度办理结果", "1.属于国家秘密", ""],
                ["三、本年度办理结果", "2.其他法律行政法规禁止公开", "7"],
            ]
        ),
        Paragraph("表格后的段落"),
    ]


def test_docx_layout_table_is_read_as_blocks(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    frame = document.add_table(rows=1, cols=1).cell(0, 0)
    frame.paragraphs[0].text = "一、总体情况"
    frame.add_paragraph("本年度工作稳步推进。")
    inner = frame.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "类别", (0, 1): "总计", (1, 0): "行政复议", (1, 1): "3"}.items():
        inner.cell(r, c).text = text
    path = tmp_path / "framed.docx"
    document.save(str(path))
    assert load_path(path).blocks == [
        Paragraph("一、总体情况"),
        Paragraph("本年度工作稳步推进。"),
        Table([["类别", "总计"], ["行政复议", "3"]]),
    ]


# --- errors ------------------------------------------------------------------------------------


def _canvas_pdf(draw, **kwargs) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, **kwargs)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_encrypted_pdf() -> None:
    data = _canvas_pdf(lambda c: c.drawString(100, 700, "annual report"), encrypt="pw")
    with pytest.raises(IngestError) as info:
        load_bytes(data, "locked.pdf")
    assert info.value.code == "encrypted"
    assert info.value.message_zh.startswith("locked.pdf：") and "加密" in info.value.message_zh
    assert info.value.message_en.startswith("locked.pdf:")


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_corrupt_pdf(cut: float) -> None:
    data = PDF_2019.read_bytes()
    truncated = data[: int(len(data) * cut)]
    assert truncated.startswith(b"%PDF")
    with pytest.raises(IngestError) as info:
        load_pdf(truncated, "broken.pdf")
    assert info.value.code == "corrupt"
    assert "损坏" in info.value.message_zh


def test_garbage_after_pdf_magic_is_corrupt() -> None:
    with pytest.raises(IngestError) as info:
        load_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100, "x.pdf")
    assert info.value.code == "corrupt"


def test_scanned_pdf_without_text_layer() -> None:
    def draw(c) -> None:
        c.setFillGray(0.6)
        c.rect(72, 72, 450, 650, fill=1)
        c.line(72, 400, 522, 400)

    with pytest.raises(IngestError) as info:
        load_bytes(_canvas_pdf(draw), "scan.pdf")
    assert info.value.code == "scanned"
    assert "扫描件" in info.value.message_zh and "OCR" in info.value.message_zh
    assert info.value.message_zh.startswith("scan.pdf：")


def test_scanned_pdf_with_only_stamped_page_numbers() -> None:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number in (1, 2, 3):
        pdf.rect(72, 100, 450, 650, fill=1)
        pdf.drawCentredString(297, 40, f"- {number} -")
        pdf.showPage()
    pdf.save()
    with pytest.raises(IngestError) as info:
        load_pdf(buffer.getvalue(), "stamped.pdf")
    assert info.value.code == "scanned"


def test_corrupt_docx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>not really")
    with pytest.raises(IngestError) as info:
        load_bytes(buffer.getvalue(), "broken.docx")
    assert info.value.code == "corrupt"
    assert "损坏" in info.value.message_zh


def test_zip_that_is_not_docx_is_unsupported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data/report.csv", "a,b\n1,2\n")
    with pytest.raises(IngestError) as info:
        load_bytes(buffer.getvalue(), "archive.zip")
    assert info.value.code == "unsupported"
    assert "不支持" in info.value.message_zh


def test_loader_direct_calls_match_load_bytes() -> None:
    data = DOCX_2022.read_bytes()
    assert load_docx(data, DOCX_2022.name) == load_bytes(data, DOCX_2022.name).blocks

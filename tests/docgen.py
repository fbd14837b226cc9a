"""Write annual reports in the official template layout (国办公开办函〔2021〕30号) as HTML, DOCX,
PDF and plain text, from one spec, so tests can load every format and compare.

The layout of each table is described once, as positioned cells (row, column, rowspan, colspan,
text); the HTML, Word and PDF writers render the same cells, and `expand()` gives the grid a
loader should return (a merged cell's text in every position it covers).

Table 3: three header rows (a blank corner over the label columns; 申请人情况 over all applicant
columns; 自然人 and 总计 spanning two rows; 法人或其他组织 over 商业企业 … 其他) and up to three
label columns (三、本年度办理结果 spanning every result row, （三）不予公开 spanning its eight
sub-rows, rows like 一、本年新收… spanning all three label columns).
Table 4: 行政复议 over 5 columns, 行政诉讼 over 10 (未经复议直接起诉 5, 复议后起诉 5), then
结果维持 … 总计 three times, and one data row of 15 numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE3_COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
LEGAL_PERSONS = TABLE3_COLUMNS[1:6]
TABLE4_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
TABLE4_GROUPS = ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
CHECK_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

_R3 = "三、本年度办理结果"
TABLE3_ROWS: list[tuple[str, ...]] = [
    ("一、本年新收政府信息公开申请数量",),
    ("二、上年结转政府信息公开申请数量",),
    (_R3, "（一）予以公开"),
    (_R3, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    *[
        (_R3, "（三）不予公开", leaf)
        for leaf in (
            "1.属于国家秘密",
            "2.其他法律行政法规禁止公开",
            "3.危及“三安全一稳定”",
            "4.保护第三方合法权益",
            "5.属于三类内部事务信息",
            "6.属于四类过程性信息",
            "7.属于行政执法案卷",
            "8.属于行政查询事项",
        )
    ],
    *[
        (_R3, "（四）无法提供", leaf)
        for leaf in ("1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确")
    ],
    *[
        (_R3, "（五）不予处理", leaf)
        for leaf in (
            "1.信访举报投诉类申请",
            "2.重复申请",
            "3.要求提供公开出版物",
            "4.无正当理由大量反复申请",
            "5.要求行政机关确认或重新出具已获取信息",
        )
    ],
    *[
        (_R3, "（六）其他处理", leaf)
        for leaf in (
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "3.其他",
        )
    ],
    (_R3, "（七）总计"),
    ("四、结转下年度继续办理",),
]

# 第二十条 items of table 2: (item heading, column headers, row labels)
TABLE2_ITEMS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "第二十条第（一）项",
        ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
        ("规章", "行政规范性文件"),
    ),
    ("第二十条第（五）项", ("信息内容", "本年处理决定数量"), ("行政许可",)),
    ("第二十条第（六）项", ("信息内容", "本年处理决定数量"), ("行政处罚", "行政强制")),
    ("第二十条第（八）项", ("信息内容", "本年收费金额（单位：万元）"), ("行政事业性收费",)),
]

SECTION_TITLES = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)

Value = int | float | None


def row_key(path: tuple[str, ...]) -> str:
    """A table-3 row's label path as the .txt layout writes it: "三、… / （三）不予公开 / 1.…"."""
    return " / ".join(path)


def fmt(value: Value) -> str:
    """A cell value as published: blank for None, no trailing ".0" for whole numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def example_spec() -> dict[str, Any]:
    """A township report with numbers unlike the bundled corpus and some blank cells."""
    applicants: dict[str, list[Value]] = {
        # 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他 (总计 is computed)
        "一、本年新收政府信息公开申请数量": [37, 5, None, 1, 2, 0],
        "二、上年结转政府信息公开申请数量": [3, 1, None, 0, 0, 0],
        "（一）予以公开": [14, 2, None, 1, 0, 0],
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": [4, 1, None, 0, 0, 0],
        "3.危及“三安全一稳定”": [1, 0, None, 0, 0, 0],
        "4.保护第三方合法权益": [2, 0, None, 0, 1, 0],
        "6.属于四类过程性信息": [1, 0, None, 0, 0, 0],
        "8.属于行政查询事项": [3, 0, None, 0, 0, 0],
        "1.本机关不掌握相关政府信息": [9, 1, None, 0, 1, 0],
        "3.补正后申请内容仍不明确": [2, 0, None, 0, 0, 0],
        "1.信访举报投诉类申请": [1, 0, None, 0, 0, 0],
        "2.重复申请": [2, 0, None, 0, 0, 0],
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": [1, 0, None, 0, 0, 0],
    }
    table3: dict[str, list[Value]] = {}
    result_rows: list[list[Value]] = []
    for path in TABLE3_ROWS:
        if path[-1] == "（七）总计":
            continue
        base = applicants.get(path[-1], [0, 0, None, 0, 0, 0])
        values = [*base, sum(v for v in base if v is not None)]
        table3[row_key(path)] = values
        if path[0] == _R3:
            result_rows.append(values)
    totals = [sum(row[i] or 0 for row in result_rows) for i in range(7)]
    totals[2] = None  # 科研机构 left blank throughout, as some agencies do
    table3[row_key((_R3, "（七）总计"))] = totals
    first, carried = table3[row_key(TABLE3_ROWS[0])], table3[row_key(TABLE3_ROWS[1])]
    table3[row_key(TABLE3_ROWS[-1])] = [
        None if a is None else a + (b or 0) - (t or 0) for a, b, t in zip(first, carried, totals, strict=True)
    ]
    return {
        "agency": "青石县白沙镇人民政府",
        "year": 2023,
        "title": "青石县白沙镇人民政府2023年政府信息公开工作年度报告",
        "published": "2024-01-26 09:30",
        "intro": (
            "本报告根据《中华人民共和国政府信息公开条例》和国务院办公厅政府信息与政务公开办公室的要求编制。"
            "本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。"
        ),
        "sections": {
            "一、总体情况": [
                "2023年，白沙镇坚持以公开促落实、以公开促规范、以公开促服务，认真落实《条例》各项规定，"
                "围绕全镇中心工作和群众关切，持续深化政务公开，全镇政务公开工作水平稳步提升。" * 2,
                "（一）主动公开方面。全年通过县政府门户网站镇级专栏、政务新媒体和村务公开栏主动公开政府"
                "信息763条，其中规范性文件6件、财政预决算信息14条、乡村振兴项目信息52条、民生救助信息"
                "118条。重点做好低保、特困供养、临时救助等信息的公开，每季度更新一次救助对象名单。" * 2,
                "（二）依申请公开方面。严格执行政府信息公开申请登记、审核、办理、答复、归档制度，全年"
                "新收政府信息公开申请45件，上年结转4件，均在法定期限内答复，2件结转下年度继续办理。" * 2,
                "（三）政府信息管理方面。落实公文公开属性源头认定机制，拟制公文时明确主动公开、依申请"
                "公开或不予公开属性；对拟公开的信息严格执行保密审查，全年未发生失泄密事件。" * 2,
                "（四）平台建设方面。规范镇级专栏栏目设置，及时更新办事指南，全年专栏访问量12.6万人次。"
                "（五）监督保障方面。将政务公开纳入年度绩效考核，开展业务培训2次，培训人员86人次。" * 2,
            ],
            "三、收到和处理政府信息公开申请情况": [
                "本年度我镇共收到政府信息公开申请45件，其中自然人申请37件，商业企业申请5件，社会公益组织"
                "申请1件，法律服务机构申请2件，申请内容主要涉及征地拆迁补偿、低保救助和农村建房审批。"
                "所有申请均按照登记、拟办、审核、答复的流程办理，答复文书载明依据和救济途径。" * 3,
            ],
            "五、存在的主要问题及改进情况": [
                (
                    "一是政策解读形式较为单一；二是村级公开栏更新不够及时。下一步，我镇将丰富图解、视频等"
                    "解读形式，建立村务公开定期检查机制，推动公开内容及时更新。"
                ),
            ],
            "六、其他需要报告的事项": ["2023年，我镇未收取信息处理费。"],
        },
        "table2": {
            "规章": [0, 0, 1],
            "行政规范性文件": [6, 2, 47],
            "行政许可": [312],
            "行政处罚": [58],
            "行政强制": [None],
            "行政事业性收费": [12.85],
        },
        "table3": table3,
        "table4": [2, 1, 0, 1, 4, 3, 0, 1, 0, 4, 1, 0, 0, 1, 2],
    }


# --- layouts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell placed on the grid; `text` may contain "\\n" for a line break in the cell."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


@dataclass(frozen=True)
class Layout:
    n_rows: int
    n_cols: int
    cells: list[Cell]
    header_rows: int = 0


def expand(layout: Layout) -> list[list[str]]:
    """The grid a loader should return: every merged cell's text in each position it covers."""
    grid = [[""] * layout.n_cols for _ in range(layout.n_rows)]
    for cell in layout.cells:
        text = cell.text.replace("\n", "")
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                grid[r][c] = text
    return grid


def table2_layouts(spec: dict[str, Any]) -> list[Layout]:
    """One small table per 第二十条 item, its heading as a full-width first row."""
    layouts: list[Layout] = []
    for heading, columns, labels in TABLE2_ITEMS:
        width = len(columns)
        cells = [Cell(0, 0, 1, width, heading)]
        cells += [Cell(1, c, 1, 1, text) for c, text in enumerate(columns)]
        for r, label in enumerate(labels, start=2):
            cells.append(Cell(r, 0, 1, 1, label))
            cells += [Cell(r, c, 1, 1, fmt(v)) for c, v in enumerate(spec["table2"][label], start=1)]
        layouts.append(Layout(2 + len(labels), width, cells, header_rows=2))
    return layouts


def table3_layout(spec: dict[str, Any]) -> Layout:
    """Table 3 in the official layout (see the module docstring)."""
    cells = [
        Cell(0, 0, 3, 3, ""),
        Cell(0, 3, 1, 7, "申请人情况"),
        Cell(1, 3, 2, 1, "自然人"),
        Cell(1, 4, 1, 5, "法人或其他组织"),
        Cell(1, 9, 2, 1, "总计"),
    ]
    cells += [Cell(2, 4 + i, 1, 1, _two_lines(name)) for i, name in enumerate(LEGAL_PERSONS)]
    first = 3
    for i, path in enumerate(TABLE3_ROWS):
        r = first + i
        for depth in range(len(path) - 1):
            if i == 0 or TABLE3_ROWS[i - 1][: depth + 1] != path[: depth + 1]:
                run = sum(1 for other in TABLE3_ROWS[i:] if other[: depth + 1] == path[: depth + 1])
                cells.append(Cell(r, depth, run, 1, path[depth]))
        cells.append(Cell(r, len(path) - 1, 1, 3 - (len(path) - 1), path[-1]))
        values = spec["table3"][row_key(path)]
        cells += [Cell(r, 3 + j, 1, 1, fmt(v)) for j, v in enumerate(values)]
    return Layout(first + len(TABLE3_ROWS), 10, cells, header_rows=3)


def table4_layout(spec: dict[str, Any]) -> Layout:
    """Table 4 in the official layout: a three-level header and one row of 15 numbers."""
    cells = [
        Cell(0, 0, 1, 5, "行政复议"),
        Cell(0, 5, 1, 10, "行政诉讼"),
        Cell(1, 5, 1, 5, "未经复议直接起诉"),
        Cell(1, 10, 1, 5, "复议后起诉"),
    ]
    cells += [Cell(1, j, 2, 1, name) for j, name in enumerate(TABLE4_RESULTS)]
    cells += [Cell(2, 5 + k * 5 + j, 1, 1, name) for k in range(2) for j, name in enumerate(TABLE4_RESULTS)]
    cells += [Cell(3, j, 1, 1, fmt(v)) for j, v in enumerate(spec["table4"])]
    return Layout(4, 15, cells, header_rows=3)


def split_layout(layout: Layout, at_row: int) -> tuple[Layout, Layout]:
    """Cut a table before grid row `at_row`, as a page break does in Word: the second part
    repeats the header rows, and a cell spanning across the cut keeps its text in the first
    part only (its remainder on the next page is a blank merged cell)."""
    head = layout.header_rows
    first: list[Cell] = []
    second: list[Cell] = []
    for cell in layout.cells:
        end = cell.row + cell.rowspan
        if cell.row < at_row:
            first.append(Cell(cell.row, cell.col, min(end, at_row) - cell.row, cell.colspan, cell.text))
        if end <= head:
            second.append(cell)
        elif cell.row >= at_row:
            second.append(Cell(cell.row - at_row + head, cell.col, cell.rowspan, cell.colspan, cell.text))
        elif end > at_row:
            second.append(Cell(head, cell.col, end - at_row, cell.colspan, ""))
    return (
        Layout(at_row, layout.n_cols, first, head),
        Layout(layout.n_rows - at_row + head, layout.n_cols, second, head),
    )


def _two_lines(label: str) -> str:
    """Break a long header label in two, as narrow template columns do ("社会公益\\n组织")."""
    return f"{label[:4]}\n{label[4:]}" if len(label) > 4 else label


def _blocks(spec: dict[str, Any]) -> list[tuple[str, Any]]:
    """The report in reading order: ("title" | "meta" | "heading" | "para" | "table", payload)."""
    sections = spec["sections"]
    out: list[tuple[str, Any]] = [
        ("title", spec["title"]),
        ("meta", f"发布时间：{spec['published']}"),
        ("para", spec["intro"]),
    ]
    for title in SECTION_TITLES:
        out.append(("heading", title))
        out += [("para", text) for text in sections.get(title, [])]
        if title.startswith("二、"):
            out += [("table", layout) for layout in table2_layouts(spec)]
        elif title.startswith("三、"):
            out += [("para", CHECK_NOTE), ("table", table3_layout(spec))]
        elif title.startswith("四、"):
            out.append(("table", table4_layout(spec)))
    return out


# --- plain text (the tab-row layout of data/corpus/reports/*.txt) -----------------------------


def render_txt(spec: dict[str, Any]) -> str:
    """The report as the bundled .txt files write it: tab-separated table rows, table-3 rows
    keyed by their label path, table 4 as three rows of five."""
    lines = [f"标题: {spec['title']}", f"发布时间: {spec['published']}", "", spec["intro"]]
    for title in SECTION_TITLES:
        lines.append(title)
        lines += spec["sections"].get(title, [])
        if title.startswith("二、"):
            for heading, columns, labels in TABLE2_ITEMS:
                lines += [heading, "\t".join(columns)]
                lines += ["\t".join([label, *map(fmt, spec["table2"][label])]) for label in labels]
        elif title.startswith("三、"):
            lines += [
                CHECK_NOTE,
                (
                    "列说明：申请人情况 = 自然人 | 法人或其他组织（商业企业、科研机构、社会公益组织、"
                    "法律服务机构、其他） | 总计"
                ),
                "\t".join(["项目", *TABLE3_COLUMNS]),
            ]
            lines += ["\t".join([row_key(p), *map(fmt, spec["table3"][row_key(p)])]) for p in TABLE3_ROWS]
        elif title.startswith("四、"):
            lines += [
                (
                    "列说明：行政复议（结果维持、结果纠正、其他结果、尚未审结、总计）；行政诉讼分“未经复议直接"
                    "起诉”和“复议后起诉”两类，各含（结果维持、结果纠正、其他结果、尚未审结、总计）"
                ),
                "\t".join(["类别", *TABLE4_RESULTS]),
            ]
            for k, group in enumerate(TABLE4_GROUPS):
                lines.append("\t".join([group, *map(fmt, spec["table4"][k * 5 : k * 5 + 5])]))
    return "\n".join(lines) + "\n"


def write_txt(spec: dict[str, Any], path: Path) -> Path:
    path.write_text(render_txt(spec), encoding="utf-8")
    return path


# --- HTML --------------------------------------------------------------------------------------


def _html_table(layout: Layout) -> str:
    rows: list[list[str]] = [[] for _ in range(layout.n_rows)]
    for cell in sorted(layout.cells, key=lambda c: (c.row, c.col)):
        attrs = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
            f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
        )
        text = cell.text.replace("\n", "<br/>")
        if text == "总计":
            text = "总&nbsp;&nbsp;计"  # spaced-out labels are common in published pages
        rows[cell.row].append(f"<td{attrs}>{text}</td>")
    body = "\n".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f'<table border="1" cellspacing="0" class="MsoTableGrid">\n<tbody>\n{body}\n</tbody>\n</table>'


def render_html(spec: dict[str, Any], charset: str = "utf-8", layout_table: bool = False) -> str:
    """A government web page: site chrome (header, nav, breadcrumb, share bar, footer, scripts)
    around the report in a #zoom container; optionally wrapped in a one-cell layout table."""
    parts: list[str] = []
    for kind, payload in _blocks(spec):
        if kind == "title":
            continue  # the page's <h1> sits outside #zoom, as on most portals
        if kind == "meta":
            parts.append(f'<p class="info">{payload}</p>')
        elif kind == "heading":
            parts.append(f"<p><strong>{payload}</strong></p>")
        elif kind == "para":
            parts.append(f'<p style="text-indent:2em">{payload}</p>')
        else:
            parts.append(_html_table(payload))
    content = "\n".join(parts)
    if layout_table:
        content = f'<table width="100%"><tr><td>\n{content}\n</td></tr></table>'
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{spec["title"]}_{spec["agency"]}</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script>
<style>.nav li {{ float: left; }}</style></head>
<body>
<div class="header"><div class="logo">{spec["agency"]}门户网站</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li>政务服务</li></ul></div>
<div class="position">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<div class="article">
<h1 class="title">{spec["title"]}</h1>
<div id="zoom">
{content}
</div>
<div class="share">分享到：微信 微博</div>
</div>
<div class="footer"><p>版权所有：{spec["agency"]}　网站标识码：1234000001</p><p>第 1 页</p></div>
<script>console.log("页面统计")</script>
</body></html>
"""


def write_html(spec: dict[str, Any], path: Path, encoding: str = "utf-8", layout_table: bool = False) -> Path:
    """Write the HTML page in `encoding` (e.g. "gb18030"), declared in its <meta>."""
    path.write_bytes(render_html(spec, charset=encoding, layout_table=layout_table).encode(encoding))
    return path


# --- DOCX --------------------------------------------------------------------------------------


def _docx_table(document: Any, layout: Layout) -> None:
    table = document.add_table(rows=layout.n_rows, cols=layout.n_cols)
    table.style = "Table Grid"
    for cell in layout.cells:
        target = table.cell(cell.row, cell.col)
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(table.cell(cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1))
        lines = cell.text.split("\n")
        paragraph = target.paragraphs[0]
        run = paragraph.add_run(lines[0])
        for line in lines[1:]:
            run.add_break()
            run = paragraph.add_run(line)


def write_docx(spec: dict[str, Any], path: Path) -> Path:
    """Write the report as a Word document, merged cells made with python-docx's cell.merge."""
    from docx import Document

    document = Document()
    for kind, payload in _blocks(spec):
        if kind == "title":
            document.add_heading(payload, level=1)
        elif kind == "heading":
            document.add_heading(payload, level=2)
        elif kind in ("meta", "para"):
            document.add_paragraph(payload)
        else:
            _docx_table(document, payload)
            document.add_paragraph("")
    document.save(str(path))
    return path


# --- PDF ---------------------------------------------------------------------------------------


def _pdf_styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    base = {"fontName": "STSong-Light", "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=15, leading=22, alignment=1, spaceAfter=6, **base),
        "meta": ParagraphStyle("meta", fontSize=10, leading=15, alignment=1, spaceAfter=6, **base),
        "heading": ParagraphStyle("heading", fontSize=12.5, leading=18, spaceBefore=6, spaceAfter=3, **base),
        "para": ParagraphStyle("para", fontSize=10.5, leading=16, firstLineIndent=21, spaceAfter=3, **base),
        "cell": ParagraphStyle("cell", fontSize=7.5, leading=9.5, alignment=1, **base),
    }


def _pdf_table(layout: Layout, styles: dict[str, Any], width: float) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph as PdfParagraph
    from reportlab.platypus import Table as PdfTable
    from reportlab.platypus import TableStyle

    data: list[list[Any]] = [[""] * layout.n_cols for _ in range(layout.n_rows)]
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONT", (0, 0), (-1, -1), "STSong-Light", 7.5),
    ]
    for cell in layout.cells:
        data[cell.row][cell.col] = PdfParagraph(cell.text.replace("\n", "<br/>"), styles["cell"])
        if cell.rowspan > 1 or cell.colspan > 1:
            end = (cell.col + cell.colspan - 1, cell.row + cell.rowspan - 1)
            commands.append(("SPAN", (cell.col, cell.row), end))
    if layout.n_cols == 10:  # table 3: three label columns, the last one wide
        col_widths = [44.0, 50.0, 130.0] + [(width - 224.0) / 7] * 7
    else:
        col_widths = [width / layout.n_cols] * layout.n_cols
    return PdfTable(data, colWidths=col_widths, repeatRows=layout.header_rows, style=TableStyle(commands))


def write_pdf(spec: dict[str, Any], path: Path, break_table3_before: str = "5.属于三类内部事务信息") -> Path:
    """Write the report as a PDF with a running header and "第 N 页" footers, table 3 broken
    across a page before the row labelled `break_table3_before` (inside the spans of
    三、本年度办理结果 and （三）不予公开), its header rows repeated on the continuation page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Spacer
    from reportlab.platypus import Paragraph as PdfParagraph

    styles = _pdf_styles()
    page_width, page_height = A4

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("STSong-Light", 8)
        canvas.drawCentredString(page_width / 2, page_height - 30, f"{spec['agency']}政府信息公开")
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(page_width / 2, 28, f"第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=50,
        rightMargin=50,
        topMargin=56,
        bottomMargin=56,
        title=spec["title"],
    )
    flow: list[Any] = []
    for kind, payload in _blocks(spec):
        if kind == "table" and payload.n_cols == 10:
            at_row = payload.header_rows + [path[-1] for path in TABLE3_ROWS].index(break_table3_before)
            first, second = split_layout(payload, at_row)
            flow += [_pdf_table(first, styles, doc.width), PageBreak(), _pdf_table(second, styles, doc.width)]
        elif kind == "table":
            flow += [_pdf_table(payload, styles, doc.width), Spacer(1, 8)]
        else:
            flow.append(PdfParagraph(payload, styles[kind]))
    doc.build(flow, onFirstPage=decorate, onLaterPages=decorate)
    return path


def write_all(spec: dict[str, Any], directory: Path, stem: str = "report") -> dict[str, Path]:
    """Write the spec in every format; returns {"txt"|"html"|"html_gb18030"|"docx"|"pdf": path}."""
    return {
        "txt": write_txt(spec, directory / f"{stem}.txt"),
        "html": write_html(spec, directory / f"{stem}.html"),
        "html_gb18030": write_html(
            spec, directory / f"{stem}_gb.html", encoding="gb18030", layout_table=True
        ),
        "docx": write_docx(spec, directory / f"{stem}.docx"),
        "pdf": write_pdf(spec, directory / f"{stem}.pdf"),
    }

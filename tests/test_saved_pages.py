"""Reports as users save them from a government portal give the same facts as a clean page.

Each bundled report is rendered twice: as a clean page (title, paragraphs, plain tables) and as
the page a browser saves from a portal: a header and navigation, 当前位置, the 信息公开 metadata table
(索引号 / 发布机构 / 发文日期), a share/print/close bar, 附件下载, the 抄送 block under the report, a
footer with 主办单位 and 网站标识码, all inside nested layout tables, and the report's tables as Word
exports them (mso- styles on every cell, <o:p>, runs split inside numbers, &nbsp; in blank cells,
conditional comments, row labels merged across rows). Both must give the same facts, title, agency
and year, and no chunk may carry the portal's chrome.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from helpers import FORMATS, REPORTS
from ingest.pipeline import parse_bytes
from ingest.types import ParsedDocument

META = re.compile(
    r"^(#|标题|发布时间|发布机构|原文链接|页面来源栏|数据说明|列说明|文号|成文日期|转载页发布时间|说明|来源)[:：\s]"
)
CHROME_WORDS = (
    "上一篇",
    "下一篇",
    "扫一扫",
    "责任编辑",
    "当前位置",
    "网站标识码",
    "打印本页",
    "关闭窗口",
    "分享到",
    "抄送",
    "索引号",
    "ICP备",
    "附件下载",
)
_e = html.escape

Block = tuple[str, object]  # ("heading" | "para", str) or ("table", list[list[str]])


def report_blocks(path: Path) -> tuple[str, str, list[Block]]:
    """A bundled text report as (title, publisher, blocks): paragraphs and tab-separated tables."""
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("标题:")), "")
    publisher = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("发布机构:")), "")
    blocks: list[Block] = []
    for line in lines:
        if META.match(line) or not line.strip():
            continue
        if "\t" in line:
            row = line.split("\t")
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(row)  # type: ignore[union-attr]
            else:
                blocks.append(("table", [row]))
        elif re.match(r"^[一二三四五六七八九十]+、", line.strip()) and len(line) < 40:
            blocks.append(("heading", line.strip()))
        else:
            blocks.append(("para", line.strip()))
    return title, publisher, blocks


# --------------------------------------------------------------------------- the clean page


def clean_page(title: str, blocks: list[Block]) -> str:
    parts = [f"<h1>{_e(title)}</h1>"] if title else []
    for kind, payload in blocks:
        if kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>"
                for row in payload  # type: ignore[union-attr]
            )
            parts.append(f"<table border='1'>{rows}</table>")
        elif kind == "heading":
            parts.append(f"<h2>{_e(str(payload))}</h2>")
        else:
            parts.append(f"<p>{_e(str(payload))}</p>")
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_e(title)}</title></head><body>{"".join(parts)}</body></html>'


# --------------------------------------------------------------------------- Word-exported markup

SPAN = (
    'font-size:10.5pt;font-family:宋体;mso-ascii-font-family:"Times New Roman";'
    'mso-hansi-font-family:"Times New Roman";mso-bidi-font-family:宋体;color:black;mso-font-kerning:0pt'
)
TD = (
    "width:{w}pt;border:solid windowtext 1.0pt;border-top:none;mso-border-top-alt:solid windowtext .5pt;"
    "mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt;height:20.1pt"
)


def word_run(text: str) -> str:
    """A cell's text as Word writes it: numbers split into runs, blank as &nbsp;, <o:p> at the end."""
    if not text.strip():
        return '<span lang="EN-US" style="font-size:10.5pt">&nbsp;<o:p></o:p></span>'
    if re.fullmatch(r"\d{2,}(\.\d+)?", text):
        half = len(text) // 2
        return (
            f'<span lang="EN-US" style="{SPAN}">{text[:half]}</span>'
            f'<span lang="EN-US" style="{SPAN}">{text[half:]}<o:p></o:p></span>'
        )
    if text == "总计":
        text = "总&nbsp;&nbsp;计"
    else:
        text = _e(text)
    return f'<span style="{SPAN}">{text}<span lang="EN-US"><o:p></o:p></span></span>'


def word_cell(text: str, rowspan: int = 1, colspan: int = 1) -> str:
    spans = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (
        f' colspan="{colspan}"' if colspan > 1 else ""
    )
    return (
        f'<td width="{60 * colspan}" valign="center"{spans} style="{TD.format(w=45 * colspan)}">'
        '<p class="MsoNormal" align="center" style="text-align:center;mso-pagination:widow-orphan;'
        f'layout-grid-mode:char">{word_run(text)}</p></td>'
    )


def split_labels(rows: list[list[str]]) -> list[list[str]]:
    """Row labels published as 「三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密」 split into one column
    per level, as the printed table has them (the grid a Word table expands to)."""
    depth = max(len(row[0].split(" / ")) for row in rows)
    if depth == 1:
        return rows
    out = []
    for row in rows:
        parts = row[0].split(" / ")
        parts += [parts[-1]] * (depth - len(parts))  # a shallower label spans the remaining levels
        out.append(parts + row[1:])
    return out


def word_table(rows: list[list[str]]) -> str:
    """A Word-exported table: equal cells in a label column merged down (rowspan), equal label cells
    in a row merged across (colspan); data cells never merge."""
    grid = split_labels(rows)
    n_labels = len(grid[0]) - (len(rows[0]) - 1)
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(grid):
        cells = []
        for c, text in enumerate(row):
            if (r, c) in taken:
                continue
            colspan = 1
            while c < n_labels - 1 and c + colspan < n_labels and row[c + colspan] == text and r > 0:
                colspan += 1
            rowspan = 1
            while (
                c < n_labels
                and r > 0
                and r + rowspan < len(grid)
                and grid[r + rowspan][c] == text
                and all(grid[r + rowspan][c + k] == row[c + k] for k in range(colspan))
                and (c == 0 or grid[r + rowspan][c - 1] == row[c - 1])
                and colspan == 1
            ):
                rowspan += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken.add((r + dr, c + dc))
            cells.append(word_cell(text, rowspan, colspan))
        irow = f"mso-yfti-irow:{r};" + ("mso-yfti-firstrow:yes;" if r == 0 else "")
        out.append(f'<tr style="{irow}height:20.1pt">{"".join(cells)}</tr>')
    return (
        '<div align="center"><table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
        'style="border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;'
        'mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt">'
        f"<tbody>{''.join(out)}</tbody></table></div>"
    )


def word_paragraph(text: str, heading: bool = False) -> str:
    style = 'font-size:16.0pt;font-family:仿宋_GB2312;mso-hansi-font-family:"Times New Roman";color:#333333'
    body = f'<span style="{style}">{_e(text)}<span lang="EN-US"><o:p></o:p></span></span>'
    if heading:
        body = f"<b style='mso-bidi-font-weight:normal'>{body}</b>"
    return (
        '<p class="MsoNormal" style="text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt;'
        f'mso-line-height-rule:exactly">{body}</p>'
    )


# --------------------------------------------------------------------------- the portal


def portal_page(
    title: str, publisher: str, blocks: list[Block], charset: str = "utf-8", container: str = "TRS_Editor"
) -> str:
    """The page a browser saves: chrome, metadata table, the report in Word markup, footer. The
    report stands in a `container` div (TRS_Editor, a name loaders know, or any other), followed
    inside it by the attachment list and the 抄送 colophon."""
    site = publisher or "某某市人民政府"
    content = []
    for kind, payload in blocks:
        if kind == "table":
            content.append(word_table(payload))  # type: ignore[arg-type]
        else:
            content.append(word_paragraph(str(payload), heading=kind == "heading"))
    content.append(
        "<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->"
    )
    report = "\n".join(content)
    meta_table = (
        '<table class="xxgk_table" width="100%" border="0"><tr><td>索引号：</td><td>014000319/2023-00012</td>'
        f"<td>主题分类：</td><td>政务公开</td></tr><tr><td>发布机构：</td><td>{_e(site)}</td><td>发文日期：</td>"
        f"<td>2023-01-09</td></tr><tr><td>名　　称：</td><td colspan='3'>{_e(title)}</td></tr></table>"
    )
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{_e(title)}-{_e(site)}</title>
<script type="text/javascript" src="/js/jquery.min.js"></script>
<script>var _hmt = _hmt || [];</script>
</head>
<body>
<table width="1000" align="center" cellpadding="0" cellspacing="0"><tr><td>
  <table width="100%"><tr><td><img src="/images/logo.png" alt="{_e(site)}"></td>
  <td class="top-links">无障碍浏览 | 长者模式 | 繁體 | 登录 | 注册</td></tr></table>
  <div class="menu-bar"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
  <li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
  <table width="100%"><tr>
   <td width="220" valign="top"><div class="left-menu"><h3>政府信息公开</h3><ul><li><a href="#">政府信息公开指南</a></li>
   <li><a href="#">政府信息公开制度</a></li><li><a href="#">政府信息公开年报</a></li></ul></div></td>
   <td valign="top">
    <div class="wz">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a> &gt; 政府信息公开年报</div>
    {meta_table}
    <div class="article">
     <div class="article-title">{_e(title)}</div>
     <div class="article-info">发布时间：2023-01-09 17:17　来源：{_e(site)}　浏览次数：<span id="hits">1024</span>
      字号：[<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>]</div>
     <div class="{container}"><div class="Section1" style="layout-grid:15.6pt">
{report}
     </div>
     <p class="MsoNormal">附件：<a href="/u/cms/2023.docx">{_e(title)}.docx</a></p>
     <div class="chaosong"><p>抄送：区委各部门，区人大常委会办公室，区政协办公室，区监委，区法院，区检察院。</p>
      <p>{_e(site)}办公室　　2023年1月9日印发</p></div></div>
     <p class="editor">责任编辑：王五</p>
     <ul class="pages"><li>上一篇：<a href="/a.html">{_e(title.replace("20", "19", 1))}</a></li>
      <li>下一篇：<a href="/b.html">关于公布2023年度行政执法统计数据的公告</a></li></ul>
     <div class="ewm">扫一扫在手机打开当前页</div>
     <div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】
      分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
    </div>
   </td></tr></table>
  <div class="bottom"><p>主办单位：{_e(site)}办公室　承办单位：大数据管理中心</p>
   <p>网站标识码：3501000001　<a href="#">闽ICP备05005551号</a>　<a href="#">闽公网安备 35010202000123号</a></p></div>
</td></tr></table>
<script>document.getElementById("hits").innerHTML = "1025";</script>
</body></html>"""


# --------------------------------------------------------------------------- comparison


def fact_view(parsed: ParsedDocument) -> list[tuple]:
    """Facts by what they mean: table, canonical row, column, value (and blank stays blank)."""
    return sorted((f.table, f.row_key, f.column, f.value) for f in parsed.facts)


def assert_same_report(saved: ParsedDocument, clean: ParsedDocument) -> None:
    a, b = saved.document, clean.document
    assert (a.kind, a.title, a.agency, a.year) == (b.kind, b.title, b.agency, b.year)
    assert fact_view(saved) == fact_view(clean)
    assert saved.facts, "no facts at all"
    for chunk in saved.chunks:
        assert not any(word in chunk.text for word in CHROME_WORDS), (chunk.section, chunk.text[:200])


REPORT_FILES = sorted(REPORTS.glob("*.txt"))


@pytest.mark.parametrize("container", ["TRS_Editor", "wzzw"])
@pytest.mark.parametrize("path", REPORT_FILES, ids=[p.stem for p in REPORT_FILES])
def test_saved_portal_page_gives_the_clean_pages_facts(path: Path, container: str) -> None:
    title, publisher, blocks = report_blocks(path)
    clean = parse_bytes(clean_page(title, blocks).encode("utf-8"), f"{path.stem}.html")
    page = portal_page(title, publisher, blocks, container=container)
    saved = parse_bytes(page.encode("utf-8"), "download(1).html")
    assert_same_report(saved, clean)
    # The clean page itself says what the text transcription says.
    text = parse_bytes(path.read_bytes(), path.name)
    assert fact_view(clean) == fact_view(text)


@pytest.mark.parametrize("path", REPORT_FILES[:2] + REPORT_FILES[-2:], ids=lambda p: p.stem)
def test_saved_page_in_gbk_with_a_gb2312_declaration(path: Path) -> None:
    title, publisher, blocks = report_blocks(path)
    clean = parse_bytes(clean_page(title, blocks).encode("utf-8"), f"{path.stem}.html")
    page = portal_page(title, publisher, blocks, charset="gb2312").encode("gb18030")
    assert_same_report(parse_bytes(page, "download(2).htm"), clean)


def test_publisher_from_the_metadata_table_is_a_name_of_the_agency() -> None:
    title, _, blocks = report_blocks(REPORTS / "淮安市洪泽区人民政府_2024.txt")
    saved = parse_bytes(portal_page(title, "洪泽区人民政府", blocks).encode("utf-8"), "download.html")
    assert saved.document.agency == "淮安市洪泽区人民政府"
    assert saved.document.agency_names.get("洪泽区人民政府") == "publisher"


def word_export_of(page: str) -> str:
    """An existing page's tables rewritten as Word exports them (mso styles, <o:p>, split runs)."""
    soup = BeautifulSoup(page, "lxml")
    for table in soup.find_all("table"):
        table["class"] = "MsoNormalTable"
        table["style"] = "border-collapse:collapse;mso-yfti-tbllook:1184"
        for cell in table.find_all(["td", "th"]):
            text = cell.get_text()
            cell.name = "td"
            cell["style"] = TD.format(w=60)
            cell.clear()
            cell.append(BeautifulSoup(f'<p class="MsoNormal">{word_run(text.strip())}</p>', "html.parser"))
    return str(soup)


def test_the_bundled_html_report_saved_with_chrome_and_word_tables() -> None:
    path = FORMATS / "平潭综合实验区管委会_2021.html"
    original = path.read_text(encoding="utf-8")
    clean = parse_bytes(path.read_bytes(), path.name)
    body = BeautifulSoup(word_export_of(original), "lxml").body
    inner = "".join(str(child) for child in body.children)
    title = clean.document.title
    page = portal_page(title, "平潭综合实验区管委会", []).replace(
        '<div class="Section1" style="layout-grid:15.6pt">', f'<div class="Section1">{inner}'
    )
    assert_same_report(parse_bytes(page.encode("utf-8"), "download(3).html"), clean)

"""HTML loader: a web page (any common Chinese encoding) → paragraphs and tables in reading order.

Page chrome (navigation, headers, footers, share bars, scripts) is dropped, the main content
container is preferred when one holds most of the text, and tables are expanded to full grids
(rowspan/colspan repeated into every position they cover). Layout tables, which wrap the whole
page or hold other tables, are read as running text instead of becoming one giant table.

The text helpers at the top (`clean_text`, `join_lines`, `tidy_grid`) are shared with the PDF
and Word loaders.
"""

from __future__ import annotations

import codecs
import re

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag
from charset_normalizer import from_bytes

from ingest.limits import TooManyCells, current_limits, table_error, too_much
from ingest.types import IngestError, Paragraph, Table

# --- text helpers shared by the loaders -------------------------------------------------------

# CJK ideographs, CJK punctuation, fullwidth forms and the curly quotes/dashes Chinese text uses.
_CJK_CLASS = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\u2014\u2018-\u201d\u2026"
)
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK_CLASS}]) +(?=[{_CJK_CLASS}])")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines of one paragraph or cell.

    No space goes between two lines when the end of one or the start of the next is CJK
    (Chinese text has no spaces; "2019\\n年" is "2019年"); a single space otherwise.
    """
    out = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        if out and not (_CJK_CHAR.match(out[-1]) or _CJK_CHAR.match(line[0])):
            out += " "
        out += line
    return out


def clean_text(text: str, cell: bool = False) -> str:
    """Normalize whitespace: collapse runs, join line breaks (see `join_lines`).

    For table cells (`cell=True`) spaces between two CJK characters are removed as well, so
    spaced-out labels like "总　计" or "自 然 人" read "总计" / "自然人".
    """
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text.replace("\u3000", " ").replace("\xa0", " "))
    joined = join_lines(text.split("\n"))
    if cell:
        joined = _SPACE_BETWEEN_CJK.sub("", joined)
    return joined


def tidy_grid(rows: list[list[str]]) -> list[list[str]]:
    """Make a grid rectangular and drop rows and columns that are blank everywhere.

    A real column always has a header, so a column blank in every row is a spacer (Word-exported
    HTML and some PDFs have them); blank cells inside real rows and columns stay "".
    """
    width = max((len(row) for row in rows), default=0)
    grid = [row + [""] * (width - len(row)) for row in rows]
    grid = [row for row in grid if any(cell for cell in row)]
    keep = [col for col in range(width) if any(row[col] for row in grid)]
    return [[row[col] for col in keep] for row in grid]


# --- encoding ----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_GBK_FAMILY = {"gbk", "gb2312", "gb_2312", "gb-2312", "gb_2312-80", "cp936", "x-gbk", "euc-cn", "hz", "936"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _canonical_encoding(label: str) -> str | None:
    """A Python codec name for a charset label, GBK family mapped to GB18030; None if unknown."""
    label = label.strip().lower()
    if label in _GBK_FAMILY:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "gb18030" if name in _GBK_FAMILY else name


def _is_multibyte_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(data: bytes, name: str = "") -> tuple[str, str]:
    """Decode a web page: BOM, then the declared <meta> charset (unless the bytes are valid
    multi-byte UTF-8), then strict UTF-8, then GB18030, then detection. GBK and GB2312 are read
    as GB18030, their superset. Returns (text, encoding name)."""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(bom_encoding), bom_encoding
    tried: list[str] = []
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        enc = _canonical_encoding(declared.group(1).decode("ascii", "ignore"))
        if enc and enc != "utf-8" and _is_multibyte_utf8(data):
            # Templates copied between sites often keep a stale charset=gb2312; Chinese text in
            # GBK is practically never valid UTF-8, so valid multi-byte UTF-8 wins.
            return data.decode("utf-8"), "utf-8"
        if enc:
            tried.append(enc)
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                pass  # the declaration lies; fall through to the other guesses
    for enc in ("utf-8", "gb18030"):
        if enc in tried:
            continue
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise IngestError(
            f"{name}: cannot tell the web page's encoding (tried the declared charset, UTF-8, GB18030 "
            "and detection)",
            f"{name}：无法识别网页的文字编码（已尝试网页声明的编码、UTF-8、GB18030 和自动检测）",
            "encoding",
        )
    enc = _canonical_encoding(best.encoding) or best.encoding
    return data.decode(enc, errors="replace"), enc


# --- page chrome and main content --------------------------------------------------------------

_DROP_TAGS = {
    "script", "style", "noscript", "iframe", "form", "nav", "header", "footer", "aside", "template",
    "svg", "object", "embed", "button", "select", "input", "textarea", "link", "meta", "head", "title",
}  # fmt: skip
_CHROME_WORDS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|footer|foot|header|topbar|breadcrumbs?|crumbs?|sidebar|share|"
    r"copyright|toolbar|login|search|qrcode|dqwz|position)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
_MAIN_SELECTORS = (
    "#zoom", ".TRS_Editor", "#UCAP-CONTENT", ".article-content", ".article_content", "#content",
    ".content", ".article", "article", "main", ".main", ".detail", ".view", ".con",
)  # fmt: skip
_TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "col", "colgroup"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _is_chrome(tag: Tag) -> bool:
    """Navigation, headers, footers and other page furniture, but never something holding a
    table or the page's <h1> (an <article><header><h1> is the title, not chrome)."""
    if tag.name in _TABLE_PARTS:
        return False  # a header cell with class="header" is data, not chrome
    if tag.name in {"header", "footer", "nav", "aside"} or _has_chrome_name(tag):
        return tag.find(["table", "h1"]) is None
    return False


def _has_chrome_name(tag: Tag) -> bool:
    names = " ".join([str(tag.get("id") or ""), *(tag.get("class") or [])])
    return bool(names.strip()) and _CHROME_WORDS.search(names) is not None


# Portal furniture known by its words, whatever its markup: 当前位置 breadcrumbs, share/print/close
# bars, footers (主办单位, 网站标识码, ICP备案), accessibility links, article info lines
# (浏览次数, 字号), previous/next links (上一篇 names another report), QR-code hints, 责任编辑,
# attachment lists and the 抄送 / 印发 lines of a document's colophon.
_CHROME_TEXT = re.compile(
    r"^(?:当前位置|您的位置|您现在的位置|您当前的位置|所在位置|当前的位置)\s*[:：]"
    r"|打印本页|【\s*打印\s*】|关闭窗口|【\s*关闭\s*】|分享到\s*[:：]|网站标识码|ICP\s*备|公网安备"
    r"|主办单位\s*[:：]|承办单位\s*[:：]|无障碍浏览|长者模式|浏览次数\s*[:：]|字[号体]\s*[:：]\s*[【\[]?\s*大"
    r"|^(?:上一篇|下一篇)\s*[:：]|扫一扫在手机|手机打开当前页|^责任编辑\s*[:：]"
    r"|^附件(?:下载)?\s*[:：]|^抄\s*送\s*[:：]|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发$"
)
_CHROME_TEXT_MAX = 500  # longer elements hold the content itself
_FILE_LINK = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|zip|rar|ofd)(?:$|\?)", re.IGNORECASE)


def _is_text_chrome(tag: Tag) -> bool:
    """A short element whose words make it portal furniture (see _CHROME_TEXT). An attachment
    line counts only when it links to files, so a report's own 「附件：」 paragraph stays."""
    if tag.name in _TABLE_PARTS - {"td", "th"} or tag.find("table") is not None:
        return False
    text = clean_text(tag.get_text(" "))
    if not text or len(text) > _CHROME_TEXT_MAX:
        return False
    m = _CHROME_TEXT.search(text)
    if m is None:
        return False
    if m.group(0).startswith("附件"):
        return any(_FILE_LINK.search(str(a.get("href") or "")) for a in tag.find_all("a"))
    return True


def _strip_chrome(root: Tag) -> None:
    for comment in root.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in root.find_all(list(_DROP_TAGS - {"header", "footer", "nav", "aside"})):
        tag.decompose()
    for tag in root.find_all(True):
        if tag.decomposed:
            continue
        style = str(tag.get("style") or "")
        if _HIDDEN_STYLE.search(style) or _is_chrome(tag) or _is_text_chrome(tag):
            tag.decompose()


def _text_length(tag: Tag) -> int:
    return len(re.sub(r"\s+", "", tag.get_text()))


def _main_container(body: Tag) -> Tag:
    """The deepest content container holding most (≥ 60 %) of the page's text, else the body."""
    total = _text_length(body)
    if total == 0:
        return body
    best: Tag = body
    best_len = total
    for selector in _MAIN_SELECTORS:
        for tag in body.select(selector):
            length = _text_length(tag)
            if length >= 0.6 * total and length <= best_len and tag is not best:
                best, best_len = tag, length
    return best


# --- blocks ------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "dl", "dt", "dd", "blockquote", "pre", "center", "address", "figure", "figcaption", "caption",
    "hr", "tr", "td", "th", "tbody", "thead", "tfoot", "body", "html", "fieldset", "legend",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_MAX_SPAN = 1000


class _BlockWriter:
    """Walks a DOM subtree, emitting a Paragraph at each block boundary and a Table per data table."""

    def __init__(self) -> None:
        self.blocks: list[Paragraph | Table] = []
        self._buffer: list[str] = []

    def flush(self) -> None:
        text = clean_text("".join(self._buffer))
        self._buffer = []
        if text:
            self.blocks.append(Paragraph(text))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, Comment):
                    self._buffer.append(str(child))
            elif isinstance(child, Tag):
                self._visit(child)

    def _visit(self, tag: Tag) -> None:
        if tag.name == "br":
            self.flush()
        elif tag.name == "table":
            self.flush()
            if _is_layout_table(tag):
                self.walk(tag)
            elif _is_field_table(tag):  # page metadata: only the 发布机构 names anything
                self.blocks.extend(Paragraph(line) for line in agency_fields(tag))
            else:
                self._emit_table(tag)
        elif tag.name in _HEADINGS:
            self.flush()  # a heading is one block even when <br> breaks its line
            text = clean_text(_text_with_breaks(tag))
            if text:
                self.blocks.append(Paragraph(text))
        elif tag.name in _BLOCK_TAGS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)

    def _emit_table(self, table: Tag) -> None:
        caption = table.find("caption", recursive=False)
        if caption is not None:
            text = clean_text(caption.get_text(" "))
            if text:
                self.blocks.append(Paragraph(text))
        grid = tidy_grid(table_grid(table))
        if grid:
            self.blocks.append(Table(grid))


def _own_rows(table: Tag) -> list[Tag]:
    """The <tr> of this table, not of tables nested in its cells."""
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _own_cells(row: Tag) -> list[Tag]:
    return [cell for cell in row.find_all(["td", "th"], recursive=False)]


def _is_layout_table(table: Tag) -> bool:
    """A table used for page layout: it holds other tables, or every row has a single cell
    (a one-column "table" of prose carries no row/column structure)."""
    rows = _own_rows(table)
    if not rows:
        return True
    if any(cell.find("table") is not None for row in rows for cell in _own_cells(row)):
        return True
    # One row (a logo beside a search box, a menu beside the article) has no header over data.
    return len(rows) == 1 or max(len(_own_cells(row)) for row in rows) <= 1


def _is_field_table(table: Tag) -> bool:
    """A table of labelled fields (索引号： … 发布机构： … 发文日期： …), not statistics: at least
    half of its non-empty cells are labels ending in a colon."""
    cells = [cell_text(cell) for row in _own_rows(table) for cell in _own_cells(row)]
    cells = [c for c in cells if c]
    labels = [c for c in cells if c.endswith((":", "："))]
    return len(labels) >= 2 and 2 * len(labels) >= len(cells)


def field_lines(table: Tag) -> list[str]:
    """A field table's rows as 「label：value label：value」 lines."""
    lines = []
    for row in _own_rows(table):
        line = " ".join(c for c in (cell_text(cell) for cell in _own_cells(row)) if c)
        line = re.sub(r"([:：])\s+", r"\1", line)
        if line:
            lines.append(line)
    return lines


def _span(cell: Tag, attr: str) -> int:
    try:
        value = int(str(cell.get(attr, "1")).strip() or 1)
    except ValueError:
        return 1
    return min(max(value, 1), _MAX_SPAN)


def _text_with_breaks(tag: Tag) -> str:
    """The text under `tag`, with a line break for each <br> and block element."""
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, NavigableString) and not isinstance(node, Comment):
            parts.append(str(node))
        elif isinstance(node, Tag) and (node.name == "br" or node.name in _BLOCK_TAGS):
            parts.append("\n")
    return "".join(parts)


def cell_text(cell: Tag) -> str:
    """A cell's text with <br> and block elements as line breaks, whitespace-normalized."""
    return clean_text(_text_with_breaks(cell), cell=True)


def table_grid(table: Tag) -> list[list[str]]:
    """Expand an HTML table into a rectangular grid, repeating each rowspan/colspan cell's text
    into every position it covers. Spans past the last row are clipped, as browsers do."""
    rows = _own_rows(table)
    placed: dict[tuple[int, int], str] = {}
    max_cells = current_limits().max_table_cells
    for r, row in enumerate(rows):
        col = 0
        for cell in _own_cells(row):
            while (r, col) in placed:
                col += 1
            text = cell_text(cell)
            rowspan = min(_span(cell, "rowspan"), len(rows) - r)
            colspan = _span(cell, "colspan")
            if len(placed) + rowspan * colspan > max_cells:  # checked before the cells are made
                raise TooManyCells(len(placed) + rowspan * colspan, max_cells)
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed[(r + dr, col + dc)] = text
            col += colspan
    width = max((c for _, c in placed), default=-1) + 1
    return [[placed.get((r, c), "") for c in range(width)] for r in range(len(rows))]


_TITLE_NAMES = re.compile(r"title|biaoti|(?:^|[-_])bt(?:$|[-_])|(?:^|[-_])tit(?:$|[-_])", re.IGNORECASE)
_FIELD = re.compile(r"(发布机构|发文机关|发布单位)\s*[:：]\s*(\S{2,40})")


def _outside(tag: Tag, main: Tag) -> bool:
    return tag is not main and all(parent is not main for parent in tag.parents)


def _title_outside(soup: BeautifulSoup, main: Tag) -> str:
    """The page title when the main container does not include it: an <h1> outside the container,
    else an element named as a title (class="article-title"), else the <title> element without the
    site name portals append (「标题-某某市人民政府」, 「标题_网站」)."""
    for h1 in soup.find_all("h1"):
        if _outside(h1, main):
            return clean_text(h1.get_text(" "))
    body = soup.body or soup
    for tag in body.find_all(["div", "p", "h2", "h3", "td", "span", "strong"]):
        names = " ".join([str(tag.get("id") or ""), *(tag.get("class") or [])])
        text = clean_text(tag.get_text(" "))
        if _TITLE_NAMES.search(names) and 5 <= len(text) <= 100 and _outside(tag, main):
            return text
    title = soup.find("title")
    text = clean_text(title.get_text(" ")) if title else ""
    return re.split(r"\s*(?:[-_|｜—–]\s*)+", text)[0] if text else ""


def agency_fields(table: Tag) -> list[str]:
    """The 「发布机构：…」 (发文机关, 发布单位) field of a metadata table, as one line."""
    found = [m.group(0) for line in field_lines(table) for m in _FIELD.finditer(line)]
    return [re.sub(r"\s+", "", found[0])] if found else []


def _fields_outside(body: Tag, main: Tag) -> list[str]:
    """The 发布机构 field of the page's metadata table above the article (it names the agency)
    when the main container leaves the table out."""
    for table in body.find_all("table"):
        if _outside(table, main) and not _is_layout_table(table) and _is_field_table(table):
            found = agency_fields(table)
            if found:
                return found
    return []


def load_html(data: bytes, name: str) -> tuple[list[Paragraph | Table], str]:
    """Load a web page into blocks in reading order. Returns (blocks, encoding name).

    IngestError "too_large" for a page over the markup or tag limit, or a table spanning more cells
    than allowed (ingest.limits), before the memory and time are spent.
    """
    limits = current_limits()
    if len(data) > limits.max_markup_bytes:
        raise too_much(name, "the HTML page", "网页大小", len(data), limits.max_markup_bytes)
    tags = data.count(b"<")
    if tags > limits.max_html_tags:
        raise too_much(
            name, "the HTML page's tag count", "网页标签数", tags, limits.max_html_tags, unit="tags"
        )
    text, encoding = decode_html(data, name)
    soup = BeautifulSoup(text, "lxml")
    body = soup.body or soup
    _strip_chrome(body)
    main = _main_container(body)
    writer = _BlockWriter()
    try:
        writer.walk(main)
    except TooManyCells as exc:
        raise table_error(name, exc) from None
    writer.flush()
    if main is not body:
        # The title and the 发布机构 field above the article, unless the article starts with its
        # title as a line of its own (a first paragraph that merely begins with it does not count).
        title = _title_outside(soup, main)
        first = [re.sub(r"\s+", "", b.text) for b in writer.blocks[:3] if isinstance(b, Paragraph)]
        head = [Paragraph(title)] if title and re.sub(r"\s+", "", title) not in first else []
        head += [Paragraph(line) for line in _fields_outside(body, main)]
        writer.blocks[:0] = head
    return writer.blocks, encoding

"""Tell a report from a regulation from anything else, and read title, agency and year from the text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ingest.template import section_number
from ingest.types import DocKind, LoadedFile, Paragraph, Table

# Provenance lines some archived copies carry above the document itself.
META_LINE = re.compile(
    r"^(#\s|标题[:：]|发布时间[:：]|原文链接[:：]|页面来源栏[:：]|数据说明[:：]|列说明[:：]|文号[:：]"
    r"|成文日期[:：]|转载页发布时间[:：]|说明[:：]|来源[:：])"
)
_ARTICLE = re.compile(r"^\s*第[一二三四五六七八九十百零〇]+条(?![第之])")
_REPORT_TITLE = re.compile(r"(\d{4})\s*年度?\s*(?:政府信息公开|政务公开)?\s*(?:工作)?\s*年度报告")
_AGENCY_END = re.compile(
    r"(人民政府|政府|管委会|管理委员会|委员会|办公室|办公厅|局|厅|部|署|院|中心|街道办事处|办事处|街道|委|会)$"
)
_GENERIC_TAILS = (
    "综合实验区",
    "经济技术开发区",
    "高新技术产业开发区",
    "经济开发区",
    "开发区",
    "高新区",
    "新区",
)


@dataclass
class Classification:
    kind: DocKind
    title: str
    agency: str
    year: int | None


def first_lines(loaded: LoadedFile, limit: int = 12) -> list[str]:
    lines: list[str] = []
    for block in loaded.blocks:
        if isinstance(block, Paragraph):
            lines.extend(line.strip() for line in block.text.splitlines() if line.strip())
        elif isinstance(block, Table):
            for row in block.rows:
                text = " ".join(c for c in row if c.strip())
                if text:
                    lines.append(text)
        if len(lines) >= limit:
            break
    return lines[:limit]


def _meta_title(lines: list[str]) -> str | None:
    for line in lines:
        m = re.match(r"^标题[:：]\s*(.+)$", line)
        if m:
            return m.group(1).strip()
    return None


_CN_NUMERALS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def arabic_years(text: str) -> str:
    """'二〇二二年' → '2022年': some reports write the year in Chinese numerals."""
    return re.sub(r"[〇零一二三四五六七八九]{4}(?=\s*年)", lambda m: m.group(0).translate(_CN_NUMERALS), text)


def classify(loaded: LoadedFile) -> Classification:
    """Classify a loaded file and read its title, agency and year from its own text."""
    lines = [arabic_years(line) for line in first_lines(loaded, 20)]
    body_lines = [line for line in lines if not META_LINE.match(line)]
    text = loaded.text()
    title = (
        _meta_title(lines) or _guess_title(body_lines) or (body_lines[0][:60] if body_lines else loaded.name)
    )

    headings = {n for line in text.splitlines() if (n := section_number(line.split("\t")[0])) is not None}
    has_table3 = "本年新收" in text and ("予以公开" in text or "办理结果" in text)
    is_notice = bool(re.search(r"(通知|条例|规定|办法|规范|意见|决定|的函|格式)$", title)) or "印发" in title
    articles = sum(1 for line in text.splitlines() if _ARTICLE.match(line))

    if not is_notice and (_REPORT_TITLE.search(title) or (len(headings) >= 4 and has_table3)):
        kind: DocKind = "report"
    elif is_notice or articles >= 5:
        kind = "regulation"
    else:
        kind = "other"

    agency, year = "", None
    if kind == "report":
        agency, year = _agency_year_from_title(title)
        if year is None:
            year = _year_from_body(text)
        if not agency:
            agency = _agency_from_body(body_lines) or _agency_from_signature(loaded)
    elif kind == "regulation":
        m = re.search(r"(\d{4})\s*年", title)
        year = int(m.group(1)) if m else None
    return Classification(kind=kind, title=title, agency=agency, year=year)


def _guess_title(lines: list[str]) -> str | None:
    """A report's title line, or an agency line followed by a '2022 年…年度报告' line."""
    for i, line in enumerate(lines[:10]):
        compact = re.sub(r"\s+", "", line)
        if _REPORT_TITLE.search(compact) and len(compact) <= 60:
            if re.match(r"^\d{4}年", compact) and i > 0:
                prev = re.sub(r"\s+", "", lines[i - 1])
                if _AGENCY_END.search(prev) and len(prev) <= 30:
                    return prev + compact
            return compact
        if len(compact) <= 40 and re.search(r"(条例|规定|办法|规范|通知|决定|意见)$", compact):
            return compact
    return None


def _agency_year_from_title(title: str) -> tuple[str, int | None]:
    compact = re.sub(r"\s+", "", title)
    m = re.search(r"^(.*?)(\d{4})年度?", compact)
    if not m:
        return "", None
    agency = m.group(1).strip("《》“”\"' ")
    year = int(m.group(2))
    return agency, year if 1990 <= year <= 2100 else None


def _year_from_body(text: str) -> int | None:
    m = re.search(r"统计期限自\s*(\d{4})\s*年", text)
    if m:
        return int(m.group(1))
    years = Counter(int(y) for y in re.findall(r"(20\d{2})\s*年", text[:5000]))
    return years.most_common(1)[0][0] if years else None


def _agency_from_body(lines: list[str]) -> str:
    for line in lines[:5]:
        compact = re.sub(r"\s+", "", line)
        if len(compact) <= 30 and _AGENCY_END.search(compact):
            return compact
    return ""


def _agency_from_signature(loaded: LoadedFile) -> str:
    """The agency's name in the signature lines at the end of the report, if any."""
    tail = [line.strip() for line in loaded.text().splitlines() if line.strip()][-6:]
    for line in reversed(tail):
        compact = re.sub(r"\s+", "", line)
        if 4 <= len(compact) <= 30 and _AGENCY_END.search(compact) and not re.search(r"[。，；：:]", compact):
            return compact
    return ""


def agency_core(agency: str) -> str:
    """The agency's name without its organ suffix: 平潭综合实验区管委会 and 平潭综合实验区 are one agency."""
    return re.sub(r"(人民政府|政府|党工委管委会|管委会|管理委员会)$", "", re.sub(r"\s+", "", agency))


def agency_aliases(agency: str) -> list[str]:
    """Names a question may use for an agency: '彭阳县小岔乡人民政府' → 小岔乡, 小岔, 彭阳县小岔乡…"""
    if not agency:
        return []
    aliases = {agency}
    core = agency_core(agency)
    if core:
        aliases.add(core)
    # Split after administrative units: 省 市 县 区 旗 乡 镇 街道.
    # The agency's own unit and its name without parents: 彭阳县小岔乡 → 小岔乡, 小岔 (never 彭阳县 alone).
    segments = [s for s in re.split(r"(?<=[省市县区旗乡镇])(?!$)", core) if s]
    for i in range(len(segments)):
        tail = "".join(segments[i:])
        if len(tail) >= 2:
            aliases.add(tail)
    last = segments[-1] if segments else core
    if len(last) >= 3 and last[-1] in "省市县区旗乡镇":
        aliases.add(last[:-1])
    for generic in _GENERIC_TAILS:
        if last.endswith(generic) and len(last) > len(generic) + 1:
            aliases.add(last[: -len(generic)])
    return sorted((a for a in aliases if len(a) >= 2), key=len, reverse=True)


@lru_cache(maxsize=1024)
def pinyin_aliases(agency: str) -> tuple[str, ...]:
    """Romanized aliases for English questions: 平潭综合实验区 → 'pingtan', 'pingtanzonghe…'.

    Only aliases of 6+ letters, so short syllables never match ordinary English words.
    """
    from pypinyin import lazy_pinyin

    out = []
    for alias in agency_aliases(agency):
        if re.fullmatch(r"[\u4e00-\u9fff]+", alias):
            roman = "".join(lazy_pinyin(alias)).lower()
            if len(roman) >= 6:
                out.append(roman)
    return tuple(sorted(set(out), key=len, reverse=True))

"""Tell a report from a regulation from anything else, and read title, agency and year from the text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.agencies import aliases as _name_aliases
from ingest.agencies import compact as compact_name
from ingest.agencies import same_agency
from ingest.template import section_number
from ingest.types import DocKind, LoadedFile, Paragraph, Table

# Provenance lines some archived copies carry above the document itself.
META_LINE = re.compile(
    r"^(#\s|标题[:：]|发布时间[:：]|原文链接[:：]|页面来源栏[:：]|数据说明[:：]|列说明[:：]|文号[:：]"
    r"|成文日期[:：]|转载页发布时间[:：]|说明[:：]|来源[:：])"
)
_ARTICLE = re.compile(r"^\s*第[一二三四五六七八九十百零〇]+条(?![第之])")
# A report title, year first or last: 「XX2023年政府信息公开工作年度报告」, 「2019年XX政府信息公开工作年度报告」,
# 「XX关于2023年度政府信息公开工作的报告」, 「XX政府信息公开工作年度报告（2023年度）」.
_TOPIC = r"(?:政府信息公开|政务公开|信息公开)"
_REPORT_TITLE = re.compile(
    r"(\d{4})\s*年度?\s*(?:政府信息公开|政务公开)?\s*(?:工作)?\s*年度报告"
    r"|(\d{4})\s*年度?.{0,40}?" + _TOPIC + r"\s*(?:工作)?\s*(?:年度)?\s*的?\s*(?:年度)?报告"
    r"|" + _TOPIC + r"\s*(?:工作)?\s*年度报告\s*[（(]\s*(\d{4})\s*年度?\s*[)）]"
)
_REPORT_PHRASE = re.compile(_TOPIC + r"(?:工作)?(?:年度)?的?(?:年度)?(?:工作)?报告")
# 发布机构 / 发文机关 / 来源 lines of a saved page or an archived copy.
_PUBLISHER = re.compile(r"(?:发布机构|发文机关|发布单位|信息来源)\s*[:：]\s*([^\s:：|｜]{2,40})")
_DATE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九○]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日"
)
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
    # Every name the document gives its agency, with where it stands ("title", "body", "signature",
    # "publisher"): the agency's own name first. A 发布机构 or signature naming another body (the
    # government's 办公室 publishing the government's report) is left out.
    names: dict[str, str] = field(default_factory=dict)


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

    agency, year, names = "", None, dict[str, str]()
    if kind == "report":
        agency, year, names = _report_agency(loaded, title, body_lines, text)
    elif kind == "regulation":
        m = re.search(r"(\d{4})\s*年", title)
        year = int(m.group(1)) if m else None
    return Classification(kind=kind, title=title, agency=agency, year=year, names=names)


def _report_agency(
    loaded: LoadedFile, title: str, body_lines: list[str], text: str
) -> tuple[str, int | None, dict[str, str]]:
    """A report's agency, year and the names it gives the agency: the title's, else the line above
    the title, the signature or the 发布机构; the others kept where they name the same agency."""
    agency, year = agency_year_from_title(title)
    if year is None:
        year = _year_from_body(text)
    signature = _agency_from_signature(loaded)
    publisher = _publisher(text)
    found = [(agency, "title"), (_agency_from_body(body_lines), "body"), (signature, "signature")]
    found.append((publisher, "publisher"))
    names: dict[str, str] = {}
    for name, origin in found:
        if not name or name in names:
            continue
        if not names or any(same_agency(name, known) for known in names):
            names[name] = origin
    return next(iter(names), ""), year, names


def _publisher(text: str) -> str:
    """The 发布机构 (or 发文机关) a saved page or an archived copy names near its top."""
    m = _PUBLISHER.search(text[:4000])
    return compact_name(m.group(1)) if m and _AGENCY_END.search(compact_name(m.group(1))) else ""


def _guess_title(lines: list[str]) -> str | None:
    """A report's title line, or a title set on two lines (an agency line, then 「2022 年…年度报告」;
    「2019年XX办公厅」, then 「政府信息公开工作年度报告」)."""
    for i, line in enumerate(lines[:10]):
        compact = re.sub(r"\s+", "", line)
        prev = re.sub(r"\s+", "", lines[i - 1]) if i > 0 else ""
        if _REPORT_PHRASE.fullmatch(compact) and prev and len(prev) <= 40:
            if re.search(r"\d{4}\s*年", prev) or _AGENCY_END.search(prev):
                return prev + compact
        if _REPORT_TITLE.search(compact) and len(compact) <= 60:
            if re.match(r"^\d{4}年", compact) and prev and not agency_year_from_title(compact)[0]:
                if _AGENCY_END.search(prev) and len(prev) <= 30:
                    return prev + compact
            return compact
        if len(compact) <= 40 and re.search(r"(条例|规定|办法|规范|通知|决定|意见)$", compact):
            return compact
    return None


def agency_year_from_title(title: str) -> tuple[str, int | None]:
    """The agency and the year a report title names, in any order: 「XX2023年政府信息公开工作年度报告」,
    「2019年XX政府信息公开工作年度报告」, 「XX关于2023年度政府信息公开工作的报告」, 「XX…年度报告（2023年度）」."""
    text = compact_name(title)
    ym = re.search(r"(\d{4})年度?", text)
    year = int(ym.group(1)) if ym and 1990 <= int(ym.group(1)) <= 2100 else None
    phrase = _REPORT_PHRASE.search(text)
    if ym and (phrase is None or ym.start() < phrase.start()):
        before = _clean_agency(text[: ym.start()])
        between = text[ym.end() : phrase.start()] if phrase else ""
        agency = before or _clean_agency(between)
    elif phrase:
        agency = _clean_agency(text[: phrase.start()])
    else:
        agency = ""
    return agency, year


def _clean_agency(text: str) -> str:
    text = re.sub(r"[（(]?\d{4}年度?[)）]?", "", text)
    text = re.sub(r"^(?:关于)+|(?:关于|的|发布|公布)+$", "", text.strip("《》“”\"'（）()【】[]-—:：、，, "))
    return text.strip("《》“”\"'（）()【】[]-—:：、，, ")


def _year_from_body(text: str) -> int | None:
    m = re.search(r"统计期限自\s*(\d{4})\s*年", text)
    if m:
        return int(m.group(1))
    years = Counter(int(y) for y in re.findall(r"(20\d{2})\s*年", text[:5000]))
    return years.most_common(1)[0][0] if years else None


def _agency_from_body(lines: list[str]) -> str:
    """An agency line near the top (an agency set above its title), never a 「发布机构：…」 field."""
    for line in lines[:5]:
        compact = re.sub(r"\s+", "", line)
        if len(compact) <= 30 and _AGENCY_END.search(compact) and not re.search(r"[:：]", compact):
            return compact
    return ""


def _agency_from_signature(loaded: LoadedFile) -> str:
    """The agency's name in the signature lines at the end of the report, if any: a short line of
    its own, or the words before the date at the end of the last paragraph (「暂无。 XX局 2021年1月21日」)."""
    tail = [line.strip() for line in loaded.text().splitlines() if line.strip()][-6:]
    for line in reversed(tail):
        line = _DATE.sub(" ", arabic_years(line)).strip()
        if not line:
            continue
        compact = compact_name(re.split(r"[。；;！!]", line)[-1])
        if 4 <= len(compact) <= 30 and _AGENCY_END.search(compact) and not re.search(r"[，,：:]", compact):
            return compact
    return ""


def agency_core(agency: str) -> str:
    """The agency's name without its organ suffix: 平潭综合实验区管委会 and 平潭综合实验区 are one agency."""
    return re.sub(r"(人民政府|政府|党工委管委会|管委会|管理委员会)$", "", re.sub(r"\s+", "", agency))


def agency_aliases(agency: str) -> list[str]:
    """Names a question may use for an agency, longest first: '彭阳县小岔乡人民政府' → 小岔乡, 小岔,
    彭阳县小岔乡…; '平潭综合实验区自然资源与生态环境局' → 自然资源与生态环境局, 平潭自然资源与生态环境局
    (see ingest.agencies.aliases)."""
    return _name_aliases(agency)


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

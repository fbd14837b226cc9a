"""What a report's narrative states about its own tables: 「收到政府信息公开申请75件」, 「自然人72件」,
「现行有效行政规范性文件698件」, 「政府信息公开行政复议351件，其中结果维持72件」.

A claim is one stated number with the table figures it may restate (its readings): 收到 is 一 or
一 + 二; 办结 / 答复 is 三（七）; 行政诉讼 is 未经复议直接起诉 + 复议后起诉 (or either); 法人或其他组织 is
the sum of five columns. Matching is deliberately narrow: a number is read as a claim only when
the words right before or after it name the quantity (a few characters apart), never when they
speak of a change (同比增加), another year, a channel (网上申请) or a topic (涉及征地的申请).
A sentence this module cannot read is no claim, so it can raise no warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.numerals import NUMERAL_CHARS, to_int

# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Cell:
    """One table cell, by the canonical keys of ingest.template: ("表三", "一", "总计")."""

    table: str
    row_key: str
    column: str


@dataclass(frozen=True)
class Reading:
    """One way a stated number may restate the tables: the sum of `cells` (group rows such as
    三.3 add up their sub-rows when the report prints only those)."""

    label: str  # how a message names it: 表三“一、本年新收”+“二、上年结转”总计
    cells: tuple[Cell, ...]


@dataclass
class Claim:
    """A number the narrative states, with the table figures it may restate."""

    sentence: str
    section: str  # the heading path the sentence stands in
    phrase: str  # the words that state it: 「受理政府信息公开申请17件」
    value: float  # in the unit of the table cells
    shown: str  # as printed: 「17件」
    what: str  # what is counted: 「收到的申请（自然人）」
    readings: list[Reading] = field(default_factory=list)
    at_least: bool = False  # 「1000余件」: the table may hold more
    tolerance: float = 1e-6
    unit: str = "件"  # the unit `value` is in (万元 for fees)


# --------------------------------------------------------------------------- vocabulary

_NUM = rf"(?<![第\d.{NUMERAL_CHARS}])(\d[\d,，]*(?:\.\d+)?|[{NUMERAL_CHARS}]{{1,8}})\s*(余|多)?\s*"
_NUMBER = re.compile(_NUM + r"(万元|元|件|条|起|宗|个|部)")
_CLAUSE = re.compile(r"[，,；;：:（）()、。！？!?\n]")
_YEAR = re.compile(r"(\d{4})\s*年")

# Words that make a number something other than a stated total.
_DELTA = re.compile(
    r"增加|减少|增长|下降|上升|同比|环比|较上年|比上年|较去年|比去年|较\d{4}|比\d{4}|多出|持平"
)
_CHANNEL = re.compile(r"当面|现场|网络|网上|在线|信函|邮寄|传真|邮件|电话|窗口")
_TOPIC = re.compile(r"涉及(?!自然人|公民|商业企业|企业|科研|社会公益|法律服务|律师|法人)|关于|类申请|方面")
_PLANNED = re.compile(r"拟|将|计划|预计|累计|历年")
# Other things offices count in 件 next to 申请 / 收到: 群众诉求, 咨询, 投诉.
_NOT_APPLICATIONS = re.compile(r"诉求|咨询|投诉|举报|来电|来信|留言|信访|办件|事项")

_APPLICATION_TOPIC = re.compile(r"申请")
_DISCLOSURE = re.compile(r"信息公开|依申请|公开申请")
_SECTION_APPLICATION = re.compile(r"依申请|收到和处理|申请")
_SECTION_REVIEW = re.compile(r"复议|诉讼|依申请|收到和处理")

_ROW_NAMES = {
    "一": "一、本年新收",
    "二": "二、上年结转",
    "三.1": "三（一）予以公开",
    "三.2": "三（二）部分公开",
    "三.3": "三（三）不予公开",
    "三.4": "三（四）无法提供",
    "三.4.1": "三（四）1.本机关不掌握",
    "三.5": "三（五）不予处理",
    "三.6": "三（六）其他处理",
    "三.7": "三（七）总计",
    "四": "四、结转下年度继续办理",
    "复议": "行政复议",
    "诉讼.直接": "行政诉讼（未经复议直接起诉）",
    "诉讼.复议后": "行政诉讼（复议后起诉）",
}

# 表三 subjects: (pattern, what, row-key groups in order of preference).
_TABLE3_SUBJECTS: list[tuple[re.Pattern[str], str, list[tuple[str, ...]]]] = [
    (re.compile(r"上一?年度?(?:结转|转结|遗留)"), "上年结转的申请", [("二",)]),
    (
        re.compile(r"(?:结转|转入|顺延|延续)(?:到|至)?下一?年|下一?年度?继续办理"),
        "结转下年度的申请",
        [("四",)],
    ),
    (re.compile(r"部分公开"), "部分公开的申请", [("三.2",)]),
    (re.compile(r"不予公开"), "不予公开的申请", [("三.3",)]),
    (re.compile(r"(?<!不)予以公开|同意公开|全部公开"), "予以公开的申请", [("三.1",), ("三.1", "三.2")]),
    (re.compile(r"不掌握"), "本机关不掌握的申请", [("三.4.1",), ("三.4",)]),
    (re.compile(r"无法提供"), "无法提供的申请", [("三.4",)]),
    (re.compile(r"不予处理"), "不予处理的申请", [("三.5",)]),
    (re.compile(r"其他处理"), "其他处理的申请", [("三.6",)]),
    (re.compile(r"办结|办理完毕|处理完毕|完成办理|答复"), "办结的申请", [("三.7",)]),
    (re.compile(r"收到|受理|接收|新收|接到|收悉"), "收到的申请", [("一",), ("一", "二")]),
]
# A total named without a verb: 「政府信息公开申请共75件」, 「依申请公开信息数317条」.
_BARE_TOTAL = re.compile(
    r"(?:政府信息公开申请|依申请公开(?:申请|信息)?)(?:数|数量|总数|总量)?(?:共|总计|合计|共计)?(?:为|达)?$"
)
_BARE_READINGS: list[tuple[str, ...]] = [("一",), ("一", "二"), ("三.7",)]

_COLUMNS: list[tuple[re.Pattern[str], tuple[str, ...], str]] = [
    (
        re.compile(r"法人(?:或|和|及)?其他组织|法人"),
        ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"),
        "法人或其他组织",
    ),
    (re.compile(r"自然人|公民"), ("自然人",), "自然人"),
    (re.compile(r"商业企业|企业"), ("商业企业",), "商业企业"),
    (re.compile(r"科研机构"), ("科研机构",), "科研机构"),
    (re.compile(r"社会公益组织"), ("社会公益组织",), "社会公益组织"),
    (re.compile(r"法律服务机构|律师事务所|律所"), ("法律服务机构",), "法律服务机构"),
]
_TABLE4_RESULTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"结果维持|维持"), "结果维持"),
    (re.compile(r"结果纠正|纠正"), "结果纠正"),
    (re.compile(r"其他结果"), "其他结果"),
    (re.compile(r"尚未审结|未审结|正在审理|审理中"), "尚未审结"),
]
_REVIEW = re.compile(r"行政复议|复议案件")
_DIRECT_SUIT = re.compile(r"未经复议直接起诉|直接起诉")
_SUIT_AFTER = re.compile(r"复议后起诉")
_SUIT = re.compile(r"行政诉讼|起诉|诉讼案件|应诉")

# 表二: (pattern on the words before the number, what, [(row_key, column), ...] per reading).
_NORMATIVE = re.compile(r"(?<!政策)(?:行政)?规范性文件")
_RULES = re.compile(r"规章(?!制度)")
_IN_FORCE = re.compile(r"现行有效")
_ISSUED = re.compile(r"制发|制定|出台|印发|新制作|新增")
_REPEALED = re.compile(r"废止|宣布失效|废除")
_OTHER_ACTION = re.compile(r"清理|修改|修订|审核|审查|备案|解读|征求|评估")
_DECISIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"行政许可"), "行政许可"),
    (re.compile(r"行政处罚"), "行政处罚"),
    (re.compile(r"行政强制"), "行政强制"),
]
_NOT_DECISIONS = re.compile(r"类|信息|公示|公开|事项|项目|清单|目录|裁量|标准")
_FEES = re.compile(r"行政事业性收费")

_NEAR = 14  # characters allowed between the words that name a quantity and its number


# --------------------------------------------------------------------------- reading sentences


def sentence_claims(sentence: str, section: str = "", year: int | None = None) -> list[Claim]:
    """Every claim of one sentence of a report's narrative (`year`: the report's year; a number
    said of another year is no claim)."""
    claims: list[Claim] = []
    subject: Claim | None = None  # the last table 3/4 claim, for 「其中自然人72件」
    applications = bool(_APPLICATION_TOPIC.search(sentence)) and bool(
        _DISCLOSURE.search(sentence) or _SECTION_APPLICATION.search(section)
    )
    reviews = bool(_DISCLOSURE.search(sentence) or _SECTION_REVIEW.search(section))
    start = 0
    for clause in _clauses(sentence):
        offset = sentence.find(clause, start)
        start = offset + len(clause)
        if _other_year(sentence[: offset + len(clause)], year):
            subject = None
            continue
        numbers = list(_NUMBER.finditer(clause))
        for i, m in enumerate(numbers):
            before = clause[numbers[i - 1].end() if i else 0 : m.start()]
            after = clause[m.end() : numbers[i + 1].start() if i + 1 < len(numbers) else len(clause)]
            context = before + "#" + after
            if _DELTA.search(context):
                continue
            claim = _read(m, before, after, subject, applications, reviews)
            if claim is None:
                continue
            claim.sentence, claim.section = sentence, section
            claim.phrase = (before + m.group(0) + after).strip()
            claims.append(claim)
            if claim.readings and claim.readings[0].cells[0].table in ("表三", "表四"):
                subject = claim
    return claims


def _clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE.split(sentence) if c.strip()]


def _other_year(text: str, year: int | None) -> bool:
    """Whether the last year named before a number is not the report's year."""
    years = [int(y) for y in _YEAR.findall(text)]
    return year is not None and bool(years) and years[-1] != year


def _read(
    m: re.Match[str], before: str, after: str, subject: Claim | None, applications: bool, reviews: bool
) -> Claim | None:
    """The claim one number makes, or None when the words around it name no table quantity."""
    value = _value(m.group(1))
    if value is None:
        return None
    counter = m.group(3)
    near = before[-_NEAR:] + "#" + after[:_NEAR]
    claim = Claim(sentence="", section="", phrase="", value=value, shown=m.group(0).strip(), what="")
    claim.at_least = bool(m.group(2))
    if counter in ("万元", "元"):
        return _fee_claim(claim, before, counter, m.group(1))
    if _PLANNED.search(near):
        return None
    if counter in ("件", "个", "部") and (found := _table2_claim(claim, before, counter)):
        return found
    if counter in ("件", "起", "宗") and reviews and (found := _table4_claim(claim, near, subject)):
        return found
    if applications and (counter == "件" or (counter == "条" and "依申请" in before)):
        return _table3_claim(claim, before, after, near, subject)
    return None


def _value(number: str) -> float | None:
    text = number.replace(",", "").replace("，", "")
    if text[0] in "百千万亿":
        return None  # 「数万件」: no count
    try:
        return float(text)
    except ValueError:
        value = to_int(text)
        return float(value) if value is not None else None


def _table3_claim(claim: Claim, before: str, after: str, near: str, subject: Claim | None) -> Claim | None:
    wide = before + "#" + after  # the whole clause: a topic may stand far before the number
    if _CHANNEL.search(wide) or _TOPIC.search(wide) or _NOT_APPLICATIONS.search(wide) or "不予受理" in wide:
        return None
    columns = _column(near)
    named = "申请" in near
    in_applications = subject is not None and subject.readings[0].cells[0].table == "表三"
    for pattern, what, groups in _TABLE3_SUBJECTS:
        if pattern.search(near) and (named or (in_applications and what != "收到的申请")):
            claim.what = what
            claim.readings = _table3_readings(groups, columns)
            return claim
    if columns is not None and subject is not None and subject.readings[0].cells[0].table == "表三":
        claim.what = f"{_base(subject.what)}（{columns[1]}）"
        claim.readings = _recolumn(subject.readings, columns)
        return claim
    if _BARE_TOTAL.search(before) or (columns is not None and "申请" in near):
        claim.what = "政府信息公开申请" if columns is None else f"{columns[1]}的申请"
        claim.readings = _table3_readings(_BARE_READINGS, columns)
        return claim
    return None


def _base(what: str) -> str:
    """What a subject counts without its column: 「收到的申请（自然人）」 → 「收到的申请」."""
    return re.sub(r"（[^（）]*）$", "", what) if not what.endswith("起诉）") else what


def _column(text: str) -> tuple[tuple[str, ...], str] | None:
    for pattern, parts, name in _COLUMNS:
        if pattern.search(text):
            return parts, name
    return None


def _table3_readings(
    groups: list[tuple[str, ...]], columns: tuple[tuple[str, ...], str] | None
) -> list[Reading]:
    parts, column_name = columns if columns is not None else (("总计",), "总计")
    readings = []
    for rows in groups:
        label = "表三" + "+".join(f"“{_ROW_NAMES[r]}”" for r in rows) + column_name
        readings.append(Reading(label, tuple(Cell("表三", r, c) for r in rows for c in parts)))
    return readings


def _recolumn(readings: list[Reading], columns: tuple[tuple[str, ...], str]) -> list[Reading]:
    """The subject's readings in other columns: 「收到申请75件，其中自然人72件」."""
    parts, name = columns
    out = []
    for reading in readings:
        rows = list(dict.fromkeys(c.row_key for c in reading.cells))
        table = reading.cells[0].table
        cells = tuple(Cell(table, r, c) for r in rows for c in parts)
        label = reading.label.rsplit("”", 1)[0] + f"”{name}"
        out.append(Reading(label, cells))
    return out


def _table4_claim(claim: Claim, near: str, subject: Claim | None) -> Claim | None:
    column = next((name for pattern, name in _TABLE4_RESULTS if pattern.search(near)), None)
    parts: list[tuple[str, ...]] = []
    if _REVIEW.search(near.replace("复议后起诉", "")) and not _SUIT.search(near):
        parts, claim.what = [("复议",)], "行政复议"
    elif _DIRECT_SUIT.search(near):
        parts, claim.what = [("诉讼.直接",)], "行政诉讼（未经复议直接起诉）"
    elif _SUIT_AFTER.search(near):
        parts, claim.what = [("诉讼.复议后",)], "行政诉讼（复议后起诉）"
    elif _SUIT.search(near) and _REVIEW.search(near):
        parts, claim.what = [("复议", "诉讼.直接", "诉讼.复议后")], "行政复议和行政诉讼"
    elif _SUIT.search(near):
        parts = [("诉讼.直接", "诉讼.复议后"), ("诉讼.直接",), ("诉讼.复议后",)]
        claim.what = "行政诉讼"
    elif column is not None and subject is not None and subject.readings[0].cells[0].table == "表四":
        parts = [tuple(dict.fromkeys(c.row_key for c in r.cells)) for r in subject.readings]
        claim.what = _base(subject.what)
    else:
        return None
    column = column or "总计"
    if column != "总计":
        claim.what += f"（{column}）"
    claim.readings = [
        Reading(
            "表四" + "+".join(f"“{_ROW_NAMES[p]}”" for p in rows) + column,
            tuple(Cell("表四", p, column) for p in rows),
        )
        for rows in parts
    ]
    return claim


def _table2_claim(claim: Claim, before: str, counter: str) -> Claim | None:
    """规范性文件 / 规章 (现行有效, 制发, 废止) and 行政许可 / 处罚 / 强制 decisions, named right before
    the number."""
    words = before[-_NEAR:]
    if _NORMATIVE.search(words) or _RULES.search(words):
        if _OTHER_ACTION.search(words):
            return None
        normative = bool(_NORMATIVE.search(words))
        rows = ("20.1.行政规范性文件", "20.1.规范性文件") if normative else ("20.1.规章",)
        name = "行政规范性文件" if normative else "规章"
        columns: tuple[str, ...]
        if _IN_FORCE.search(words):
            columns, what = ("现行有效件数",), f"现行有效{name}"
        elif _REPEALED.search(words):
            columns, what = ("本年废止件数",), f"本年废止的{name}"
        elif _ISSUED.search(words):
            columns, what = ("本年制发件数", "本年新制作数量", "本年新公开数量"), f"本年制发的{name}"
        else:
            return None
        claim.what = what
        claim.readings = [
            Reading(f"表二“{row.split('.', 2)[2]}”{column}", (Cell("表二", row, column),))
            for row in rows
            for column in columns
        ]
        if normative:  # 「规范性文件」 may include the 规章 too
            claim.readings += [
                Reading(
                    f"表二“规章”+“{row.split('.', 2)[2]}”{column}",
                    (Cell("表二", "20.1.规章", column), Cell("表二", row, column)),
                )
                for row in rows
                for column in columns
            ]
        return claim
    if counter != "件":
        return None
    for pattern, row in _DECISIONS:
        if pattern.search(words[-8:]) and not _NOT_DECISIONS.search(words[-8:]):
            item = "5" if row == "行政许可" else "6"
            claim.what = f"{row}决定"
            claim.readings = [
                Reading(f"表二“{row}”{column}", (Cell("表二", f"20.{item}.{row}", column),))
                for column in ("本年处理决定数量", "处理决定数量")
            ]
            return claim
    return None


def _fee_claim(claim: Claim, before: str, counter: str, number: str) -> Claim | None:
    """行政事业性收费 in 万元 or 元 (converted to the table's 万元 when it is compared)."""
    if not _FEES.search(before[-_NEAR:]):
        return None
    decimals = len(number.split(".", 1)[1]) if "." in number else 0
    step = 10.0**-decimals
    if counter == "元":
        claim.value, step = claim.value / 10_000, step / 10_000
    claim.tolerance = step / 2 + 1e-9
    claim.unit = "万元"
    claim.what = "行政事业性收费金额（万元）"
    claim.readings = [
        Reading("表二“行政事业性收费”本年收费金额", (Cell("表二", "20.8.行政事业性收费", "本年收费金额"),))
    ]
    return claim


__all__ = ["Cell", "Claim", "Reading", "sentence_claims"]

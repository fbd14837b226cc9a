"""The national annual-report format (国办公开办函〔2021〕30号, and the 2019 trial format 〔2019〕60号).

Canonical row keys and columns of the three statistical tables. Everything that knows the
format's fixed rows lives here, so the parser, the checks and the question lexicon agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.numerals import NUMERAL_CHARS, cn_to_int

CN_DIGITS = "一二三四五六七八九十"

# 表三 columns, in template order.
APPLICANT_COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
TABLE3_COLUMNS = APPLICANT_COLUMNS + ["总计"]

# 表四 columns within each of its three parts.
TABLE4_COLUMNS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
TABLE4_ROWS = {
    "复议": "行政复议",
    "诉讼.直接": "行政诉讼 / 未经复议直接起诉",
    "诉讼.复议后": "行政诉讼 / 复议后起诉",
}


@dataclass(frozen=True)
class Row:
    key: str  # "一", "三.3", "三.3.1"
    label: str  # the template's own wording
    keywords: tuple[str, ...] = ()  # distinctive words, for rows published without their number


TABLE3_ROWS: list[Row] = [
    Row("一", "一、本年新收政府信息公开申请数量", ("本年新收",)),
    Row("二", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    Row("三", "三、本年度办理结果", ("办理结果",)),
    Row("三.1", "（一）予以公开", ("予以公开",)),
    Row("三.2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",)),
    Row("三.3", "（三）不予公开", ("不予公开",)),
    Row("三.3.1", "1.属于国家秘密", ("国家秘密",)),
    Row("三.3.2", "2.其他法律行政法规禁止公开", ("禁止公开",)),
    Row("三.3.3", "3.危及“三安全一稳定”", ("三安全一稳定",)),
    Row("三.3.4", "4.保护第三方合法权益", ("第三方合法权益",)),
    Row("三.3.5", "5.属于三类内部事务信息", ("内部事务",)),
    Row("三.3.6", "6.属于四类过程性信息", ("过程性信息",)),
    Row("三.3.7", "7.属于行政执法案卷", ("执法案卷",)),
    Row("三.3.8", "8.属于行政查询事项", ("行政查询",)),
    Row("三.4", "（四）无法提供", ("无法提供",)),
    Row("三.4.1", "1.本机关不掌握相关政府信息", ("不掌握",)),
    Row("三.4.2", "2.没有现成信息需要另行制作", ("另行制作",)),
    Row("三.4.3", "3.补正后申请内容仍不明确", ("仍不明确",)),
    Row("三.5", "（五）不予处理", ("不予处理",)),
    Row("三.5.1", "1.信访举报投诉类申请", ("信访",)),
    Row("三.5.2", "2.重复申请", ("重复申请",)),
    Row("三.5.3", "3.要求提供公开出版物", ("公开出版物",)),
    Row("三.5.4", "4.无正当理由大量反复申请", ("大量反复",)),
    Row("三.5.5", "5.要求行政机关确认或重新出具已获取信息", ("重新出具",)),
    Row("三.6", "（六）其他处理", ("其他处理",)),
    Row("三.6.1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", ("逾期不补正",)),
    Row("三.6.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", ("收费通知",)),
    Row("三.6.3", "3.其他", ()),
    Row("三.7", "（七）总计", ()),
    Row("四", "四、结转下年度继续办理", ("结转下年度",)),
]
TABLE3_BY_KEY = {row.key: row for row in TABLE3_ROWS}

# 表二: per item of 第二十条, the rows and columns each format prints (columns without their unit).
TABLE2_FORMATS: dict[str, dict[int, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "2021": {
        1: (("规章", "行政规范性文件"), ("本年制发件数", "本年废止件数", "现行有效件数")),
        5: (("行政许可",), ("本年处理决定数量",)),
        6: (("行政处罚", "行政强制"), ("本年处理决定数量",)),
        8: (("行政事业性收费",), ("本年收费金额",)),
    },
    "2019": {
        1: (("规章", "规范性文件"), ("本年新制作数量", "本年新公开数量", "对外公开总数量")),
        5: (("行政许可", "其他对外管理服务事项"), ("上一年项目数量", "本年增/减", "处理决定数量")),
        6: (("行政处罚", "行政强制"), ("上一年项目数量", "本年增/减", "处理决定数量")),
        8: (("行政事业性收费",), ("上一年项目数量", "本年增/减")),
        9: (("政府集中采购",), ("采购项目数量", "采购总金额")),
    },
}


def table2_labels(item: int) -> tuple[list[str], list[str]]:
    """Every row and column label either format prints for item `item` of 第二十条."""
    rows: list[str] = []
    columns: list[str] = []
    for items in TABLE2_FORMATS.values():
        item_rows, item_columns = items.get(item, ((), ()))
        rows += [r for r in item_rows if r not in rows]
        columns += [c for c in item_columns if c not in columns]
    return rows, columns


def table3_number(row: Row) -> int | None:
    """The number a 表三 row prints before its words: 一、 → 1, （三） → 3, 2. → 2."""
    m = re.match(rf"^(?:([{NUMERAL_CHARS}]+)、|（([{NUMERAL_CHARS}]+)）|(\d+)\.)", row.label)
    if not m:
        return None
    return cn_to_int(next(g for g in m.groups() if g))


# Result rows whose leaves add up to 三（七）总计.
RESULT_GROUPS = ["三.1", "三.2", "三.3", "三.4", "三.5", "三.6"]

SECTION_TITLES = {
    1: "一、总体情况",
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}
_SECTION_KEYWORDS = {
    1: ("总体情况",),
    2: ("主动公开政府信息", "主动公开情况"),
    3: ("收到和处理", "依申请公开情况"),
    4: ("行政诉讼", "行政复议"),
    5: ("主要问题", "改进情况"),
    6: ("其他需要报告",),
}
TABLE_OF_SECTION = {2: "表二", 3: "表三", 4: "表四"}


def normalize_label(text: str) -> str:
    """Full-width parentheses, no spaces: '(三) 不予公开' → '（三）不予公开'."""
    text = text.replace("(", "（").replace(")", "）").replace("．", ".")
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class SectionHeading:
    """A numbered heading as printed: its printed number, its title, and which of the six format
    sections it is by meaning (None for a section the format does not have, such as
    「五、信息处理费收取情况」)."""

    printed: int
    title: str
    section: int | None

    @property
    def text(self) -> str:
        return f"{cn_digit(self.printed)}、{self.title}"


_HEADING = re.compile(rf"^([{NUMERAL_CHARS}]{{1,3}})、(.{{2,40}})$")
# 表三's own rows (一、本年新收… 四、结转下年度…) are numbered like headings but are not headings.
_TABLE3_TOP_ROW = re.compile(r"本年新收|上年结转|办理结果|结转下年度")


def section_heading(text: str) -> SectionHeading | None:
    """A top-level heading (一、… 十、…) of a report, recognised by its words, not its number:
    「六、存在的主要问题及改进情况」 is section 5 when an extra section stands before it. A heading
    whose words are not the format's comes back with `section` None."""
    norm = normalize_label(text)
    m = _HEADING.match(norm)
    if not m or re.search(r"[。；;，,：:]", m.group(2)) or _TABLE3_TOP_ROW.search(m.group(2)):
        return None
    printed = cn_to_int(m.group(1))
    if printed is None or not 1 <= printed <= 12:
        return None
    title = m.group(2)
    found = [n for n, words in _SECTION_KEYWORDS.items() if any(word in title for word in words)]
    # 「政府信息公开行政复议、行政诉讼情况」 holds no other section's words; where two match, the
    # printed number decides (it is only a tie-breaker).
    section = (printed if printed in found else found[0]) if found else None
    return SectionHeading(printed, title, section)


def section_number(text: str) -> int | None:
    """If `text` is one of the six section headings, return its number in the format (1–6)."""
    heading = section_heading(text)
    return heading.section if heading else None


def cn_digit(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一 (the small numbers of headings and items)."""
    if n <= 10:
        return CN_DIGITS[n - 1]
    return ("" if n < 20 else CN_DIGITS[n // 10 - 1]) + "十" + (CN_DIGITS[n % 10 - 1] if n % 10 else "")


def table3_parent(key: str) -> str | None:
    parts = key.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 else None


def table3_children(key: str) -> list[str]:
    depth = key.count(".") + 1
    return [r.key for r in TABLE3_ROWS if r.key.startswith(key + ".") and r.key.count(".") == depth]


def table3_path(key: str) -> str:
    """Template labels from the top row down, e.g. '三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密'."""
    parts = key.split(".")
    return " / ".join(TABLE3_BY_KEY[".".join(parts[: i + 1])].label for i in range(len(parts)))

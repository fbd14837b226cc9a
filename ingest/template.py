"""The national annual-report format (国办公开办函〔2021〕30号, and the 2019 trial format 〔2019〕60号).

Canonical row keys and columns of the three statistical tables. Everything that knows the
format's fixed rows lives here, so the parser, the checks and the question lexicon agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def section_number(text: str) -> int | None:
    """If `text` is one of the six section headings, return its number (1–6)."""
    norm = normalize_label(text)
    m = re.match(r"^([一二三四五六])、(.{2,40})$", norm)
    if not m:
        return None
    n = CN_DIGITS.index(m.group(1)) + 1
    if any(word in m.group(2) for word in _SECTION_KEYWORDS[n]):
        # 表三's own rows (一、本年新收… 四、结转下年度…) are not headings.
        if re.search(r"本年新收|上年结转|办理结果|结转下年度", m.group(2)):
            return None
        return n
    return None


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

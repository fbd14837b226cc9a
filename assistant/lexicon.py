"""Everyday words → table quantities (rows and columns of the national format).

Row keys and labels come from ingest.template; this module only knows how people ask.
Order matters: more specific entries come first, the first match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """A table quantity a question can name."""

    table: str  # 表二 | 表三 | 表四
    row: str  # 表三/表四 row key ("三.3", "复议", "诉讼" for both litigation parts) or 表二 row words
    label: str  # how the answer names it
    column: str | None = None  # default column (None = 总计 / the table-2 item's main column)
    neighbour: str | None = None  # a row the everyday word might also mean, named in one clause
    item: str | None = None  # 表二: 第二十条 item number


# (pattern, quantity). Patterns are matched against the question with spaces removed, lowercased.
QUANTITIES: list[tuple[str, Quantity]] = [
    # 表三 sub-rows first: they are the most specific.
    (r"国家秘密|state secret", Quantity("表三", "三.3.1", "不予公开（属于国家秘密）")),
    (r"法律行政法规禁止|禁止公开", Quantity("表三", "三.3.2", "不予公开（其他法律行政法规禁止公开）")),
    (r"三安全一稳定|危及.*安全", Quantity("表三", "三.3.3", "不予公开（危及“三安全一稳定”）")),
    (r"第三方合法权益|第三方权益|third.?part", Quantity("表三", "三.3.4", "不予公开（保护第三方合法权益）")),
    (r"内部事务", Quantity("表三", "三.3.5", "不予公开（属于三类内部事务信息）")),
    (r"过程性信息", Quantity("表三", "三.3.6", "不予公开（属于四类过程性信息）")),
    (r"执法案卷", Quantity("表三", "三.3.7", "不予公开（属于行政执法案卷）")),
    (r"行政查询事项", Quantity("表三", "三.3.8", "不予公开（属于行政查询事项）")),
    (
        r"不掌握|没有这个信息|没有该信息|没有相关信息|信息不存在|没有这项信息|does\s*not\s*hold|not\s*held|do\s*not\s*have",
        Quantity("表三", "三.4.1", "无法提供（本机关不掌握相关政府信息）"),
    ),
    (r"另行制作|没有现成", Quantity("表三", "三.4.2", "无法提供（没有现成信息需要另行制作）")),
    (r"仍不明确|不明确", Quantity("表三", "三.4.3", "无法提供（补正后申请内容仍不明确）")),
    (r"信访|举报|投诉", Quantity("表三", "三.5.1", "不予处理（信访举报投诉类申请）")),
    (r"重复申请|repeat", Quantity("表三", "三.5.2", "不予处理（重复申请）")),
    (r"公开出版物|出版物", Quantity("表三", "三.5.3", "不予处理（要求提供公开出版物）")),
    (r"大量反复", Quantity("表三", "三.5.4", "不予处理（无正当理由大量反复申请）")),
    (
        r"重新出具|确认.*已获取",
        Quantity("表三", "三.5.5", "不予处理（要求行政机关确认或重新出具已获取信息）"),
    ),
    (r"逾期不补正|不补正", Quantity("表三", "三.6.1", "其他处理（申请人无正当理由逾期不补正）")),
    (
        r"未按收费通知|逾期未.*缴纳|未缴纳费用|没交费",
        Quantity("表三", "三.6.2", "其他处理（申请人逾期未按收费通知要求缴纳费用）"),
    ),
    # 表三 groups and rows.
    (r"部分公开|partial", Quantity("表三", "三.2", "部分公开")),
    (
        r"不予公开|不公开|拒绝|驳回|refus|reject|den(y|ied)|withh[eo]ld",
        Quantity("表三", "三.3", "不予公开", neighbour="三.5"),
    ),
    (r"无法提供|提供不了|cannot\s*provide|could\s*not\s*provide", Quantity("表三", "三.4", "无法提供")),
    (r"不予处理|不处理|not\s*processed", Quantity("表三", "三.5", "不予处理")),
    (r"其他处理", Quantity("表三", "三.6", "其他处理")),
    (
        r"予以公开|全部公开|同意公开|granted|disclosed\s*in\s*full|fully\s*disclosed",
        Quantity("表三", "三.1", "予以公开"),
    ),
    (
        r"结转下年|结转到下一?年|转入下一?年|继续办理|carried\s*(over)?\s*(in)?to\s*next",
        Quantity("表三", "四", "结转下年度继续办理"),
    ),
    (r"上年结转|上一年结转|从上年|carried\s*over\s*from", Quantity("表三", "二", "上年结转政府信息公开申请")),
    (
        r"办结|办理完|处理完|办理结果.*总|办理了多少|处理了多少|处理结果总|办理结果",
        Quantity("表三", "三.7", "本年度办理结果总计"),
    ),
    (
        r"新收|收到|受理|接到|申请数量|申请量|多少.*申请|申请了?(多少|几)|申请(有|共有|一共有|总共有)(多少|几)|applications?.*(receiv|get|got)|receiv.*applications?|how\s*many\s*applications",
        Quantity("表三", "一", "新收政府信息公开申请"),
    ),
    # 表四
    (r"复议后起诉|复议后.*诉讼", Quantity("表四", "诉讼.复议后", "行政诉讼（复议后起诉）")),
    (r"直接起诉|未经复议", Quantity("表四", "诉讼.直接", "行政诉讼（未经复议直接起诉）")),
    (r"行政诉讼|起诉|诉讼|被告|打官司|lawsuit|litigation|sued|court", Quantity("表四", "诉讼", "行政诉讼")),
    (r"行政复议|复议|reconsideration|administrative\s*review", Quantity("表四", "复议", "行政复议")),
    # 表二
    (r"行政许可|许可|licen[cs]", Quantity("表二", "行政许可", "行政许可", item="5")),
    (r"行政处罚|处罚|penalt", Quantity("表二", "行政处罚", "行政处罚", item="6")),
    (r"行政强制|强制", Quantity("表二", "行政强制", "行政强制", item="6")),
    (
        r"行政事业性收费|收费金额|收费多少|收了多少费|收费.*万元|fees?\s*collected",
        Quantity("表二", "行政事业性收费", "行政事业性收费", item="8"),
    ),
    (r"规章", Quantity("表二", "规章", "规章", item="1")),
    (r"规范性文件|normative", Quantity("表二", "规范性文件", "行政规范性文件", item="1")),
    (r"政府集中采购|采购", Quantity("表二", "政府集中采购", "政府集中采购", item="9")),
]

# 表三 applicant columns; 法人或其他组织 is the group of the five columns after 自然人.
COLUMN_GROUPS: dict[str, tuple[str, ...]] = {
    "法人或其他组织": ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"),
}
COLUMNS: list[tuple[str, str]] = [
    (
        r"法人或其他组织|法人和其他组织|legal\s*persons?\s*(and|or)\s*other\s*organi[sz]ations?",
        "法人或其他组织",
    ),
    (r"自然人|个人|公民|群众|natural\s*person|individual|citizen", "自然人"),
    (r"商业企业|企业|公司|business|compan", "商业企业"),
    (r"科研机构|科研|research", "科研机构"),
    (r"社会公益组织|公益组织|公益|charit|ngo|non.?profit", "社会公益组织"),
    (r"法律服务机构|律师事务所|律所|律师|law\s*firm|lawyer", "法律服务机构"),
    (
        r"其他(?:类型|类别|性质)?的?(?:法人|组织|单位|申请人)|[“\"']其他[”\"']|"
        r"other\s+(?:organi[sz]ations?|applicants?|entities|bodies)",
        "其他",
    ),
]

# 表四 result columns.
TABLE4_COLUMNS: list[tuple[str, str]] = [
    (r"维持|upheld", "结果维持"),
    (r"纠正|corrected|overturned", "结果纠正"),
    (r"尚未审结|未审结|未结|pending", "尚未审结"),
    (r"其他结果", "其他结果"),
]

# 表二 columns, by item: words → header words to look for, and the default header words.
TABLE2_COLUMNS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "1": [
        (r"废止", ("废止",)),
        (r"现行有效|有效|对外公开总", ("现行有效", "对外公开总数量")),
        (r"新公开", ("本年新公开",)),
        (r"", ("本年制发", "本年新制作")),
    ],
    "5": [(r"上一年|上年", ("上一年",)), (r"增|减", ("增/减", "增减")), (r"", ("处理决定",))],
    "6": [(r"上一年|上年", ("上一年",)), (r"增|减", ("增/减", "增减")), (r"", ("处理决定",))],
    "8": [(r"上一年|上年", ("上一年",)), (r"增|减", ("增/减", "增减")), (r"", ("收费金额", "增/减"))],
    "9": [(r"金额|多少钱", ("总金额",)), (r"", ("采购项目数量",))],
}


def normalize_question(question: str) -> str:
    return re.sub(r"\s+", "", question).lower()


def find_quantity(question: str) -> Quantity | None:
    text = normalize_question(question)
    for pattern, quantity in QUANTITIES:
        if re.search(pattern, text):
            return quantity
    return None


def find_column(question: str, table: str) -> str | None:
    """The column a question names; for table 3 several named columns join with '+'
    (「企业和律所提出的」 → '商业企业+法律服务机构'), summed by assistant.facts."""
    text = normalize_question(question)
    if table == "表三":
        named = [column for pattern, column in COLUMNS if re.search(pattern, text)]
        if "法人或其他组织" in named:
            return "法人或其他组织"
        return "+".join(dict.fromkeys(named)) or None
    if table == "表四":
        for pattern, column in TABLE4_COLUMNS:
            if re.search(pattern, text):
                return column
    return None


def table2_column_words(question: str, item: str) -> tuple[str, ...]:
    text = normalize_question(question)
    for pattern, words in TABLE2_COLUMNS.get(item, [(r"", ())]):
        if re.search(pattern, text):
            return words
    return ()

"""One sentence a citizen understands without knowing the report format, per facts figure.

「2022年彭阳县小岔乡人民政府没有拒绝过政府信息公开申请：不予公开0件」 rather than
「彭阳县小岔乡人民政府2022年不予公开0件（表三 三、本年度办理结果 / （三）不予公开，8项合计）」: the figure
stands in the sentence with the report's own word for it, and the table path stays in the source
card (the citation's section and quote). A blank cell is said to be blank, never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.facts import Figure, column_parts
from assistant.lexicon import COLUMN_GROUPS
from ingest.report import format_number


@dataclass(frozen=True)
class Wording:
    """How one quantity is said. `zh` holds {obj} (the applications, or whose) and {n} (the figure
    with its unit); `zh_none` is said after 「没有」 when the figure is 0; `term` is the report's
    word, shown after a non-zero figure when the sentence does not already say it. `en`/`en_none`
    the same in English ({n} a bare number, {s} the plural ending)."""

    zh: str
    zh_none: str
    en: str
    en_none: str
    term: bool = False


OBJ = "政府信息公开申请"
# 表三 rows: what the agency did with the applications.
TABLE3: dict[str, Wording] = {
    "一": Wording(
        "收到{obj}{n}",
        "收到过{obj}",
        "received {n} application{s} for government information",
        "received no application for government information",
    ),
    "二": Wording(
        "有{n}{obj}是上一年结转过来、本年继续办理的",
        "上一年结转过来的{obj}",
        "had {n} application{s} carried over from the year before",
        "had no application carried over from the year before",
    ),
    "三.7": Wording(
        "办结{obj}{n}",
        "办结过{obj}",
        "completed {n} application{s} for government information",
        "completed no application for government information",
    ),
    "三.1": Wording(
        "对{n}{obj}公开了所申请的全部信息",
        "全部公开过所申请的信息",
        "disclosed the requested information in full for {n} application{s}",
        "disclosed the requested information in full for no application",
        term=True,
    ),
    "三.2": Wording(
        "对{n}{obj}公开了所申请信息的一部分",
        "部分公开过所申请的信息",
        "disclosed part of the requested information for {n} application{s}",
        "disclosed part of the requested information for no application",
        term=True,
    ),
    "三.3": Wording(
        "拒绝了{n}{obj}",
        "拒绝过{obj}",
        "refused {n} application{s} for government information",
        "refused no application for government information",
        term=True,
    ),
    "三.4": Wording(
        "有{n}{obj}所申请的信息无法提供",
        "因信息无法提供而未能答复的{obj}",
        "could not provide the requested information for {n} application{s}",
        "had no application whose information could not be provided",
        term=True,
    ),
    "三.5": Wording(
        "有{n}{obj}未作为政府信息公开申请处理",
        "不予处理的{obj}",
        "did not process {n} application{s} as requests for government information",
        "processed every application as a request for government information",
        term=True,
    ),
    "三.6": Wording(
        "有{n}{obj}作了其他处理",
        "作其他处理的{obj}",
        "handled {n} application{s} otherwise",
        "handled no application otherwise",
        term=True,
    ),
    "四": Wording(
        "有{n}{obj}尚未办完、转入下一年继续办理",
        "转入下一年继续办理的{obj}",
        "carried {n} application{s} over to the next year",
        "carried no application over to the next year",
    ),
}
# Sub-rows of 表三 （三）（四）（五）（六）: the reason, as the lexicon's label names it in brackets.
REASONS: dict[str, Wording] = {
    "三.3": Wording(
        "以“{reason}”为由拒绝了{n}{obj}",
        "以“{reason}”为由拒绝过{obj}",
        "refused {n} application{s} because the information 「{reason}」",
        "refused no application on the ground 「{reason}」",
        term=True,
    ),
    "三.4": Wording(
        "有{n}{obj}因“{reason}”无法提供",
        "因“{reason}”无法提供的{obj}",
        "could not provide the information for {n} application{s}: 「{reason}」",
        "had no application left unanswered for 「{reason}」",
        term=True,
    ),
    "三.5": Wording(
        "有{n}{obj}因“{reason}”未予处理",
        "因“{reason}”不予处理的{obj}",
        "did not process {n} application{s}: 「{reason}」",
        "left no application unprocessed for 「{reason}」",
        term=True,
    ),
    "三.6": Wording(
        "有{n}{obj}因“{reason}”不再处理",
        "因“{reason}”不再处理的{obj}",
        "stopped processing {n} application{s}: 「{reason}」",
        "stopped processing no application for 「{reason}」",
        term=True,
    ),
}
# 表四 rows: the agency as the respondent of reviews and lawsuits.
TABLE4: dict[str, Wording] = {
    "复议": Wording(
        "被申请行政复议{n}",
        "被申请过行政复议",
        "was the respondent in {n} administrative reconsideration{s}",
        "was the respondent in no administrative reconsideration",
    ),
    "诉讼": Wording(
        "被提起行政诉讼{n}",
        "被提起过行政诉讼",
        "was sued in {n} administrative lawsuit{s}",
        "was sued in no administrative lawsuit",
    ),
    "诉讼.直接": Wording(
        "未经复议直接被提起行政诉讼{n}",
        "未经复议直接被提起过行政诉讼",
        "was sued directly (without reconsideration) in {n} administrative lawsuit{s}",
        "was sued directly (without reconsideration) in no administrative lawsuit",
    ),
    "诉讼.复议后": Wording(
        "经复议后被提起行政诉讼{n}",
        "经复议后被提起过行政诉讼",
        "was sued after a reconsideration in {n} administrative lawsuit{s}",
        "was sued after a reconsideration in no administrative lawsuit",
    ),
}
TABLE4_RESULTS = {
    "结果维持": "结果为维持",
    "结果纠正": "结果为纠正",
    "其他结果": "为其他结果",
    "尚未审结": "尚未审结",
}
TABLE4_RESULTS_EN = {
    "结果维持": "upheld",
    "结果纠正": "corrected",
    "其他结果": "other outcome",
    "尚未审结": "pending",
}
# 表二: (row words, header words) → wording; the first whose words both match the figure wins.
TABLE2: list[tuple[str, str, Wording]] = [
    (
        "收费",
        "金额",
        Wording(
            "收取{label}{n}",
            "收取过{label}",
            "collected {n} in {label}",
            "collected no {label}",
        ),
    ),
    (
        "",
        "处理决定",
        Wording(
            "作出{label}决定{n}",
            "作出过{label}决定",
            "made {n} {label} decision{s}",
            "made no {label} decision",
        ),
    ),
    ("", "制发", Wording("制发{label}{n}", "制发过{label}", "issued {n} {label}", "issued no {label}")),
    ("", "新制作", Wording("新制作{label}{n}", "新制作过{label}", "issued {n} {label}", "issued no {label}")),
    ("", "废止", Wording("废止{label}{n}", "废止过{label}", "repealed {n} {label}", "repealed no {label}")),
    (
        "",
        "现行有效",
        Wording(
            "现行有效的{label}有{n}",
            "现行有效的{label}",
            "had {n} {label} in force",
            "had no {label} in force",
        ),
    ),
    (
        "采购",
        "金额",
        Wording(
            "政府集中采购总金额为{n}",
            "政府集中采购支出",
            "spent {n} on central government procurement",
            "spent nothing on central government procurement",
        ),
    ),
    (
        "采购",
        "数量",
        Wording(
            "政府集中采购项目{n}",
            "政府集中采购项目",
            "had {n} central government procurement project{s}",
            "had no central government procurement project",
        ),
    ),
]
_BRACKETED = re.compile(r"（(.+)）$")
_TOTALLED = re.compile(r"^\d+项合计[，；]?")


def plain_sentence(fig: Figure) -> str:
    """The figure as one sentence (no closing mark): 「2022年X没有拒绝过政府信息公开申请：不予公开0件」,
    「2022年X收到政府信息公开申请15件」; how a total was made (blank cells left out, a blank 总计
    computed) follows in brackets, the format's bookkeeping (「8项合计」) stays in the source card."""
    doc = fig.document
    when = f"{doc.year}年" if doc.year else ""
    who = doc.agency or doc.title
    term = _term(fig)
    note = _how(fig)
    if fig.value is None:
        return f"{when}{who}的报告中“{term}”一栏{fig.text}{_brackets(note)}"
    wording = _wording(fig)
    if wording is None:
        return f"{when}{who}{term}{fig.text}{_brackets(note)}"
    obj, label, reason = _slots(fig)
    if fig.value == 0:
        said = wording.zh_none.format(obj=obj, label=label, reason=reason)
        return f"{when}{who}没有{said}：{term}{fig.text}{_brackets(note)}"
    said = wording.zh.format(obj=obj, label=label, reason=reason, n=fig.text)
    shown = [label] if wording.term else []
    if fig.quantity.table == "表四" and fig.column != "总计":
        shown = [fig.column]
    return f"{when}{who}{said}{_brackets('；'.join([*shown, *([note] if note else [])]))}"


def plain_english(fig: Figure) -> str:
    """The figure as one English sentence (no closing mark): 'In 2022, X refused no application for
    government information (不予公开: 0)'."""
    doc = fig.document
    when = f"In {doc.year}, " if doc.year else ""
    who = doc.agency or doc.title
    term = _term(fig)
    if fig.value is None:
        return f"{when}{who} left 「{term}」 blank in its report"
    wording = _wording(fig)
    number = format_number(fig.value)
    if wording is None:
        return f"{when}{who}: {term} {number}{_unit(fig)}"
    _, label, reason = _slots(fig)
    whose = f" ({_column_en(fig)})" if fig.column != "总计" and fig.quantity.table != "表二" else ""
    if fig.value == 0:
        said = wording.en_none.format(label=label, reason=reason)
        return f"{when}{who} {said}{whose} ({term}: {number})"
    n = (
        f"{number} {_unit(fig).strip()}".strip()
        if fig.quantity.table == "表二" and "金额" in fig.column
        else number
    )
    said = wording.en.format(label=label, reason=reason, n=n, s="" if fig.value == 1 else "s")
    return f"{when}{who} {said}{whose} ({term})"


def _wording(fig: Figure) -> Wording | None:
    q = fig.quantity
    if q.table == "表三":
        if q.row in TABLE3:
            return TABLE3[q.row]
        parent = q.row.rsplit(".", 1)[0]
        return REASONS.get(parent) if _BRACKETED.search(q.label) else None
    if q.table == "表四":
        wording = TABLE4.get(q.row)
        if wording is None or fig.column == "总计":
            return wording
        result = TABLE4_RESULTS.get(fig.column)
        if result is None:
            return None
        base = wording.zh.replace("{n}", "")
        return Wording(
            f"{base}的案件中，{result}的有{{n}}",
            f"{base}后{result}的案件",
            f"{wording.en} ({TABLE4_RESULTS_EN[fig.column]})",
            f"{wording.en_none} ({TABLE4_RESULTS_EN[fig.column]})",
        )
    for row_words, column_words, wording in TABLE2:
        if row_words in q.row and column_words in fig.column:
            return wording
    return None


def _slots(fig: Figure) -> tuple[str, str, str]:
    """(the applications, with whose they are when a column is asked; the quantity's label; the
    reason of a sub-row)."""
    obj = OBJ
    if fig.quantity.table == "表三" and fig.column != "总计":
        obj = f"{_applicants(fig.column)}提出的{OBJ}"
    found = _BRACKETED.search(fig.quantity.label)
    return obj, fig.quantity.label, found.group(1) if found else ""


def _applicants(column: str) -> str:
    """Who applied, in words: 「自然人」, 「商业企业和法律服务机构」, 「法人或其他组织」 (a named group)."""
    if column in COLUMN_GROUPS:
        return column
    names = ["其他申请人" if c == "其他" else c for c in column_parts(column)]
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + "和" + names[-1]


def _term(fig: Figure) -> str:
    """The report's word for the figure: the quantity's label, with the column when one was asked."""
    label = fig.quantity.label
    if fig.column == "总计" or fig.quantity.table == "表二":
        return label
    return f"{label}（{fig.column}）"


def _how(fig: Figure) -> str:
    """How the figure was obtained, without the count of rows added up (that is in the card)."""
    return _TOTALLED.sub("", fig.how).lstrip("；")


def _brackets(text: str) -> str:
    return f"（{text}）" if text else ""


def _unit(fig: Figure) -> str:
    return {"件": "", "万元": " (10,000 yuan)", "个": ""}.get(fig.unit, f" {fig.unit}")


def _column_en(fig: Figure) -> str:
    return "from " + " and ".join(column_parts(fig.column)) if fig.quantity.table == "表三" else fig.column

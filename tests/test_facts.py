"""Figures from facts as pure functions: group sums, blank totals computed, blank never 0."""

from __future__ import annotations

from assistant.facts import figure, figure_quote
from assistant.lexicon import find_column, find_quantity
from helpers import REPORTS
from ingest.pipeline import parse_bytes

PT21 = (REPORTS / "平潭综合实验区管委会_2021.txt").read_text(encoding="utf-8")


def _figure(text: str, question: str):
    parsed = parse_bytes(text.encode("utf-8"), "r.txt")
    quantity = find_quantity(question)
    assert quantity is not None, question
    return figure(parsed.document, parsed.facts, quantity, find_column(question, quantity.table), question)


def test_blank_total_is_computed_from_its_columns_and_said():
    text = PT21.replace(
        "一、本年新收政府信息公开申请数量\t64\t0\t0\t2\t0\t4\t70",
        "一、本年新收政府信息公开申请数量\t64\t0\t0\t2\t0\t4\t",
    )
    fig = _figure(text, "收到多少申请")
    assert fig.value == 70
    assert fig.how == "总计栏空白，由各类申请人数相加得出"
    assert "总计 （空白）" in figure_quote(fig) and figure_quote(fig).endswith("总计 70件）")


def test_blank_cell_with_a_blank_column_stays_blank():
    text = PT21.replace(
        "一、本年新收政府信息公开申请数量\t64\t0\t0\t2\t0\t4\t70",
        "一、本年新收政府信息公开申请数量\t64\t\t0\t2\t0\t4\t",
    )
    fig = _figure(text, "收到多少申请")
    assert fig.value is None and fig.text == "空白（报告未填写）"
    business = _figure(text, "企业申请了多少")
    assert business.value is None and business.column == "商业企业"


def test_group_sum_skips_blank_subrows_and_says_so():
    text = PT21.replace(
        "三、本年度办理结果 / （三）不予公开 / 7.属于行政执法案卷\t6\t0\t0\t0\t0\t0\t6",
        "三、本年度办理结果 / （三）不予公开 / 7.属于行政执法案卷\t\t\t\t\t\t\t",
    )
    fig = _figure(text, "不予公开多少件")
    assert fig.value == 2
    assert fig.how == "8项合计，其中7.属于行政执法案卷空白未计"


def test_all_blank_group_is_blank_not_zero():
    import re

    text = re.sub(r"(（三）不予公开 / \d\.[^\t]+)((\t\d+)+)", lambda m: m.group(1) + "\t" * 7, PT21)
    fig = _figure(text, "拒绝了多少申请")
    assert fig.value is None


def test_litigation_sums_both_kinds_and_reconsideration_is_its_own():
    assert _figure(PT21, "被起诉几次").value == 12
    assert _figure(PT21, "行政复议结果纠正几件").value == 0
    assert _figure(PT21, "行政复议尚未审结几件").column == "尚未审结"


def test_the_other_applicants_column_is_its_own_figure():
    # 表三's sixth applicant column is 「其他」; the group 法人或其他组织 still sums its five columns.
    fig = _figure(PT21, "2021年申请人是其他类型的单位的，新收了几件申请")
    assert fig.column == "其他" and fig.value == 4
    group = _figure(PT21, "法人或其他组织新收了几件申请")
    assert group.column == "法人或其他组织" and group.value == 6

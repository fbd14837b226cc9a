"""The plain sentence a facts answer opens with, as pure functions over a real report's figures:
the figure in words a citizen understands, the report's own word for it, blanks said to be blank,
and none of the format's bookkeeping (table path, 「8项合计」)."""

from __future__ import annotations

import re

from assistant.facts import figure
from assistant.lexicon import find_column, find_quantity
from assistant.plainwords import plain_english, plain_sentence
from helpers import REPORTS
from ingest.pipeline import parse_bytes

PT21 = (REPORTS / "平潭综合实验区管委会_2021.txt").read_text(encoding="utf-8")
XC22 = (REPORTS / "彭阳县小岔乡人民政府_2022.txt").read_text(encoding="utf-8")


def _figure(text: str, question: str):
    parsed = parse_bytes(text.encode("utf-8"), "r.txt")
    quantity = find_quantity(question)
    assert quantity is not None, question
    found = figure(parsed.document, parsed.facts, quantity, find_column(question, quantity.table), question)
    assert found is not None, question
    return found


def test_zero_is_said_as_never():
    fig = _figure(XC22, "拒绝了多少申请")
    assert plain_sentence(fig) == "2022年彭阳县小岔乡人民政府没有拒绝过政府信息公开申请：不予公开0件"
    assert plain_english(fig) == (
        "In 2022, 彭阳县小岔乡人民政府 refused no application for government information (不予公开: 0)"
    )


def test_a_count_is_said_with_the_reports_word_and_no_table_path():
    refused = _figure(PT21, "拒绝了多少申请")
    assert plain_sentence(refused) == "2021年平潭综合实验区拒绝了8件政府信息公开申请（不予公开）"
    assert plain_english(refused) == (
        "In 2021, 平潭综合实验区 refused 8 applications for government information (不予公开)"
    )
    received = _figure(PT21, "收到多少申请")
    assert plain_sentence(received) == "2021年平潭综合实验区收到政府信息公开申请70件"
    by_people = _figure(PT21, "自然人申请了多少")
    assert plain_sentence(by_people) == "2021年平潭综合实验区收到自然人提出的政府信息公开申请64件"
    reason = _figure(PT21, "因为执法案卷拒绝了几件")
    assert plain_sentence(reason) == (
        "2021年平潭综合实验区以“属于行政执法案卷”为由拒绝了6件政府信息公开申请（不予公开（属于行政执法案卷））"
    )


def test_review_results_fees_and_documents():
    review = _figure(PT21, "行政复议多少件")
    assert plain_sentence(review) == "2021年平潭综合实验区被申请行政复议3件"
    upheld = _figure(PT21, "行政复议结果维持几件")
    assert (
        plain_sentence(upheld) == "2021年平潭综合实验区被申请行政复议的案件中，结果为维持的有1件（结果维持）"
    )
    corrected = _figure(PT21, "行政复议结果纠正几件")
    assert plain_sentence(corrected) == (
        "2021年平潭综合实验区没有被申请行政复议后结果为纠正的案件：行政复议（结果纠正）0件"
    )
    fee = _figure(XC22, "行政事业性收费金额是多少")
    assert plain_sentence(fee) == "2022年彭阳县小岔乡人民政府收取行政事业性收费0.11万元"
    licences = _figure(PT21, "行政许可多少件")
    assert plain_sentence(licences) == "2021年平潭综合实验区作出行政许可决定2293件"


def test_blank_cells_are_said_to_be_blank_and_left_out_sums_are_named():
    blank = PT21.replace(
        "一、本年新收政府信息公开申请数量\t64\t0\t0\t2\t0\t4\t70",
        "一、本年新收政府信息公开申请数量\t64\t\t0\t2\t0\t4\t",
    )
    assert plain_sentence(_figure(blank, "收到多少申请")) == (
        "2021年平潭综合实验区的报告中“新收政府信息公开申请”一栏空白（报告未填写）"
    )
    assert plain_english(_figure(blank, "收到多少申请")) == (
        "In 2021, 平潭综合实验区 left 「新收政府信息公开申请」 blank in its report"
    )
    partly = PT21.replace(
        "三、本年度办理结果 / （三）不予公开 / 7.属于行政执法案卷\t6\t0\t0\t0\t0\t0\t6",
        "三、本年度办理结果 / （三）不予公开 / 7.属于行政执法案卷\t\t\t\t\t\t\t",
    )
    sentence = plain_sentence(_figure(partly, "不予公开多少件"))
    assert sentence == (
        "2021年平潭综合实验区拒绝了2件政府信息公开申请（不予公开；其中7.属于行政执法案卷空白未计）"
    )
    assert not re.search(r"项合计|表三", sentence)

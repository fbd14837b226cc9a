"""A count the narrative states, not the table: the question's rarest word is no word of the
report's tables, and a passage of the report holds it with a count of what was asked."""

from __future__ import annotations


def test_a_count_of_something_no_table_holds_comes_from_the_narrative(corpus_assistant):
    # 「收到…多少件」 reads as 表三's 收到申请 (21 in 2020); 群众诉求 is no table word.
    answer = corpus_assistant.ask("平潭2020年“有事你说”栏目收到了多少件群众诉求？", [])
    assert answer.status == "answered"
    assert "348件" in answer.answer and "21件" not in answer.answer
    assert answer.citations[0].source.startswith("平潭综合实验区管委会_2020")
    assert answer.citations[0].section == "一、总体情况 / （二）围绕工作重点"


def test_a_count_the_tables_hold_stays_with_the_facts(corpus_assistant):
    answer = corpus_assistant.ask("平潭2020年收到了多少件申请？", [])
    assert answer.answer.startswith("2020年平潭综合实验区收到政府信息公开申请21件")
    assert answer.citations[0].section == "表三 一、本年新收政府信息公开申请数量"
    # 现行有效 is a column word of 表二: the facts answer it, not a passage
    stock = corpus_assistant.ask("平潭综合实验区2022年现行有效的行政规范性文件有几件？", [])
    assert stock.citations[0].section.startswith("表二")

"""A report passage's own heading counts in re-ranking: the national format's headings name what a
section is about, where a long opening passage holds every word of the question by its length."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("平潭综合实验区2020年政府信息公开工作还存在哪些问题？", "平潭综合实验区管委会_2020"),
        ("小岔乡2022年信息公开工作存在什么问题", "彭阳县小岔乡人民政府_2022"),
        ("君山片区2022年政务公开工作有什么不足", "平潭综合实验区君山片区管理局_2022"),
        ("洪泽区2024年信息公开工作存在的主要问题是什么", "淮安市洪泽区人民政府_2024"),
    ],
)
def test_a_question_on_a_reports_problems_cites_that_section(corpus_assistant, question, source):
    answer = corpus_assistant.ask(question, [])
    assert answer.status == "answered"
    first = answer.citations[0]
    assert first.source.startswith(source)
    assert first.section.startswith("五、存在的主要问题及改进情况")


def test_an_articles_heading_is_only_its_number(corpus_assistant):
    # Headings count for report passages only: the Jiangsu norms' heading 「（二）不予公开情形」 must
    # not push the regulation's own article out of the answer.
    answer = corpus_assistant.ask("哪些政府信息不予公开？", [])
    assert any(
        c.source.startswith("gov_info_disclosure_regulation") and c.section.endswith("第十四条")
        for c in answer.citations
    )

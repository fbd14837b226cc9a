"""Which held regulation a question names, from the regulations' own titles and openings."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.named_rules import RuleMarks, named_rules, rule_marks, without_rule_years
from ingest.pipeline import parse_file

REGULATIONS = Path(__file__).resolve().parent.parent / "data" / "corpus" / "regulations"
NOTICE_2019 = "gov_info_annual_report_format_notice_2019_trial_guobangongkaibanhan_2019_60.txt"
NOTICE_2021 = "gov_info_annual_report_format_notice_2021_guobangongkaibanhan_2021_30.txt"
REGULATION = "gov_info_disclosure_regulation_2019.txt"
JIANGSU = "jiangsu_gov_info_application_handling_reply_norms_2020.txt"


@pytest.fixture(scope="module")
def rules() -> list[RuleMarks]:
    out = []
    for path in sorted(REGULATIONS.glob("*.txt")):
        parsed = parse_file(path)
        out.append(rule_marks(parsed.document.source, parsed.document.title, parsed.chunks[0].text))
    return out


def test_marks_come_from_title_and_opening(rules):
    by_source = {r.source: r for r in rules}
    assert by_source[JIANGSU].places >= {"江苏", "江苏省", "jiangsu"}
    assert by_source[JIANGSU].kinds == {"规范"} and by_source[JIANGSU].years == {2020}  # the letter's date
    assert by_source[NOTICE_2021].kinds == {"格式", "通知"} and by_source[NOTICE_2021].years == {2021}
    assert by_source[NOTICE_2019].kinds == {"通知"} and by_source[NOTICE_2019].years == {2019}
    assert by_source[REGULATION].kinds == {"条例"} and by_source[REGULATION].years == {2007, 2019}


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("江苏省的答复规范对申请人补正有什么要求？", [JIANGSU]),
        ("What do the Jiangsu norms say about supplementing an application?", [JIANGSU]),
        ("照2021版年报格式，表四怎么填？", [NOTICE_2021]),
        ("2021年的年报通知说什么时候报送？", [NOTICE_2021]),
        ("年报通知里说什么时候报送？", [NOTICE_2019, NOTICE_2021]),
        ("信息公开条例第九条讲的是什么", [REGULATION]),
    ],
)
def test_a_question_names_the_regulations_that_hold_all_its_marks(rules, question, named):
    assert sorted(named_rules(question, rules)) == sorted(named)


@pytest.mark.parametrize(
    "question",
    [
        "2019年版年报格式里表三怎么填？",  # no single notice holds both 2019 and 格式
        "福建省政府信息公开规范对补正有什么要求？",  # a place no held regulation is for
        "规范性文件要不要主动公开？",  # 规范性文件 is no 规范
        "2021年全国收到多少政府信息公开申请？",  # a year alone names a report year more often
        "申请政府信息公开要交钱吗？",
    ],
)
def test_questions_naming_no_single_held_regulation_name_none(rules, question):
    assert named_rules(question, rules) == []


def test_only_a_year_that_marks_a_named_regulation_leaves(rules):
    assert without_rule_years("照2021年版的年报格式，行政复议怎么统计？", [2021], rules) == []
    assert without_rule_years("2021年平潭收到多少申请？", [2021], rules) == [2021]
    assert without_rule_years("2020年和2021年的年报格式通知有什么不同", [2020, 2021], rules) == [2020, 2021]


@pytest.mark.parametrize(
    ("question", "source", "section", "words"),
    [
        # Both notices hold the same sentence on the reporting dates; naming 2021 cites the 2021 one.
        (
            "按照2021年的年报格式通知，地市级政府汇总的年度报告几月几日前提交？",
            NOTICE_2021,
            "二、报告方式及时间",
            ["3月10日"],
        ),
        # 「2021年版…格式」 with a count word would otherwise sum table 4 over every 2021 report.
        ("照2021年版的年报格式，行政复议案件的数量怎么统计？", NOTICE_2021, "一、报告内容", ["原行为主体"]),
        # The Jiangsu norms restate 第三十七条 in more of the question's words; the question names no
        # province, so the national regulation answers it.
        ("申请公开的信息部分涉及不予公开内容怎么办", REGULATION, "第四章 依申请公开 / 第三十七条", []),
        # Named, the province's rules keep their place.
        ("江苏的规范里国家秘密的信息怎么处理", JIANGSU, "四、内容研判决定“给不给” / （二）不予公开情形", []),
    ],
)
def test_the_regulation_a_question_names_or_not_answers_first(
    corpus_assistant, question, source, section, words
):
    answer = corpus_assistant.ask(question, [])
    assert answer.status == "answered"
    assert (answer.citations[0].source, answer.citations[0].section) == (source, section)
    assert all(word in answer.answer for word in words)

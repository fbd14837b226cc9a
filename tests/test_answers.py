"""Answers over the bundled corpus: facts, retrieval, follow-ups, checks and refusals."""

from __future__ import annotations

import re

import pytest

from assistant.query import parse, parse_years, with_history
from assistant.retrieval import question_terms, relevance
from ingest.classify import agency_aliases
from prompts import REFUSAL

XC = "彭阳县小岔乡人民政府_2022.txt"


def _numbers(text: str) -> set[str]:
    text = re.sub(r"\[\d+\]", " ", text)  # citation keys are not figures
    return set(re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", text))


@pytest.mark.parametrize(
    "question",
    [
        "2022年小岔乡拒绝了多少政府信息公开申请？",
        "How many applications did 小岔乡 refuse in 2022?",
        "小岔乡2022年驳回了几件申请",
    ],
)
def test_refusals_of_xiaochaxiang(corpus_assistant, question):
    answer = corpus_assistant.ask(question)
    assert answer.status == "answered"
    assert "0件" in answer.answer and "不予公开" in answer.answer
    # Plain words first; the table path is in the source card, not in the answer.
    assert "2022年彭阳县小岔乡人民政府没有拒绝过政府信息公开申请：不予公开0件[1]" in answer.answer
    assert "表三" not in answer.answer and "项合计" not in answer.answer
    first = answer.citations[0]
    assert first.source == XC
    assert first.section == "表三 三、本年度办理结果 / （三）不予公开"
    assert "1.属于国家秘密" in first.quote and "8.属于行政查询事项" in first.quote
    # "拒绝" might also mean 不予处理: named in one clause, with its own citation.
    assert "不予处理" in answer.answer
    assert any(c.section.endswith("（五）不予处理") for c in answer.citations)


def test_group_sum_is_stated_and_cited(corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区2021年不予公开的政府信息公开申请有多少件？")
    assert answer.answer.startswith("2021年平潭综合实验区拒绝了8件政府信息公开申请（不予公开）[1]。")
    assert "8项合计" not in answer.answer  # the sum is stated in the source card
    quote = answer.citations[0].quote
    assert "5.属于三类内部事务信息 总计 1" in quote and "7.属于行政执法案卷 总计 6" in quote
    assert quote.endswith("8项合计：8件")


@pytest.mark.parametrize(
    "question, number, section_end",
    [
        ("平潭综合实验区2021年予以公开的申请有多少件？", "30", "（一）予以公开"),
        ("平潭2021年全部公开了多少件", "30", "（一）予以公开"),
        ("平潭2022年部分公开多少件", "9", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        ("平潭2021年有多少申请因为没有这个信息无法提供", "25", "1.本机关不掌握相关政府信息"),
        ("平潭2022年不掌握相关信息的申请有几件", "37", "1.本机关不掌握相关政府信息"),
        ("平潭2019年重复申请有多少", "3", "2.重复申请"),
        ("平潭2020年不予处理多少件", "3", "（五）不予处理"),
        ("平潭2022年上年结转多少件", "1", "二、上年结转政府信息公开申请数量"),
        ("平潭2021年结转下年度继续办理多少件", "1", "四、结转下年度继续办理"),
        ("平潭2021年新收多少申请", "70", "一、本年新收政府信息公开申请数量"),
        ("平潭2021年收到自然人申请多少件", "64", "一、本年新收政府信息公开申请数量"),
        ("平潭2022年企业申请了多少件", "3", "一、本年新收政府信息公开申请数量"),
        ("平潭2021年律师事务所申请了多少件？", "0", "一、本年新收政府信息公开申请数量"),
        ("平潭2021年因政府信息公开被申请行政复议多少件？", "3", "行政复议"),
        ("平潭2021年被起诉了几次？", "12", "行政诉讼"),
        ("平潭2021年未经复议直接起诉的有几件", "12", "未经复议直接起诉"),
        ("平潭2022年行政许可处理决定数量是多少？", "10690", "行政许可"),
        ("平潭2022年行政处罚多少件", "2113", "行政处罚"),
        ("平潭2021年行政强制多少件", "42", "行政强制"),
        ("平潭2022年行政事业性收费金额", "9116.36", "行政事业性收费"),
        ("平潭2022年制发了多少件规范性文件", "88", "行政规范性文件"),
        ("平潭2022年废止了多少件规范性文件", "55", "行政规范性文件"),
        ("平潭2022年现行有效的规范性文件有多少", "698", "行政规范性文件"),
    ],
)
def test_lexicon_maps_everyday_words_to_rows(corpus_assistant, question, number, section_end):
    answer = corpus_assistant.ask(question)
    assert answer.status == "answered", answer.answer
    assert number in _numbers(answer.answer), answer.answer
    assert answer.citations[0].section.endswith(section_end), answer.citations[0].section
    assert number in _numbers(answer.citations[0].quote)


def test_units_follow_the_report(corpus_assistant):
    assert "0.11万元" in corpus_assistant.ask("小岔乡2022年行政事业性收费金额是多少？").answer
    assert "3件" in corpus_assistant.ask("平潭2021年行政复议多少件").answer


def test_across_years_each_year_cited_and_missing_years_said(corpus_assistant):
    answer = corpus_assistant.ask("平潭2021到2024年每年收到多少申请")
    assert {"70", "74"} <= _numbers(answer.answer)
    assert "2023年、2024年" in answer.answer and "没有" in answer.answer
    assert [c.source for c in answer.citations] == [
        "平潭综合实验区管委会_2021.txt",
        "平潭综合实验区管委会_2022.txt",
    ]


def test_which_year_most_and_difference(corpus_assistant):
    most = corpus_assistant.ask("平潭综合实验区哪一年收到的申请最多？")
    assert "2022年最多（74件）" in most.answer
    assert len(most.citations) == 4
    diff = corpus_assistant.ask("平潭2022年收到的申请比上一年多多少？")
    assert "2022年比2021年增加4件" in diff.answer


def test_follow_up_carries_agency_and_quantity(corpus_assistant):
    history = [
        {"role": "user", "content": "平潭综合实验区2021年新收了多少件政府信息公开申请？"},
        {"role": "assistant", "content": "平潭综合实验区2021年新收政府信息公开申请70件。"},
    ]
    answer = corpus_assistant.ask("那2022年呢？", history)
    assert "74件" in answer.answer
    assert answer.citations[0].source == "平潭综合实验区管委会_2022.txt"
    slots = with_history("那2022年呢？", history, ["平潭综合实验区"])
    assert slots.years == [2022] and slots.agencies == ["平潭综合实验区"] and slots.quantity.row == "一"
    assert set(slots.carried) == {"agency", "quantity"}


def test_scope_from_the_widget_applies_when_the_question_names_no_agency(corpus_assistant):
    answer = corpus_assistant.ask("2022年拒绝了多少申请？", agency="小岔乡")
    assert answer.citations[0].source == XC


@pytest.mark.parametrize(
    "question",
    [
        "小岔乡2023年拒绝了多少政府信息公开申请？",
        "平潭综合实验区2018年收到多少政府信息公开申请？",
        "小岔乡的常住人口有多少？",
        "北京市2022年拒绝了多少申请？",
        "小岔乡乡长叫什么名字？",
        "火星上有多少政府信息公开申请？",
    ],
)
def test_not_found_never_guesses(corpus_assistant, question):
    answer = corpus_assistant.ask(question)
    assert answer.status == "not_found"
    assert answer.citations == []
    assert REFUSAL in answer.answer
    assert not (_numbers(answer.answer) - {str(y) for y in range(2018, 2030)}), answer.answer


def test_year_without_report_names_the_years_held(corpus_assistant):
    answer = corpus_assistant.ask("小岔乡2023年拒绝了多少政府信息公开申请？")
    assert "2022" in answer.answer and "0件" not in answer.answer


def test_consistency_question_flags_pingtan_2020(corpus_assistant):
    answer = corpus_assistant.ask("平潭2020年的报告数据有问题吗？")
    assert "27" in answer.answer and "21" in answer.answer and "不相等" in answer.answer
    assert answer.citations[0].source == "平潭综合实验区管委会_2020.txt"
    ok = corpus_assistant.ask("平潭2021年报告的数据有问题吗？")
    assert "核对无误" in ok.answer


@pytest.mark.parametrize(
    "question, article, text",
    [
        (
            "行政机关收到政府信息公开申请后，不能当场答复的，应当在多少个工作日内答复？",
            "第三十三条",
            "20个工作日",
        ),
        ("申请政府信息公开需要交费吗？", "第四十二条", "不收取费用"),
        ("申请政府信息公开可以口头提出吗？", "第二十九条", "口头提出"),
        ("哪些政府信息不予公开？", "第十四条", "国家秘密"),
        ("政府信息公开申请应当包括哪些内容？", "第二十九条", "身份证明"),
        ("什么是政府信息？", "第二条", "履行行政管理职能过程中制作或者获取"),
        ("政府信息公开工作年度报告应当包括哪些内容？", "第五十条", "工作考核、社会评议和责任追究结果"),
    ],
)
def test_rule_questions_cite_the_article(corpus_assistant, question, article, text):
    answer = corpus_assistant.ask(question)
    assert answer.status == "answered"
    assert text in answer.answer
    assert any(
        c.source == "gov_info_disclosure_regulation_2019.txt"
        and c.section.endswith(article)
        and text in c.quote
        for c in answer.citations
    )


def test_narrative_answer_quotes_the_sentence(corpus_assistant):
    answer = corpus_assistant.ask("小岔乡政务公开领导小组的组长是谁？")
    assert "罗金彩" in answer.answer
    assert answer.citations[0].source == XC and "领导小组" in answer.citations[0].quote
    count = {n for n in _numbers(answer.answer) if not re.fullmatch(r"20\d\d", n)}
    assert len(count) <= 8


def test_every_number_in_a_facts_answer_stands_in_its_citations(corpus_assistant):
    for question in ["平潭2021到2022年每年予以公开多少件", "小岔乡2022年拒绝了多少申请"]:
        answer = corpus_assistant.ask(question)
        cited = " ".join(c.section + c.quote for c in answer.citations)
        for number in _numbers(answer.answer):
            if re.fullmatch(r"20\d\d", number):
                continue
            assert number in _numbers(cited), (number, answer.answer)


def test_query_slots():
    assert parse_years("平潭2021到2024年") == [2021, 2022, 2023, 2024]
    assert parse_years("2019-2020年") == [2019, 2020]
    slots = parse("北京市海淀区2022年拒绝了多少申请", ["彭阳县小岔乡人民政府"])
    assert slots.unknown_place and slots.agencies == []
    assert parse("小岔2022年", ["彭阳县小岔乡人民政府"]).agencies == ["彭阳县小岔乡人民政府"]
    assert parse("我区2022年行政复议几件", ["彭阳县小岔乡人民政府"]).unknown_place is None


def test_the_longest_agency_name_in_the_question_wins():
    agencies = [
        "清河县乌江镇人民政府",
        "清河县人民政府",
        "景泰县乌江镇人民政府",
        "怀远市统计局",
        "宁州市统计局",
    ]
    assert parse("清河县乌江镇2023年收到多少申请", agencies).agencies == ["清河县乌江镇人民政府"]
    assert parse("怀远市统计局2023年收到多少申请", agencies).agencies == ["怀远市统计局"]
    both = parse("清河县和景泰县乌江镇2023年各收到多少申请", agencies).agencies
    assert sorted(both) == ["景泰县乌江镇人民政府", "清河县人民政府"]
    # A short name that two agencies share stays ambiguous: both are named.
    assert sorted(parse("乌江镇2023年收到多少申请", agencies).agencies) == [
        "景泰县乌江镇人民政府",
        "清河县乌江镇人民政府",
    ]


def test_relevance_is_a_share_of_question_words():
    from ingest.types import Chunk

    terms = question_terms("小岔乡的常住人口有多少？", agency_aliases("彭阳县小岔乡人民政府"))
    assert terms == ["常住人口"]
    chunk = Chunk(
        doc_id="d", source="s", title="t", kind="report", section="一、总体情况", text="全乡常住人口3万人。"
    )
    assert relevance(terms, chunk, {}) == 1.0
    other = Chunk(doc_id="d", source="s", title="t", kind="report", section="", text="公开信息20条。")
    assert relevance(terms, other, {}) == 0.0


def test_english_questions_with_romanized_agency_names(corpus_assistant):
    answer = corpus_assistant.ask("How many applications did Pingtan receive in 2022?")
    assert answer.answer.startswith(
        "In 2022, 平潭综合实验区 received 74 applications for government information (新收政府信息公开申请).\n"
        "2022年平潭综合实验区收到政府信息公开申请74件[1]。"
    )
    assert answer.citations[0].source == "平潭综合实验区管委会_2022.txt"
    refused = corpus_assistant.ask("How many requests did Xiaochaxiang refuse in 2022?")
    assert refused.citations[0].source == XC and "0件" in refused.answer

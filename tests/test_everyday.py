"""Questions as people ask them: slots in any position, aliases, relative years, common wordings,
English, and the calibrated answer-or-refuse decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answerability import Observation, Thresholds, calibrate, calibrate_gate, load_thresholds
from assistant.config import Settings
from assistant.glossary import chinese_terms, english_section
from assistant.lexicon import find_column
from assistant.query import (
    asks_for_count,
    named_instruments,
    parse,
    parse_years,
    pos_tagger,
    unheld_instrument,
)
from assistant.retrieval import asked_measure, states_measure
from assistant.service import Assistant
from assistant.types import Signals

ALIASES = {
    "平潭综合实验区君山片区管理局": ["平潭综合实验区君山片区管理局", "君山片区管理局", "君山片区", "君山"],
    "淮安市洪泽区人民政府": ["淮安市洪泽区人民政府", "洪泽区人民政府", "淮安市洪泽区", "洪泽区", "洪泽"],
    "彭阳县小岔乡人民政府": ["彭阳县小岔乡人民政府", "小岔乡", "小岔"],
}


# --------------------------------------------------------------------------- slots


@pytest.mark.parametrize(
    "question",
    [
        "2022年君山片区收到多少申请？",
        "君山片区2022年收到多少申请？",
        "请问一下君山片区管理局在2022年度收到了几件申请",
        "收到多少申请？君山片区，2022年",
        "二〇二二年君山片区收到多少申请",
    ],
)
def test_agency_and_year_in_any_position(question):
    slots = parse(question, ALIASES)
    assert slots.agencies == ["平潭综合实验区君山片区管理局"]
    assert slots.years == [2022]
    assert slots.unknown_place is None
    assert slots.quantity is not None and slots.quantity.row == "一"


def test_year_before_an_unknown_agency_is_not_part_of_its_name():
    slots = parse("2019年南京市政府办公厅收到多少申请？", ALIASES)
    assert slots.unknown_place == "南京市" and slots.years == [2019] and not slots.agencies


def test_words_running_across_a_sentence_are_no_place():
    slots = parse("按2021年格式，县级政府汇总部门和乡镇年报要在几月几号前报上一级？", ALIASES)
    assert slots.unknown_place is None and slots.agencies == []


def test_known_agency_is_never_an_unknown_place():
    for question in ("2024年淮安市洪泽区被起诉几次", "洪泽区人民政府2024年被起诉几次"):
        slots = parse(question, ALIASES)
        assert slots.agencies == ["淮安市洪泽区人民政府"] and slots.unknown_place is None


def test_relative_years_count_from_the_latest_report():
    assert parse_years("洪泽区去年被起诉几次", latest=2024) == [2024]
    assert parse_years("前年呢", latest=2024) == [2023]
    assert parse_years("去年", latest=None) == []
    assert parse("洪泽区去年被起诉几次", ALIASES, latest=2024).years == [2024]


def test_english_agency_names_by_their_romanized_core():
    assert parse("How many requests did Junshan get in 2022?", ALIASES).agencies == [
        "平潭综合实验区君山片区管理局"
    ]
    assert parse("Xiaocha township 2022 lawsuits", ALIASES).agencies == ["彭阳县小岔乡人民政府"]


PINGTAN = {
    "平潭综合实验区": ["平潭综合实验区", "平潭"],
    "平潭综合实验区自然资源与生态环境局": [
        "平潭综合实验区自然资源与生态环境局",
        "平潭自然资源与生态环境局",
        "自然资源与生态环境局",
    ],
}


@pytest.mark.parametrize(
    "question, unknown",
    [
        ("平潭综合实验区公安局2021年行政处罚决定数是多少？", "平潭综合实验区公安局"),  # a department not held
        ("彭阳县人民政府2022年收到多少件申请？", "彭阳县"),  # the parent county of a held township
        ("How many applications did Shanghai Pudong receive in 2022?", "Shanghai Pudong"),
    ],
)
def test_places_that_are_not_a_held_agency(question, unknown):
    slots = parse(question, {**ALIASES, **PINGTAN})
    assert slots.agencies == [] and slots.unknown_place == unknown


@pytest.mark.parametrize(
    "question",
    [
        "2020年平潭资源生态局的申请里“其他处理”有几件？",  # an abbreviation of the held department
        "自然资源和生态环境局2020年收到几件申请",  # 和 for 与
        "How many applications did the Pingtan Natural Resources and Ecological Environment Bureau get in 2020?",
    ],
)
def test_short_and_english_names_of_a_department(question):
    assert parse(question, PINGTAN).agencies == ["平潭综合实验区自然资源与生态环境局"]


def test_a_count_word_after_the_agency_is_no_department():
    slots = parse("2019年平潭行政处罚的处理决定数量是多少", PINGTAN)
    assert slots.agencies == ["平潭综合实验区"] and slots.quantity.label == "行政处罚"


def test_who_questions_are_not_counts():
    assert not asks_for_count("平潭2021年那12件行政诉讼的原告都是谁？")
    assert asks_for_count("平潭2021年被起诉了几次？")


def test_english_table_words_reach_the_lexicon_through_the_glossary():
    slots = parse("Pingtan 2020: how many new disclosure applications came from natural persons?", PINGTAN)
    assert slots.quantity.label == "新收政府信息公开申请" and slots.column == "自然人"
    assert (
        parse("How many administrative coercion decisions did Pingtan make in 2021?", PINGTAN).quantity.label
        == "行政强制"
    )


def test_several_applicant_columns_are_named_together():
    assert find_column("企业和律所申请了几件", "表三") == "商业企业+法律服务机构"
    assert find_column("法人或其他组织提出的申请", "表三") == "法人或其他组织"


# --------------------------------------------------------------------------- glossary


def test_glossary_gives_the_chinese_terms_of_an_english_question():
    terms = chinese_terms("How many working days does the agency have to reply to an information request?")
    assert {"工作日", "答复", "依申请公开"} <= set(terms)
    assert english_section("第四章 依申请公开 / 第三十三条") == "Chapter 4, Article 33"


# --------------------------------------------------------------------------- calibration (pure)


def _obs(coverage: float, gap: float, wording: float, answerable: bool, right: bool = True) -> Observation:
    signals = Signals(coverage=coverage, dense_gap=gap, wording=wording, scope="rules", rare=1.0)
    return Observation(signals, answerable, right)


def test_calibration_refuses_every_not_found_question_then_answers_the_most():
    observations = [
        _obs(0.9, 0.01, 0.90, True),
        _obs(0.4, 0.06, 0.90, True),
        _obs(0.3, 0.00, 0.97, True),
        _obs(0.6, 0.02, 0.91, False),  # off-topic, but shares words
        _obs(0.2, 0.03, 0.93, False),
    ]
    gate = calibrate_gate(observations)
    assert all(not gate.admits(o.signals) for o in observations if not o.answerable)
    assert gate.measured["answered_right"] == 3 and gate.measured["answered_not_found"] == 0
    assert 0.6 < gate.coverage <= 0.9 and 0.03 < gate.dense_gap <= 0.06 and 0.93 < gate.wording <= 0.97


def test_a_passage_standing_out_by_meaning_alone_must_still_share_words():
    # Off-topic questions whose best passage stands out by meaning but shares none of their words
    # (「常住人口有多少」 → the report's contact paragraph) sit above the answerable ones' dense_gap:
    # a gap threshold alone would refuse both answers; with the calibrated floor on coverage both
    # are answered and the off-topic one refused.
    observations = [
        _obs(0.45, 0.073, 0.0, True),
        _obs(0.51, 0.064, 0.0, True),
        _obs(0.00, 0.080, 0.0, False),
    ]
    gate = calibrate_gate(observations)
    assert gate.measured["answered_right"] == 2 and gate.measured["answered_not_found"] == 0
    assert 0.0 < gate.gap_coverage <= 0.45 and gate.dense_gap <= 0.064
    assert not gate.admits(Signals(coverage=0.0, dense_gap=0.2))


def test_a_wrong_answer_costs_more_than_a_refusal():
    # Admitting the second would answer it wrongly: the gate stops below it.
    gate = calibrate_gate([_obs(0.9, 0.0, 0.0, True), _obs(0.5, 0.0, 0.0, True, right=False)])
    assert gate.admits(Signals(coverage=0.9)) and not gate.admits(Signals(coverage=0.5))


def test_each_scope_and_tier_has_its_own_gate():
    rules = _obs(0.5, 0.0, 0.0, True)
    agency = Observation(Signals(coverage=0.5, scope="agency", rare=0.0), False, False)
    thresholds = calibrate([rules, agency])
    assert thresholds.admits(rules.signals) and not thresholds.admits(agency.signals)
    scoped = {f"{s}/{t}" for s in ("rules", "all", "agency") for t in ("held", "missing", "unstated")}
    assert set(thresholds.gates) == scoped | {"who"}


@pytest.mark.parametrize(
    "question, kind",
    [
        ("不服答复去法院起诉，起诉期限是几个月", "month"),
        ("递交申请以后要等多少个工作日", "day"),
        ("信息处理费每件收多少钱", "money"),
        ("机关最迟要多久答复我？", "period"),
        ("How long does an agency have to respond?", "period"),
        ("Within how many working days must it reply?", "day"),
        ("火星上有多少政府信息公开申请？", "count"),
        ("补正最多可以要求几次", "count"),
        ("申请书要写哪些内容", None),
        ("公开方式有哪几种", None),  # a list, not a count
    ],
)
def test_the_kind_of_figure_a_question_asks_for(question, kind):
    assert asked_measure(question) == kind


def test_a_passage_states_a_figure_of_the_asked_kind_or_not():
    article = "行政机关不能当场答复的，应当自收到申请之日起20个工作日内予以答复"
    assert states_measure(article, "day") and states_measure(article, "period")
    assert not states_measure(article, "month") and not states_measure(article, "money")
    assert not states_measure("2019年度报告", "year")  # a calendar year is not a length of time
    assert states_measure("档案一般满三十年向社会开放", "year") and states_measure("每件收取100元", "money")
    assert states_measure("补正原则上不超过一次", "count") and states_measure("受理申请15件", "count")
    assert not states_measure("第二十七条 除行政机关主动公开的政府信息外", "count")  # an article number


def test_a_question_asking_a_figure_the_passage_lacks_has_its_own_gate():
    asked = Observation(Signals(wording=0.99, unstated=True), False, False)
    plain = Observation(Signals(wording=0.99), True, True)
    thresholds = calibrate([asked, plain])
    assert thresholds.admits(plain.signals) and not thresholds.admits(asked.signals)


RULES = ["中华人民共和国政府信息公开条例", "关于转发《江苏省政府信息公开申请办理答复规范》的函"]


@pytest.mark.parametrize(
    "question, unheld",
    [
        ("信访条例规定信访部门多少日内要告知是否受理？", "信访条例"),
        ("按照保密法，定密责任人是怎么确定的", "保密法"),
        ("对答复不服申请行政复议，行政复议法规定要在多少日内提出？", "行政复议法"),
        ("福建省政府信息公开办法里规定的答复期限是多少", "福建省政府信息公开办法"),
        ("《政府信息公开条例》里说的政府信息到底指啥", None),
        ("现行政府信息公开条例是从什么时候开始施行的", None),
        ("行政机关按条例应该怎么做", None),  # 按条例: the held one
        ("法律法规授权的组织公开信息适用这个条例吗", None),
        ("主动公开情况要报条例第二十条哪几项？", None),
        ("因为本机关不掌握相关信息而无法提供的申请有几件？", None),  # 无法 is no law
    ],
)
def test_a_named_law_is_held_or_not(question, unheld):
    assert unheld_instrument(question, RULES) == unheld


def test_named_instruments_are_whole_names():
    assert named_instruments("违反个人信息保护法情节严重的最高罚多少钱") == ["个人信息保护法"]
    assert named_instruments("越级上访按照信访条例会怎么处理") == ["信访条例"]


def test_part_of_speech_table_is_jiebas_own():
    """The shared-key tag table named_instruments reads is jieba.posseg's table, word for word, and
    tags a question as jieba.posseg's own tokenizer does (one built the way its import builds it)."""
    import jieba
    import jieba.posseg as pseg

    tagger = pos_tagger()
    own = pseg.POSTokenizer(jieba.dt)
    assert len(tagger.word_tag_tab) == 349045
    assert tagger.word_tag_tab == own.word_tag_tab
    assert tagger.word_tag_tab["条例"] == "n" and tagger.word_tag_tab["按照"] == "p"
    for question in [
        "违反个人信息保护法情节严重的最高罚多少钱",
        "越级上访按照信访条例会怎么处理",
        "按照保密法",
    ]:
        assert [(w.word, w.flag) for w in tagger.cut(question)] == [
            (w.word, w.flag) for w in own.cut(question)
        ]


def test_shipped_thresholds_were_calibrated():
    thresholds = load_thresholds()
    assert "calibrated" in thresholds.note and thresholds != Thresholds()
    assert all(g.measured.get("answered_not_found", 0) == 0 for g in thresholds.gates.values())


# --------------------------------------------------------------------------- over the bundled corpus


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, article, figure",
    [
        ("How long does an agency have to respond to an information request?", "第三十三条", "20"),
        ("Do I have to pay a fee to request government information?", "第四十二条", None),
    ],
)
def test_article_found_from_an_english_question(corpus_assistant, question, article, figure):
    answer = corpus_assistant.ask(question)
    assert answer.status == "answered"
    assert answer.answer.startswith("According to")
    assert answer.citations[0].source == "gov_info_disclosure_regulation_2019.txt"
    assert answer.citations[0].section.endswith(article)
    if figure:
        assert figure in answer.citations[0].quote and figure in answer.answer


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    ["今天天气怎么样？", "个人所得税怎么交？", "What is the capital of France?", "怎么申请低保？"],
)
def test_off_topic_question_is_refused_by_the_calibrated_gate(corpus_assistant, question):
    answer = corpus_assistant.ask(question)
    assert answer.status == "not_found" and answer.citations == []


@pytest.mark.slow
def test_everyday_wording_finds_its_article(corpus_assistant):
    answer = corpus_assistant.ask("递交信息公开申请以后要等多久才有答复？")
    assert answer.status == "answered"
    assert answer.citations[0].section.endswith("第三十三条") and "20个工作日" in answer.answer


@pytest.mark.slow
def test_a_staff_wording_changes_the_result(copied_data_dir):
    question = "老百姓想看看政府的家底，该去哪儿翻？"
    before = Assistant(Settings(data_dir=copied_data_dir)).ask(question)
    assert not (before.status == "answered" and before.citations[0].section.endswith("第二十四条"))
    folder = copied_data_dir / "wordings"
    folder.mkdir()
    row = {
        "question": question,
        "source": "gov_info_disclosure_regulation_2019.txt",
        "section": "第三章 主动公开 / 第二十四条",
    }
    (folder / "staff.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    after = Assistant(Settings(data_dir=copied_data_dir)).ask(question)
    assert after.status == "answered"
    assert after.citations[0].section == "第三章 主动公开 / 第二十四条"
    assert "第二十四条" in after.answer


@pytest.mark.slow
def test_term_weights_come_from_the_bm25_index(corpus_assistant):
    weights = corpus_assistant.store.term_weights(["公开", "低保", "信息处理费"])
    assert weights["低保"] > weights["信息处理费"] > weights["公开"] > 0


@pytest.mark.slow
def test_column_groups_are_summed_and_each_part_shown(corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区2022年企业和律所一共提出了多少件申请？")
    assert answer.status == "answered"
    assert answer.answer == (
        "2022年平潭综合实验区收到商业企业和法律服务机构提出的政府信息公开申请3件"
        "（商业企业3件、法律服务机构0件，2栏相加）[1]。"
    )
    assert answer.citations[0].section == "表三 一、本年新收政府信息公开申请数量"
    group = corpus_assistant.ask("平潭综合实验区2022年法人或其他组织提出的申请有多少？")
    assert "法人或其他组织提出的政府信息公开申请3件" in group.answer and "5栏相加" in group.answer


@pytest.mark.slow
def test_quantity_by_meaning_finds_a_row_the_lexicon_does_not_name(corpus_assistant):
    answer = corpus_assistant.ask("平潭2021年没办完、留到下一年接着办的有几件？")
    assert answer.status == "answered"
    assert answer.citations[0].section.startswith("表三 四、结转下年度继续办理")


@pytest.mark.slow
def test_a_department_that_is_not_held_is_refused(corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区公安局2021年行政处罚决定数是多少？")
    assert answer.status == "not_found" and "平潭综合实验区公安局" in answer.answer


@pytest.mark.slow
def test_a_law_the_library_does_not_hold_is_refused_by_name(corpus_assistant):
    answer = corpus_assistant.ask("信访条例规定信访部门收到信访事项后多少日内要告知是否受理？")
    assert answer.status == "not_found" and "资料库中没有《信访条例》" in answer.answer
    held = corpus_assistant.ask("政府信息公开条例规定不能当场答复的要在多少个工作日内答复？")
    assert held.status == "answered" and "第三十三条" in held.citations[0].section


@pytest.mark.slow
def test_a_flagged_figure_is_served_as_published_with_a_note(corpus_assistant):
    answer = corpus_assistant.ask("平潭2020年办结了多少申请？")
    assert "2020年平潭综合实验区办结政府信息公开申请21件[1]" in answer.answer  # as published; rows add to 27
    assert "注意：平潭综合实验区2020年报告表三总计列的数字彼此不符" in answer.answer
    clean = corpus_assistant.ask("平潭2021年办结了多少申请？")
    assert "69件" in clean.answer and "注意" not in clean.answer


@pytest.mark.slow
def test_calibrate_command_writes_thresholds_that_refuse_every_not_found_question(
    bundled_data_dir, tmp_path, capsys
):
    from assistant.cli import main

    out = tmp_path / "answerability.json"
    dev = Path(__file__).resolve().parent.parent / "data" / "eval" / "dev.jsonl"
    assert main(["calibrate", str(dev), "--data-dir", str(bundled_data_dir), "--write", str(out)]) == 0
    written = load_thresholds(out)
    assert "dev.jsonl" in written.note
    measured = [g.measured for g in written.gates.values() if g.measured.get("searches")]
    assert measured and all(m["answered_not_found"] == 0 for m in measured)
    assert sum(m["answered_right"] for m in measured) >= 10  # the dev set's rule and narrative questions


@pytest.mark.slow
def test_traditional_characters_are_read_as_simplified(corpus_assistant):
    answer = corpus_assistant.ask("洪澤區2024年行政復議結果糾正的有幾件")
    assert answer.status == "answered"
    assert answer.citations[0].source == "淮安市洪泽区人民政府_2024.txt"
    assert answer.citations[0].section == "表四 行政复议"
    assert (
        "2024年淮安市洪泽区人民政府被申请行政复议的案件中，结果为纠正的有1件（结果纠正）[1]" in answer.answer
    )

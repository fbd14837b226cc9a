"""Homophone typos put right against the documents' vocabulary (assistant/typos.py)."""

from __future__ import annotations

import pytest

from assistant.typos import FIRST, LAST, corrected, pypinyin_sound, sounds, vocabulary


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("平潭2021年被申请行政复意的有几件？", "平潭2021年被申请行政复议的有几件？"),
        ("不能当场答付的要等多久", "不能当场答复的要等多久"),
        ("我想申情公开一份文件", "我想申请公开一份文件"),
    ],
)
def test_a_homophone_of_a_term_is_put_right(typed, meant):
    assert corrected(typed) == meant


@pytest.mark.parametrize(
    "question",
    [
        "权力机关能不能不公开",  # 权力 is a word of its own, though it sounds like 权利
        "现行政府信息公开条例是从什么时候开始施行的",  # 始施 crosses two words (开始 / 施行)
        "申请的信息其实已经在网上主动公开了",  # 实已: no term
        "平潭2019年有多少件申请是因为机关没有这个信息所以没法提供的",  # 没法 is no typo of 无法
        "How long does an agency have to respond?",
    ],
)
def test_right_words_are_left_alone(question):
    assert corrected(question) == question


def test_the_vocabulary_is_the_glossary_and_the_table_labels():
    terms = vocabulary()
    assert {"行政复议", "答复", "不予公开", "属于国家秘密", "法人或其他组织"} <= set(terms)
    assert all(len(t) >= 2 for t in terms) and list(terms) == sorted(terms, key=lambda t: (-len(t), t))


@pytest.mark.slow
def test_a_typo_gets_the_same_answer_as_the_right_word(corpus_assistant):
    typo = corpus_assistant.ask("平潭2021年被申请行政复意的有几件？")
    assert typo.status == "answered" and "被申请行政复议3件[1]" in typo.answer
    assert typo.citations[0].section == "表四 行政复议"


def test_the_sound_table_is_pypinyins():
    """data/sounds.tsv gives every character the typo check compares the sound pypinyin gives it
    (the installed version; `python -m assistant.typos` writes it again after an upgrade)."""
    table = sounds()
    assert len(table) == LAST - FIRST + 1 == 20992
    assert [i for i, sound in enumerate(table) if sound != pypinyin_sound(chr(FIRST + i))] == []
    assert (table[ord("复") - FIRST], table[ord("意") - FIRST], table[ord("议") - FIRST]) == (
        "fu",
        "yi",
        "yi",
    )
    assert sum(sound == chr(FIRST + i) for i, sound in enumerate(table)) == 68  # no reading: itself

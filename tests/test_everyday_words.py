"""A question word no document uses stands for the question's topic only when it is rare in Chinese
too: 「驾照」 or 「低保」 (nothing here answers them), not 「那个」 or 「打算」, which only say how the
question is put (assistant.answer._rarest, assistant.text.everyday_word)."""

from __future__ import annotations

import pytest

from assistant.text import everyday_word


@pytest.mark.parametrize("word", ["那个", "整个", "告诉", "打算"])
def test_common_words_are_everyday_chinese(word):
    assert everyday_word(word)


@pytest.mark.parametrize("word", ["驾照", "低保", "残疾证", "主管部门", "补正"])
def test_topic_words_are_not(word):
    assert not everyday_word(word)


def test_the_corpus_never_uses_the_framing_words(corpus_assistant):
    store = corpus_assistant.context().store
    assert store.unused_words(["打算", "那个", "驾照", "公开", "补正"]) == {"打算", "那个", "驾照"}


@pytest.mark.parametrize(
    ("question", "source", "section"),
    [
        (
            "小岔乡2022年报里讲了哪些问题，后面打算咋改进？",
            "彭阳县小岔乡人民政府_2022",
            "五、存在的主要问题及改进情况",
        ),
        (
            "平潭2020年信息公开工作有啥问题，下一步打算怎么做",
            "平潭综合实验区管委会_2020",
            "五、存在的主要问题及改进情况 / （一）存在的主要问题",
        ),
    ],
)
def test_a_framing_word_does_not_refuse_the_question(corpus_assistant, question, source, section):
    answer = corpus_assistant.ask(question, [])
    assert answer.status == "answered"
    assert answer.citations[0].source.startswith(source)
    assert answer.citations[0].section == section


@pytest.mark.parametrize(
    "question", ["驾照扣分了去哪里交罚款", "残疾证补办要带什么", "我打算申请低保，要带哪些材料"]
)
def test_a_rare_word_no_document_uses_is_still_refused(corpus_assistant, question):
    assert corpus_assistant.ask(question, []).status == "not_found"

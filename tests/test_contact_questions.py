"""「电话多少」: a question asking for a phone number or an email address goes to the passage of the
agency's report that states one."""

from __future__ import annotations

import pytest

from assistant.retrieval import asked_measure, states_measure


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("小岔乡2022年年报有疑问打什么电话", "contact"),
        ("君山片区的信息公开咨询电话是多少？", "contact"),
        ("What is the phone number for questions about Hongze's 2024 report?", "contact"),
        ("申请书上要写联系方式吗", None),  # names a contact, asks for none
        ("平潭2021年收到多少申请", "count"),
    ],
)
def test_asking_for_a_contact(question, kind):
    assert asked_measure(question) == kind


def test_a_contact_is_a_phone_number_or_an_email_address():
    assert states_measure("电话：0954-7015199。", "contact")
    assert states_measure("电子邮箱：ptgk@163.com", "contact")
    assert not states_measure("本年新收申请70件，2022年1月1日至12月31日", "contact")


@pytest.mark.parametrize(
    ("question", "source", "phone"),
    [
        ("小岔乡2022年年报有疑问打什么电话", "彭阳县小岔乡人民政府_2022", "0954-7015199"),
        ("君山片区的信息公开咨询电话是多少？", "平潭综合实验区君山片区管理局_2022", "0591-23107633"),
    ],
)
def test_a_contact_question_is_answered_with_the_reports_number(corpus_assistant, question, source, phone):
    answer = corpus_assistant.ask(question, [])
    assert answer.status == "answered"
    assert phone in answer.answer
    assert answer.citations[0].source.startswith(source)
    assert phone in answer.citations[0].quote

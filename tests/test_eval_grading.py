"""The grading rules of data/eval/README.md, on plain cases."""

from __future__ import annotations

from assistant.evaluate import grade, holds_number
from assistant.types import Answer, Citation

ITEM = {
    "id": "x",
    "question": "q",
    "expect": {"status": "answered", "numbers": ["0"]},
    "cite": {"source": "彭阳县小岔乡人民政府_2022", "keys": ["不予公开"]},
}


def _answer(text: str, section: str = "表三 （三）不予公开", quote: str = "总计 0") -> Answer:
    return Answer(
        status="answered",
        answer=text,
        citations=[Citation(source="彭阳县小岔乡人民政府_2022.txt", title="t", section=section, quote=quote)],
    )


def test_whole_numbers_only():
    assert holds_number("拒绝0件", "0")
    assert not holds_number("拒绝10件", "0")
    assert not holds_number("收费0.11万元", "0")
    assert holds_number("收费0.11万元", "0.11")


def test_good_answer_passes_both():
    g = grade(ITEM, _answer("不予公开0件"))
    assert g.answer_ok and g.evidence_ok


def test_evidence_needs_the_key_and_the_number():
    assert not grade(ITEM, _answer("不予公开0件", section="表三 （一）予以公开")).evidence_ok
    assert not grade(ITEM, _answer("不予公开0件", quote="总计 5")).evidence_ok


def test_too_many_numbers_fail():
    text = "0 1 2 3 4 5 6 7 8 2022年"
    assert not grade(ITEM, _answer(text)).answer_ok
    assert grade(ITEM, _answer("0 1 2 3 4 5 6 7 2022年")).answer_ok


def test_not_found_is_graded_on_status_only():
    item = {"id": "r", "question": "q", "expect": {"status": "not_found"}}
    assert grade(item, Answer(status="not_found", answer="无")).status_ok
    assert not grade(item, _answer("0")).status_ok

"""One Chinese-numeral parser for headings, items, articles and counts."""

from __future__ import annotations

import re

import pytest

from helpers import REGULATIONS, REPORTS
from ingest.narrative import split_subsections
from ingest.numerals import cn_to_int, to_int
from ingest.tables import ReportRow, Table2Reader
from ingest.template import section_heading


@pytest.mark.parametrize(
    "text, value",
    [
        ("一", 1),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十一", 21),
        ("九十九", 99),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("一千零一", 1001),
        ("两", 2),
        ("两千", 2000),
        ("三万五千", 35000),
        ("〇", 0),
        ("零", 0),
        ("二〇二二", 2022),
        ("56", 56),
    ],
)
def test_chinese_numerals(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "条", "十十", "一二十", "百百"])
def test_not_a_numeral(text):
    assert cn_to_int(text) is None


def test_counts_in_either_script():
    assert to_int("四") == 4
    assert to_int("1,234") == 1234
    assert to_int("903") == 903


def test_headings_items_and_subheadings_read_eleven_as_eleven():
    heading = section_heading("十一、其他需要报告的事项")
    assert heading is not None and heading.printed == 11 and heading.section == 6
    row = ReportRow(["第二十条第（十一）项"], is_paragraph=True)
    assert Table2Reader.item_of(row) == 11
    assert Table2Reader.item_of(ReportRow(["第二十条第（一）项"])) == 1
    parts = split_subsections("（十）第十项。（十一）第十一项的内容。")
    assert [title for title, _ in parts] == ["（十）第十项", "（十一）第十一项的内容"]


def test_regulation_articles_number_one_to_fifty_six_in_order():
    text = (REGULATIONS / "gov_info_disclosure_regulation_2019.txt").read_text(encoding="utf-8")
    numbers = [cn_to_int(m) for m in re.findall(r"^\s*第([一二三四五六七八九十百零]+)条", text, re.M)]
    assert numbers == list(range(1, 57))


def test_counts_in_the_narrative_use_the_same_parser():
    from ingest.narrative import count_sentences

    text = (REPORTS / "平潭综合实验区君山片区管理局_2022.txt").read_text(encoding="utf-8")
    found = [s for s in count_sentences(text) if "调查问卷四次" in s]
    assert len(found) == 1
    assert count_sentences("坚持“两个维护”，落实一个中心。") == []
    assert count_sentences("这是第三次全体会议的决定事项。") == []

"""Agency and place names romanized for English questions by pypinyin in a child process
(assistant/romanize.py), so that a worker holds none of pypinyin's tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant import romanize
from assistant.romanize import in_process, romanized

NAMES = ["君山片区", "小岔", "洪泽区", "重庆", "长沙", "平潭综合实验区"]


def test_the_child_romanizes_as_pypinyin_does_here():
    # 重庆, 长沙: phrase readings (chong, chang), which a character-by-character table would miss
    expected = ["junshanpianqu", "xiaocha", "hongzequ", "chongqing", "changsha", "pingtanzongheshiyanqu"]
    assert romanized(NAMES) == dict(zip(NAMES, expected, strict=True))
    assert in_process(NAMES) == expected


def test_a_failed_child_falls_back_to_this_process(monkeypatch, caplog):
    monkeypatch.setattr(romanize, "_known", {})
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert romanized(["重庆", "小岔"]) == {"重庆": "chongqing", "小岔": "xiaocha"}
    assert "romanizing them here" in caplog.text


def test_a_worker_answering_in_english_never_imports_pypinyin():
    script = (
        "import sys\n"
        "from assistant.query import match_agencies\n"
        "from assistant.named_rules import rule_marks\n"
        "aliases = {'彭阳县小岔乡人民政府': ['彭阳县小岔乡人民政府', '小岔乡', '小岔'],\n"
        "           '淮安市洪泽区人民政府': ['淮安市洪泽区人民政府', '洪泽区', '洪泽']}\n"
        "print(match_agencies('How many requests did Xiaocha township receive in 2022?', aliases)[0])\n"
        "print(sorted(rule_marks('r', '江苏省政府信息公开答复规范', '').places))\n"
        "print('pypinyin' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    ).stdout
    assert out.splitlines() == ["['彭阳县小岔乡人民政府']", "['jiangsu', '江苏', '江苏省']", "False"]


@pytest.mark.parametrize("names", [[], ["重庆", "重庆"]])
def test_nothing_or_the_same_name_twice(names):
    assert romanized(names) == dict.fromkeys(names, "chongqing")

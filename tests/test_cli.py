"""The command line contracts of DESIGN.md: one run of the installed entry point as a user runs it (a
real subprocess), the rest in-process through `assistant.cli.main` (same parser, same commands,
no interpreter start-up per call)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.cli import main
from helpers import DEV_SET, REPORTS

ANSWER_KEYS = {"status", "answer", "citations"}
CITATION_KEYS = {"source", "title", "section", "quote", "url"}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def gongkai(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """`gongkai ARGS` in this process: exit status and what it printed (stdin given as text)."""

    def run(*args: str, stdin: str = "") -> Run:
        capsys.readouterr()  # drop anything printed before this call
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def _entry_point() -> list[str]:
    """The installed console script when there is one, else the module."""
    script = Path(sys.executable).with_name("gongkai")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def test_entry_point_answers_one_question_as_json(bundled_data_dir):
    proc = subprocess.run(
        [
            *_entry_point(),
            "ask",
            "--data-dir",
            str(bundled_data_dir),
            "--json",
            "2022年小岔乡拒绝了多少政府信息公开申请？",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert set(answer) == ANSWER_KEYS
    assert answer["status"] == "answered"
    assert "0件" in answer["answer"]
    assert all(set(c) == CITATION_KEYS for c in answer["citations"])
    assert answer["citations"][0]["source"] == "彭阳县小岔乡人民政府_2022.txt"
    assert "不予公开" in answer["citations"][0]["section"]


def test_ask_json_lines_on_stdin_in_order(bundled_data_dir, gongkai):
    questions = [
        {"question": "平潭综合实验区2021年新收了多少件政府信息公开申请？", "history": []},
        {
            "question": "那2022年呢？",
            "history": [
                {"role": "user", "content": "平潭综合实验区2021年新收了多少件政府信息公开申请？"},
                {"role": "assistant", "content": "70件。"},
            ],
        },
        {"question": "小岔乡的常住人口有多少？"},
    ]
    stdin = "\n".join(json.dumps(q, ensure_ascii=False) for q in questions) + "\n"
    run = gongkai("ask", "--data-dir", str(bundled_data_dir), "--json", stdin=stdin)
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.strip().splitlines()]
    assert [a["status"] for a in answers] == ["answered", "answered", "not_found"]
    assert "70件" in answers[0]["answer"] and "74件" in answers[1]["answer"]
    assert answers[2]["citations"] == []


def test_ask_json_lines_report_a_bad_line_and_go_on(bundled_data_dir, gongkai):
    stdin = "not json\n" + json.dumps({"question": "小岔乡的常住人口有多少？"}, ensure_ascii=False) + "\n"
    run = gongkai("ask", "--data-dir", str(bundled_data_dir), "--json", stdin=stdin)
    assert run.returncode == 0, run.stderr
    bad, good = [json.loads(line) for line in run.stdout.strip().splitlines()]
    assert bad["status"] == "not_found" and bad["answer"].startswith("invalid input line:")
    assert bad["citations"] == []
    assert good["status"] == "not_found" and good["citations"] == []


@pytest.mark.slow  # embeds a whole report
def test_ingest_reports_each_file_and_keeps_going(tmp_path, gongkai):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "a.txt").write_bytes((REPORTS / "平潭综合实验区管委会_2022.txt").read_bytes())
    data = str(tmp_path / "data")
    run = gongkai("ingest", str(tmp_path / "in"), "--data-dir", data, "--quiet")
    assert run.returncode == 0, run.stderr
    assert "added     a.txt  (report, 平潭综合实验区 2022" in run.stdout
    assert "empty.txt: the file is empty" in run.stderr
    again = gongkai("ingest", str(tmp_path / "in" / "a.txt"), "--data-dir", data, "--quiet")
    assert again.stdout.startswith("unchanged a.txt")
    listed = gongkai("list", "--data-dir", data)
    assert listed.stdout.startswith("a.txt\treport\t平潭综合实验区\t2022\t200 facts")
    removed = gongkai("remove", "a.txt", "--data-dir", data)
    assert removed.stdout.strip() == "removed a.txt"


def test_eval_on_the_dev_set_meets_the_targets(bundled_data_dir, gongkai):
    run = gongkai("eval", str(DEV_SET), "--data-dir", str(bundled_data_dir))
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    figures = [float(x) for x in re.findall(r"accuracy (\d\.\d+)", last)]
    assert len(figures) == 3
    answer_acc, evidence_acc, refusal_acc = figures
    assert answer_acc >= 0.95 and evidence_acc >= 0.95 and refusal_acc == 1.0, run.stdout

"""The command line contracts of DESIGN.md, run as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import DEV_SET, REPORTS

ANSWER_KEYS = {"status", "answer", "citations"}
CITATION_KEYS = {"source", "title", "section", "quote", "url"}


def gongkai(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_ask_json_single_question(bundled_data_dir):
    proc = gongkai(
        "ask", "--data-dir", str(bundled_data_dir), "--json", "2022年小岔乡拒绝了多少政府信息公开申请？"
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


def test_ask_json_lines_on_stdin_in_order(bundled_data_dir):
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
    proc = gongkai("ask", "--data-dir", str(bundled_data_dir), "--json", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.strip().splitlines()]
    assert [a["status"] for a in answers] == ["answered", "answered", "not_found"]
    assert "70件" in answers[0]["answer"] and "74件" in answers[1]["answer"]
    assert answers[2]["citations"] == []


def test_ingest_reports_each_file_and_keeps_going(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "a.txt").write_bytes((REPORTS / "平潭综合实验区管委会_2022.txt").read_bytes())
    proc = gongkai("ingest", str(tmp_path / "in"), "--data-dir", str(tmp_path / "data"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "added     a.txt  (report, 平潭综合实验区 2022" in proc.stdout
    assert "empty.txt: the file is empty" in proc.stderr
    again = gongkai("ingest", str(tmp_path / "in" / "a.txt"), "--data-dir", str(tmp_path / "data"), "--quiet")
    assert again.stdout.startswith("unchanged a.txt")
    listed = gongkai("list", "--data-dir", str(tmp_path / "data"))
    assert listed.stdout.startswith("a.txt\treport\t平潭综合实验区\t2022\t200 facts")
    removed = gongkai("remove", "a.txt", "--data-dir", str(tmp_path / "data"))
    assert removed.stdout.strip() == "removed a.txt"


def test_eval_on_the_dev_set_meets_the_targets(bundled_data_dir):
    proc = gongkai("eval", str(DEV_SET), "--data-dir", str(bundled_data_dir))
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    figures = [float(x) for x in __import__("re").findall(r"accuracy (\d\.\d+)", last)]
    assert len(figures) == 3
    answer_acc, evidence_acc, refusal_acc = figures
    assert answer_acc >= 0.95 and evidence_acc >= 0.95 and refusal_acc == 1.0, proc.stdout

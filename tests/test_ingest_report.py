"""The ingest report: what was recognised, printed by `gongkai ingest -v` and shown in the staff area."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.web.admin import _upload_results
from helpers import REPORTS

HONGZE = REPORTS / "淮安市洪泽区人民政府_2024.txt"


@pytest.mark.slow  # embeds a whole report, twice through a new process
def test_ingest_verbose_prints_tables_cells_checks_and_fuzzy_labels(tmp_path):
    typo = tmp_path / "洪泽区_2024_typo.txt"
    typo.write_text(
        HONGZE.read_text(encoding="utf-8").replace("2.其他法律行政法规禁止公开", "2.其他法律行政止公开"),
        encoding="utf-8",
    )
    args = ["ingest", "-v", "--quiet", "--data-dir", str(tmp_path / "data"), str(typo)]
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "表格：表二 10/10，表三 161/161，表四 15/15" in out
    # 不符: the narrative's 17 applications
    assert "数据项：186" in out and "核对：18 项通过，1 项不符" in out
    assert "表三 行 “2.其他法律行政止公开” → “2.其他法律行政法规禁止公开”" in out
    again = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, timeout=600
    )
    assert "unchanged" in again.stdout and "not parsed again" in again.stdout


def test_staff_area_upload_result_shows_the_recognition():
    html = _upload_results(
        [
            {
                "source": "r.pdf",
                "status": "added",
                "kind": "report",
                "agency": "某县",
                "year": 2024,
                "chunks": 3,
                "facts": 10,
                "warnings": ["缺少表三（三、收到和处理政府信息公开申请情况）的统计表"],
                "recognition": ["表格：表二 10/10，表四 15/15", "数据项：25", "近似匹配的标签：0"],
            }
        ]
    )
    assert '<details class="recognition"><summary>表格：表二 10/10，表四 15/15</summary>' in html
    assert "<li>数据项：25</li>" in html
    assert "缺少表三" in html

"""The README stays true: its two commands, its settings table, its CI script."""

from __future__ import annotations

from assistant.config import Settings, settings_table
from helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_exactly():
    start = README.index("<!-- settings-table -->") + len("<!-- settings-table -->")
    end = README.index("<!-- /settings-table -->")
    assert README[start:end].strip() == settings_table().strip()
    for name in Settings.model_fields:
        assert f"GONGKAI_{name.upper()}" in README


def test_ci_runs_the_readme_test_command():
    commands = README.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(commands) == 2
    install, test = commands
    assert install.endswith("app.py") and "pip install" in install
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == test
    assert "pip install --quiet torch==2.13.0 -e '.[test]'" in ci


def test_torch_is_pinned_to_the_cpu_build_on_disk():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"torch==2.13.0"' in pyproject

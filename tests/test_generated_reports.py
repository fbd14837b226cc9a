"""Reports nobody has seen: the official template layout in four formats, with other numbers and blanks.

The code knows the national format, not the corpus files: every figure below comes from the
generator's spec, asked in everyday words, and must come back exact from each format.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import docgen
from assistant.config import Settings
from assistant.evaluate import load_questions
from assistant.service import Assistant
from helpers import DEV_SET, FORMATS

SPEC = docgen.example_spec()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One store per format, each holding the generated report only."""
    folder = tmp_path_factory.mktemp("generated")
    files = {
        "txt": docgen.write_txt(SPEC, folder / "draft.txt"),
        "html": docgen.write_html(SPEC, folder / "page.html", encoding="gb18030"),
        "docx": docgen.write_docx(SPEC, folder / "download(3).docx"),
        "pdf": docgen.write_pdf(SPEC, folder / "report.pdf"),
    }
    assistants = {}
    for fmt, path in files.items():
        assistant = Assistant(Settings(data_dir=folder / f"data-{fmt}"))
        result = assistant.ingest_paths([path])[0]
        assert result.status == "added", (fmt, result.message_en)
        assert (result.kind, result.agency, result.year) == ("report", "青石县白沙镇人民政府", 2023)
        assistants[fmt] = assistant
    return assistants


def _total(row: str) -> float | None:
    return SPEC["table3"][row][6]


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _row(label_end: str) -> str:
    return next(k for k in SPEC["table3"] if k.endswith(label_end))


def _group_total(prefix: str) -> int:
    return int(sum(v[6] or 0 for k, v in SPEC["table3"].items() if prefix in k))


CASES = [
    ("白沙镇2023年新收了多少件政府信息公开申请？", lambda: _n(_total(_row("本年新收政府信息公开申请数量")))),
    ("白沙镇2023年收到多少申请", lambda: _n(_total(_row("本年新收政府信息公开申请数量")))),
    ("白沙镇2023年拒绝了多少申请", lambda: _n(_group_total("（三）不予公开"))),
    ("白沙镇2023年不予公开几件", lambda: _n(_group_total("（三）不予公开"))),
    (
        "白沙镇2023年有多少申请因为本机关不掌握信息无法提供",
        lambda: _n(_total(_row("1.本机关不掌握相关政府信息"))),
    ),
    ("白沙镇2023年予以公开多少件", lambda: _n(_total(_row("（一）予以公开")))),
    (
        "白沙镇2023年律师事务所申请了多少件",
        lambda: _n(SPEC["table3"][_row("本年新收政府信息公开申请数量")][4]),
    ),
    ("白沙镇2023年行政复议多少件", lambda: _n(SPEC["table4"][4])),
    ("白沙镇2023年被起诉了几次", lambda: _n(SPEC["table4"][9] + SPEC["table4"][14])),
    ("白沙镇2023年复议后起诉的行政诉讼有几件", lambda: _n(SPEC["table4"][14])),
    ("白沙镇2023年行政许可处理决定数量是多少", lambda: _n(SPEC["table2"]["行政许可"][0])),
    ("白沙镇2023年行政事业性收费金额是多少", lambda: _n(SPEC["table2"]["行政事业性收费"][0])),
    ("白沙镇2023年结转下年度继续办理多少件", lambda: _n(_total(_row("结转下年度继续办理")))),
]


@pytest.mark.parametrize("fmt", ["txt", "html", "docx", "pdf"])
@pytest.mark.parametrize("question, expected", CASES, ids=[c[0] for c in CASES])
def test_figures_come_back_exact_from_every_format(generated, fmt, question, expected):
    answer = generated[fmt].ask(question)
    assert answer.status == "answered", answer.answer
    numbers = set(re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", re.sub(r"\[\d+\]", "", answer.answer)))
    assert expected() in numbers, (fmt, answer.answer)
    assert expected() in answer.citations[0].quote


@pytest.mark.parametrize("fmt", ["txt", "html", "docx", "pdf"])
def test_blank_is_not_zero(generated, fmt):
    # 科研机构 is blank throughout the generated report; 行政强制 is blank in table 2.
    research = generated[fmt].ask("白沙镇2023年科研机构申请了多少件")
    assert "空白" in research.answer and "0件" not in research.answer
    coercion = generated[fmt].ask("白沙镇2023年行政强制多少件")
    assert "空白" in coercion.answer


def test_a_year_without_report_is_never_answered_with_another_year(generated):
    answer = generated["txt"].ask("白沙镇2022年新收了多少申请")
    assert answer.status == "not_found"
    assert "2023" in answer.answer and _n(_total(_row("本年新收政府信息公开申请数量"))) not in answer.answer


@pytest.fixture(scope="module")
def formats_data_dir(tmp_path_factory, bundled_data_dir):
    """The bundled store with the 平潭 2019, 2021 and 2022 reports taken from their PDF/HTML/DOCX versions."""
    import shutil

    target = tmp_path_factory.mktemp("formats") / "data"
    shutil.copytree(bundled_data_dir, target)
    assistant = Assistant(Settings(data_dir=target))
    for year in (2019, 2021, 2022):
        assert assistant.remove(f"平潭综合实验区管委会_{year}.txt")
    results = assistant.ingest_paths(sorted(FORMATS.glob("平潭综合实验区管委会_*.*")))
    assert [r.status for r in results] == ["added"] * 3, [r.message_en for r in results]
    return target


def test_dev_set_gives_the_same_figures_from_pdf_docx_html(formats_data_dir, corpus_assistant):
    from_formats = Assistant(Settings(data_dir=formats_data_dir))
    for item in load_questions(DEV_SET):
        a = corpus_assistant.ask(item["question"], item.get("history") or [])
        b = from_formats.ask(item["question"], item.get("history") or [])
        assert a.status == b.status, item["id"]
        figures = lambda text: sorted(re.findall(r"\d+(?:\.\d+)?", re.sub(r"\[\d+\]", "", text)))  # noqa: E731
        assert figures(a.answer) == figures(b.answer), (item["id"], a.answer, b.answer)
        for ca, cb in zip(a.citations, b.citations):
            assert Path(ca.source).stem == Path(cb.source).stem, item["id"]

"""Checks across text and tables and across years, on the bundled reports, the agencies' own PDFs
and copies of them with one number changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from assistant.config import Settings
from assistant.crosschecks import all_year_warnings, year_warnings
from assistant.service import Assistant
from ingest.claims import sentence_claims
from ingest.crosschecks import NARRATIVE_RULE, narrative_checks, year_checks
from ingest.pipeline import parse_bytes, parse_file

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "corpus" / "reports"
REAL = ROOT.parent / "shared" / "corpus" / "real"
PT = "平潭综合实验区管委会_{}.txt"
HONGZE = "淮安市洪泽区人民政府_2024.txt"
HONGZE_SENTENCE = "2024年，区政府办代表区政府受理政府信息公开申请17件，均已在法定期限内予以答复。"
TOKEN = "crosscheck-token"


def _variant(name: str, old: str, new: str, as_name: str | None = None):
    text = (REPORTS / name).read_text(encoding="utf-8")
    assert old in text, old
    return parse_bytes(text.replace(old, new).encode("utf-8"), as_name or name)


def _narrative(parsed):
    return narrative_checks(parsed.chunks, parsed.facts, parsed.document.year)


def _summary(checks):
    return [(c.claim.what, c.claim.shown, c.ok) for c in checks]


# --------------------------------------------------------------------------- narrative against tables


def test_pingtan_2022_narrative_restates_its_tables():
    parsed = parse_file(REPORTS / PT.format(2022))
    checks = _narrative(parsed)
    assert _summary(checks) == [
        ("现行有效行政规范性文件", "698件", True),
        ("本年制发的行政规范性文件", "88件", True),
        ("收到的申请", "75件", True),
        ("收到的申请（自然人）", "72件", True),
        ("收到的申请（商业企业）", "3件", True),
        ("行政诉讼", "1件", True),
        ("行政复议", "2件", True),
    ]
    # 收到75件 is 一 (74) + 二 (1 carried over); 自然人72件 is 71 + 1
    received, natural = checks[2], checks[3]
    assert [(r.label, v) for r, v, _ in received.compared] == [
        ("表三“一、本年新收”总计", 74),
        ("表三“一、本年新收”+“二、上年结转”总计", 75),
    ]
    assert [v for _, v, _ in natural.compared] == [71, 72]
    assert received.result().message_zh.endswith(
        "收到的申请75件，与表三“一、本年新收”+“二、上年结转”总计75件相符"
    )
    assert all(c.ok for c in parsed.checks)


@pytest.mark.parametrize("name", sorted(p.name for p in REPORTS.glob("*.txt")))
def test_no_false_warning_on_the_bundled_reports(name):
    failed = [c.claim.shown for c in _narrative(parse_file(REPORTS / name)) if not c.ok]
    assert failed == (["17件"] if name == HONGZE else [])


def test_pingtan_2021_received_done_and_carried():
    checks = _narrative(parse_file(REPORTS / PT.format(2021)))
    assert _summary(checks) == [
        ("收到的申请", "70件", True),
        ("办结的申请", "69件", True),
        ("结转下年度的申请", "1件", True),
    ]
    assert checks[1].compared[0][0].label == "表三“三（七）总计”总计"


def test_hongze_2024_narrative_17_against_table_95():
    parsed = parse_file(REPORTS / HONGZE)
    (failed,) = [c for c in parsed.checks if not c.ok]
    assert (failed.rule, failed.found, failed.expected) == (NARRATIVE_RULE, 17, 95)
    assert failed.row == "正文：一、总体情况 / （二）依申请公开情况"
    assert failed.message_zh == (
        f"正文（一、总体情况 / （二）依申请公开情况）“{HONGZE_SENTENCE}”中的17件（收到的申请）与统计表不符："
        "表三“一、本年新收”总计为95件；表三“一、本年新收”+“二、上年结转”总计为95件"
        "（正文所述可能只是一个机关的数字；如是，请写明口径）"
    )


def test_one_number_changed_in_the_narrative_or_the_table():
    received = "全区收到政府信息公开申请75件"
    (failed,) = [
        c for c in _narrative(_variant(PT.format(2022), received, "全区收到政府信息公开申请76件")) if not c.ok
    ]
    assert failed.claim.value == 76 and "全区收到政府信息公开申请76件" in failed.claim.sentence
    assert [v for _, v, _ in failed.compared] == [74, 75]

    stock = "现行有效行政规范性文件698件"
    (failed,) = [
        c for c in _narrative(_variant(PT.format(2022), stock, "现行有效行政规范性文件393件")) if not c.ok
    ]
    assert failed.result().message_zh.endswith(
        "中的393件（现行有效行政规范性文件）与统计表不符：表二“行政规范性文件”现行有效件数为698件；"
        "表二“规章”+“行政规范性文件”现行有效件数为698件"
    )

    # the table changes, the narrative stays: 办结69件 against （七）总计 70
    row = "三、本年度办理结果 / （七）总计\t63\t0\t0\t2\t0\t4\t69"
    changed = _variant(PT.format(2021), row, row[:-2] + "70")
    failed = [c for c in _narrative(changed) if not c.ok]
    assert [(c.claim.shown, [v for _, v, _ in c.compared]) for c in failed] == [("69件", [70])]


@pytest.mark.parametrize(
    "sentence, year, expected",
    [
        # the issue's department: 依申请公开信息数317条 read as the applications' total
        ("本年度依申请公开信息数317条。", 2023, [("政府信息公开申请", 317.0)]),
        ("2022年共收到政府信息公开申请80件，同比增加5件。", 2022, [("收到的申请", 80.0)]),
        ("其中网上申请60件、信函申请10件。", 2022, []),
        ("2021年收到政府信息公开申请70件。", 2022, []),
        ("受理各类群众诉求259起。", 2022, []),
        ("收到涉及征地拆迁的政府信息公开申请30件。", 2022, []),
        ("主动公开政府信息14571条，其中行政许可类信息40条。", 2022, []),
        ("经清理，拟修改规范性文件3件。", 2022, []),
        ("全年收取政府信息公开信息处理费0元。", 2022, []),
        ("全年行政事业性收费9116.36万元。", 2022, [("行政事业性收费金额（万元）", 9116.36)]),
        (
            "共办理行政处罚决定2113件，行政许可10690件。",
            2022,
            [("行政处罚决定", 2113.0), ("行政许可决定", 10690.0)],
        ),
    ],
)
def test_what_a_sentence_claims(sentence, year, expected):
    claims = sentence_claims(sentence, "一、总体情况 / （二）依申请公开情况", year)
    assert [(c.what, c.value) for c in claims] == expected


# --------------------------------------------------------------------------- the agencies' own PDFs


def _real(name: str):
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return parse_file(path)


def test_huaian_2024_pdf_narrative_restates_tables_3_and_4():
    checks = _narrative(_real("淮安市人民政府_2024.pdf"))
    assert [(c.claim.what, c.claim.value) for c in checks] == [
        ("本年制发的规章", 1),
        ("收到的申请", 3119),
        ("办结的申请", 3050),
        ("上年结转的申请", 34),
        ("结转下年度的申请", 103),
        ("行政复议", 351),
        ("行政复议（结果维持）", 72),
        ("行政复议（结果纠正）", 64),
        ("行政复议（其他结果）", 178),
        ("行政复议（尚未审结）", 37),
        ("行政诉讼", 46),
        ("行政诉讼（结果维持）", 25),
        ("行政诉讼（结果纠正）", 5),
        ("行政诉讼（其他结果）", 9),
        ("行政诉讼（尚未审结）", 7),
    ]
    assert all(c.ok for c in checks)
    # 行政诉讼46件 is 未经复议直接起诉 26 + 复议后起诉 20
    assert checks[10].compared[0][1] == 46 and [c.row_key for c in checks[10].cells] == [
        "诉讼.直接",
        "诉讼.复议后",
    ]


def test_hongze_pdfs_2023_and_2024():
    h23, h24 = _real("淮安市洪泽区人民政府_2023.pdf"), _real("淮安市洪泽区人民政府_2024.pdf")
    assert _summary(_narrative(h23)) == [("收到的申请", "21件", True)]
    assert _summary(_narrative(h24)) == [("收到的申请", "17件", False)]
    across = year_checks(h23.facts, h24.facts, "2023年报告", "2024年报告")
    assert across and all(c.ok for c in across)
    stock = next(c for c in across if c.row == "表二 行政规范性文件 现行有效件数")
    assert stock.message_zh == (
        "表二“行政规范性文件”：2024年报告现行有效件数为8件，2023年报告现行有效件数5件 + 本年制发3件"
        " − 本年废止0件 = 8件，相符"
    )


# --------------------------------------------------------------------------- one year against the next


def test_pingtan_consecutive_years():
    facts = {y: parse_file(REPORTS / PT.format(y)).facts for y in (2019, 2020, 2021, 2022)}
    for earlier, later in ((2020, 2021), (2021, 2022)):
        checks = year_checks(facts[earlier], facts[later], f"{earlier}年报告", f"{later}年报告")
        assert checks and all(c.ok for c in checks), [c.message_zh for c in checks if not c.ok]
    carried = year_checks(facts[2021], facts[2022], "2021年报告", "2022年报告")
    assert any(
        c.message_zh
        == "表三自然人列：2022年报告“二、上年结转”为1件，2021年报告“四、结转下年度继续办理”为1件，相符"
        for c in carried
    )
    assert any(c.row == "表二 行政规范性文件 现行有效件数" and c.expected == 665 + 88 - 55 for c in carried)
    # 2019 trial format: 上一年项目数量 follow, 规范性文件 89 + 77 = 166; 规章 0 + 0 new but 7 in 2020
    trial = year_checks(facts[2019], facts[2020], "2019年报告", "2020年报告")
    assert sum(c.rule == "项目数量" and c.ok for c in trial) == 5
    assert [c.message_zh for c in trial if not c.ok] == [
        "表二“规章”：2020年报告对外公开总数量为7件，多于2019年报告对外公开总数量0件与本年新公开数量0件之和0件"
        "（只有本年新公开的文件能使总数增加）"
    ]


def test_carry_over_changed_in_a_copy():
    row = "二、上年结转政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1"
    later = _variant(PT.format(2022), row, "二、上年结转政府信息公开申请数量\t2\t0\t0\t0\t0\t0\t2")
    earlier = parse_file(REPORTS / PT.format(2021))
    failed = [c for c in year_checks(earlier.facts, later.facts, "2021年报告", "2022年报告") if not c.ok]
    assert [c.message_zh for c in failed] == [
        "表三自然人列：2022年报告“二、上年结转”为2件，2021年报告“四、结转下年度继续办理”为1件，二者应相等",
        "表三总计列：2022年报告“二、上年结转”为2件，2021年报告“四、结转下年度继续办理”为1件，二者应相等",
    ]


# --------------------------------------------------------------------------- store, answers, checker


def test_year_checks_in_the_store_shown_on_both(corpus_assistant):
    catalog = corpus_assistant.store.catalog
    by_source = {d.source: d for d in catalog.documents()}
    warnings = all_year_warnings(catalog)
    rule = "表二“规章”：2020年报告（平潭综合实验区管委会_2020.txt）对外公开总数量为7件"
    for year in (2019, 2020):
        doc = by_source[PT.format(year)]
        assert [w for w in warnings[doc.doc_id]] == year_warnings(catalog, doc)
        assert len(warnings[doc.doc_id]) == 1 and warnings[doc.doc_id][0].startswith(rule)
    assert not warnings.get(by_source[PT.format(2022)].doc_id)
    listed = {d["source"]: d["warnings"] for d in corpus_assistant.documents()}
    assert any(w.startswith(rule) for w in listed[PT.format(2019)])


def test_answer_names_what_the_figure_contradicts(corpus_assistant):
    answer = corpus_assistant.ask("洪泽区2024年收到多少政府信息公开申请？")
    lines = answer.answer.splitlines()
    assert lines[0] == "2024年淮安市洪泽区人民政府收到政府信息公开申请95件[1]。"
    assert lines[1] == (
        "注意：2024年报告正文称“区政府办代表区政府受理政府信息公开申请17件”（收到的申请），"
        "与表三“一、本年新收”总计95件、表三“一、本年新收”+“二、上年结转”总计95件均不符[1][2]；以上按报告原文提供。"
    )
    assert [(c.source, c.section) for c in answer.citations] == [
        (HONGZE, "表三 一、本年新收政府信息公开申请数量"),
        (HONGZE, "一、总体情况 / （二）依申请公开情况"),
    ]
    assert answer.citations[1].quote == HONGZE_SENTENCE
    # a figure no check flags gets no such line
    clean = corpus_assistant.ask("平潭2022年收到多少政府信息公开申请？")
    assert "注意" not in clean.answer and len(clean.citations) == 1


def test_ingest_after_the_previous_year_warns_and_answers_cite_both(copied_data_dir, tmp_path):
    assistant = Assistant(Settings(data_dir=copied_data_dir))
    text = (REPORTS / PT.format(2022)).read_text(encoding="utf-8")
    row = "二、上年结转政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1"
    changed = tmp_path / PT.format(2022)
    changed.write_text(
        text.replace(row, "二、上年结转政府信息公开申请数量\t2\t0\t0\t0\t0\t0\t2"), encoding="utf-8"
    )
    (result,) = assistant.ingest_paths([changed])
    message = (
        "表三总计列：2022年报告（平潭综合实验区管委会_2022.txt）“二、上年结转”为2件，"
        "2021年报告（平潭综合实验区管委会_2021.txt）“四、结转下年度继续办理”为1件，二者应相等"
    )
    assert result.status == "replaced" and message in result.warnings
    listed = {d["source"]: d["warnings"] for d in assistant.documents()}
    assert message in listed[PT.format(2021)] and message in listed[PT.format(2022)]

    answer = assistant.ask("平潭2022年上年结转了多少申请？")
    assert f"注意：{message}[1][2]；以上按报告原文提供。" in answer.answer
    assert answer.citations[1].source == PT.format(2021)
    assert answer.citations[1].quote.startswith("四、结转下年度继续办理：自然人 1")

    assistant.remove(PT.format(2021))  # the check goes with the report it needs
    left = {d["source"]: d["warnings"] for d in assistant.documents()}[PT.format(2022)]
    assert message not in left and not any("2021年报告" in w for w in left)
    # what stays is the copy's own contradictions: 一 + 二 is now 76, against 75 in （七）总计 and the text
    assert any(w.startswith("表三总计列：一（本年新收）+ 二（上年结转）= 76") for w in left)


def test_draft_checker_against_itself_and_the_stored_reports(corpus_assistant):
    report = corpus_assistant.check_draft("草稿.txt", _draft_2022().encode("utf-8"))
    failed = {(c.rule, c.row, c.found, c.expected) for c in report.checks if not c.ok}
    assert ("上年结转", "表三 二、上年结转 总计列", 0, 1) in failed
    assert ("上年结转", "表三 二、上年结转 自然人列", 0, 1) in failed
    assert any(rule == NARRATIVE_RULE and found == 77 for rule, _, found, _ in failed)
    assert "草稿.txt" not in {d.source for d in corpus_assistant.store.documents()}
    message = next(c.message_zh for c in report.checks if not c.ok and c.row == "表三 二、上年结转 总计列")
    assert message == (
        "表三总计列：2022年草稿（草稿.txt）“二、上年结转”为0件，"
        "2021年报告（平潭综合实验区管委会_2021.txt）“四、结转下年度继续办理”为1件，二者应相等"
    )


def _draft_2022() -> str:
    """平潭 2022 with nothing carried over from 2021 (which carried 1) and 77 applications in the text."""
    text = (REPORTS / PT.format(2022)).read_text(encoding="utf-8")
    row = "二、上年结转政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1"
    draft = text.replace(row, "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0")
    return draft.replace("全区收到政府信息公开申请75件", "全区收到政府信息公开申请77件")


def test_gongkai_check_command(copied_data_dir, tmp_path):
    path = tmp_path / "草稿.txt"
    path.write_text(_draft_2022(), encoding="utf-8")
    message = (
        "表三总计列：2022年草稿（草稿.txt）“二、上年结转”为0件，"
        "2021年报告（平潭综合实验区管委会_2021.txt）“四、结转下年度继续办理”为1件，二者应相等"
    )
    command = [sys.executable, "-m", "assistant.cli", "check", "--data-dir", str(copied_data_dir)]
    proc = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert f"  不符 [上年结转] 表三 二、上年结转 总计列：{message}" in proc.stdout.splitlines()
    clean = subprocess.run(
        [*command, str(REPORTS / PT.format(2021))], capture_output=True, text=True, timeout=300
    )
    assert clean.returncode == 0 and "0 个格式问题，0 处数字不符" in clean.stdout


def test_staff_area_checker_lists_the_warnings(corpus_assistant):
    if str(ROOT) not in sys.path:  # app.py lives at the top level
        sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app(
        Settings(data_dir=corpus_assistant.settings.data_dir, admin_token=TOKEN), corpus_assistant
    )
    client = TestClient(app, raise_server_exceptions=False)
    client.post("/admin/login", data={"token": TOKEN})
    draft = (REPORTS / HONGZE).read_bytes()
    page = client.post("/admin/check", files={"file": ("洪泽草稿.txt", draft, "text/plain")})
    assert page.status_code == 200
    assert "受理政府信息公开申请17件" in page.text and "表三“一、本年新收”总计为95件" in page.text


def test_consistency_question_lists_narrative_and_year_contradictions(corpus_assistant):
    hongze = corpus_assistant.ask("洪泽区2024年的报告数据有问题吗？")
    assert "中的17件（收到的申请）与统计表不符" in hongze.answer
    assert [(c.source, c.quote) for c in hongze.citations] == [(HONGZE, HONGZE_SENTENCE)]
    pingtan = corpus_assistant.ask("平潭2019年的报告数据有问题吗？")
    assert pingtan.answer.startswith(
        "平潭综合实验区2019年报告：表二“规章”：2020年报告（平潭综合实验区管委会_2020.txt）"
    )
    assert [(c.source, c.quote) for c in pingtan.citations] == [
        (PT.format(2020), "第二十条第（一）项 / 规章：本年新制作数量 0；本年新公开数量 0；对外公开总数量 7")
    ]

"""Series, rankings, charts and table cards on the bundled corpus: exact figures, years and citations.

平潭综合实验区 (管委会) holds four reports (2019–2022); 2022 also has 君山片区 and 小岔乡; the
2020 report breaks its own rule for 表三 （七）总计 (result rows add to 27, 总计 says 21).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import gradio as gr
import pytest
from starlette.testclient import TestClient

from app import create_app
from assistant.config import Settings
from assistant.facts import figure
from assistant.lexicon import Quantity
from assistant.series import figure_series
from assistant.web.charts import chart_kind, series_frame, series_spec
from assistant.web.render import quote_table, render_answer_content, render_citation

PINGTAN = "平潭综合实验区"
PINGTAN_FILES = [f"平潭综合实验区管委会_{y}.txt" for y in (2019, 2020, 2021, 2022)]


def points(answer) -> list[tuple[int, str, float | None]]:
    return [(p.year, p.agency, p.value) for p in answer.series or []]


def test_review_counts_over_the_years_are_a_series(corpus_assistant):
    answer = corpus_assistant.ask("平潭这几年被行政复议的次数有什么变化？")
    assert points(answer) == [(2019, PINGTAN, 0), (2020, PINGTAN, 0), (2021, PINGTAN, 3), (2022, PINGTAN, 2)]
    assert [p.label for p in answer.series] == ["行政复议"] * 4
    assert [p.source for p in answer.series] == PINGTAN_FILES
    assert [c.source for c in answer.citations] == PINGTAN_FILES  # every point is cited
    assert "总计 3" in answer.citations[2].quote and "总计 2" in answer.citations[3].quote
    assert chart_kind(answer.series) == "line"


def test_new_applications_over_a_range_of_years(corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区2019到2022年每年收到多少政府信息公开申请？")
    assert points(answer) == [
        (2019, PINGTAN, 23),
        (2020, PINGTAN, 21),
        (2021, PINGTAN, 70),
        (2022, PINGTAN, 74),
    ]
    assert "总计 70" in answer.citations[2].quote


def test_a_single_figure_has_no_series(corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区2021年收到多少政府信息公开申请？")
    assert answer.series is None
    assert "series" not in answer.model_dump()


def test_a_group_figure_is_a_series_of_its_rows(corpus_assistant):
    answer = corpus_assistant.ask("平潭综合实验区2021年拒绝了多少政府信息公开申请？")
    assert [(p.label, p.value) for p in answer.series] == [
        ("1.属于国家秘密", 0),
        ("2.其他法律行政法规禁止公开", 0),
        ("3.危及“三安全一稳定”", 0),
        ("4.保护第三方合法权益", 0),
        ("5.属于三类内部事务信息", 1),
        ("6.属于四类过程性信息", 0),
        ("7.属于行政执法案卷", 6),
        ("8.属于行政查询事项", 1),
    ]
    assert chart_kind(answer.series) == "bar"
    assert "7.属于行政执法案卷 总计 6" in answer.citations[0].quote


RESULTS = ["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"]


def test_the_results_of_one_report_are_a_bar_chart_over_its_result_rows(corpus_assistant):
    answer = corpus_assistant.ask("平潭2021年的申请办理结果是怎样的？")
    assert answer.answer == (
        "2021年平潭综合实验区办结政府信息公开申请69件[1]，办理结果如下：\n"
        "予以公开（全部公开）30件[2]；\n部分公开（公开一部分）5件[3]；\n不予公开（拒绝公开）8件[4]；\n"
        "无法提供（信息无法提供）25件[5]；\n不予处理（未作为信息公开申请处理）0件[6]；\n其他处理1件[7]。"
    )
    assert [c.section for c in answer.citations] == [
        "表三 三、本年度办理结果 / （七）总计",
        "表三 三、本年度办理结果 / （一）予以公开",
        "表三 三、本年度办理结果 / （二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "表三 三、本年度办理结果 / （三）不予公开",
        "表三 三、本年度办理结果 / （四）无法提供",
        "表三 三、本年度办理结果 / （五）不予处理",
        "表三 三、本年度办理结果 / （六）其他处理",
    ]
    assert answer.citations[0].quote.endswith("总计 69")
    assert answer.citations[4].quote.endswith("3项合计：25件")
    assert [(p.label, p.value, p.flagged) for p in answer.series] == [
        (label, value, False) for label, value in zip(RESULTS, [30, 5, 8, 25, 0, 1])
    ]
    assert {(p.agency, p.year) for p in answer.series} == {(PINGTAN, 2021)}
    assert chart_kind(answer.series) == "bar"
    spec = series_spec(answer.series)
    assert spec["title"] == "平潭综合实验区2021年" and spec["layer"][0]["encoding"]["x"]["field"] == "项目"
    assert spec["layer"][0]["encoding"]["x"]["sort"] == RESULTS
    # The total alone is still one figure, without a chart.
    total = corpus_assistant.ask("平潭2021年办理结果总计多少")
    assert total.answer == "2021年平潭综合实验区办结政府信息公开申请69件[1]。" and total.series is None


def test_the_results_of_the_flagged_report_are_marked(corpus_assistant):
    answer = corpus_assistant.ask("平潭2020年各类办理结果分别有多少件")
    assert [(p.label, p.value) for p in answer.series] == list(zip(RESULTS, [7, 6, 0, 7, 3, 4]))
    assert all(p.flagged for p in answer.series)  # they add to 27 where （七）总计 says 21
    assert answer.answer.splitlines()[0] == "2020年平潭综合实验区办结政府信息公开申请21件[1]，办理结果如下："
    assert "注意：平潭综合实验区2020年报告表三总计列的数字彼此不符" in answer.answer


def test_which_agency_received_most_in_2022(corpus_assistant):
    answer = corpus_assistant.ask("2022年各片区谁收到的申请最多？")
    assert answer.status == "answered"
    lines = answer.answer.splitlines()
    assert lines[0] == "2022年新收政府信息公开申请最多的是平潭综合实验区（74件）。"
    assert "名称含“片区”的机构只有平潭综合实验区君山片区管理局" in lines[1]
    assert lines[3] == "1. 平潭综合实验区2022年 74件[1]"  # the table path is in the source card
    assert [c.source for c in answer.citations] == [
        "平潭综合实验区管委会_2022.txt",
        "平潭综合实验区君山片区管理局_2022.txt",
        "彭阳县小岔乡人民政府_2022.txt",
    ]
    assert [(p.agency, p.value) for p in answer.series] == [
        (PINGTAN, 74),
        ("平潭综合实验区君山片区管理局", 0),
        ("彭阳县小岔乡人民政府", 0),
    ]
    assert chart_kind(answer.series) == "bar"


def test_which_year_had_most_reviews(corpus_assistant):
    answer = corpus_assistant.ask("哪一年复议最多？")
    lines = answer.answer.splitlines()
    assert lines[0] == "平潭综合实验区行政复议2021年最多（3件）。"
    assert [line.split(" ")[1] for line in lines[2:6]] == ["平潭综合实验区2021年", "平潭综合实验区2022年"] + [
        "平潭综合实验区2019年",
        "平潭综合实验区2020年",
    ]
    assert [c.source for c in answer.citations][:2] == PINGTAN_FILES[2:4]
    assert [p.year for p in answer.series] == [2019, 2020, 2021, 2022]  # the chart runs over the years


def test_two_agencies_compared(corpus_assistant):
    answer = corpus_assistant.ask("小岔乡和平潭2022年的不予公开比一比")
    assert (
        answer.answer.splitlines()[0]
        == "2022年不予公开：平潭综合实验区（4件）多于彭阳县小岔乡人民政府（0件）。"
    )
    assert [(p.agency, p.value) for p in answer.series] == [(PINGTAN, 4), ("彭阳县小岔乡人民政府", 0)]
    assert answer.citations[1].source == "彭阳县小岔乡人民政府_2022.txt"
    assert "8项合计：0件" in answer.citations[1].quote


def test_fewest_and_the_flagged_report(corpus_assistant):
    answer = corpus_assistant.ask("平潭哪一年办结的申请最少？")
    assert answer.answer.splitlines()[0] == "平潭综合实验区本年度办理结果总计2020年最少（21件）。"
    assert [(p.year, p.value, p.flagged) for p in answer.series] == [
        (2019, 23, False),
        (2020, 21, True),  # 2020's result rows add to 27: served as published, marked
        (2021, 69, False),
        (2022, 75, False),
    ]
    assert "2020年报告表三总计列的数字彼此不符" in answer.answer
    frame = series_frame(answer.series)
    assert frame.loc[frame["年度"] == "2020", "标注"].item() != ""


def test_a_blank_cell_is_a_gap_not_a_zero(corpus_assistant):
    """A report that left 总计 and one applicant cell blank: the point is None, the line breaks there."""
    store = corpus_assistant.store
    docs = {d.source: d for d in store.documents()}
    quantity = Quantity("表三", "一", "新收政府信息公开申请")
    figures = []
    for source in PINGTAN_FILES:
        facts = store.catalog.facts(docs[source].doc_id)
        if source.endswith("2021.txt"):
            blank = {"总计", "自然人"}
            facts = [
                replace(f, value=None, raw="") if f.row_key == "一" and f.column in blank else f
                for f in facts
            ]
        figures.append(figure(docs[source], facts, quantity, None, ""))
    series = figure_series(figures, [False] * 4)
    assert [p.value for p in series] == [23, 21, None, 74]
    frame = series_frame(series)
    assert frame["段"].nunique() == 2  # two line segments: 2019–2020, then 2022 after the blank
    spec = series_spec(series)
    data = next(iter(spec["datasets"].values()))
    assert [row["数值"] for row in data] == [23, 21, None, 74]  # null, never 0
    assert [row["显示"] for row in data][2] == "空白（报告未填写）"


def test_chart_in_the_chat_message(corpus_assistant):
    answer = corpus_assistant.ask("平潭这几年被行政复议的次数有什么变化？")
    content = render_answer_content(answer)
    assert isinstance(content, list) and content[1]["component"] == "plot"
    assert "2021年平潭综合实验区被申请行政复议3件[3]" in content[0] and 'class="gk-cite"' in content[2]
    spec = json.loads(content[1]["value"]["plot"])
    assert content[1]["value"]["type"] == "altair"
    assert spec["title"] == "平潭综合实验区行政复议（历年）"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "年度"
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == ["2019", "2020", "2021", "2022"]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "行政复议"
    assert [row["数值"] for row in spec["datasets"]["series"]] == [0, 0, 3, 2]
    with gr.Blocks():
        chatbot = gr.Chatbot()
    shown = chatbot.postprocess([{"role": "assistant", "content": content}]).model_dump()
    assert [part["type"] for part in shown[0]["content"]] == ["text", "component", "text"]
    single = corpus_assistant.ask("平潭综合实验区2021年收到多少政府信息公开申请？")
    assert isinstance(render_answer_content(single), str)


def test_table_row_card_has_header_and_applicant_columns(corpus_assistant):
    citation = corpus_assistant.ask("平潭综合实验区2021年收到多少政府信息公开申请？").citations[0]
    table = quote_table(citation.quote)
    assert table.header == [
        "",
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    assert table.rows == [["一、本年新收政府信息公开申请数量", "64", "0", "0", "2", "0", "4", "70"]]
    card = render_citation(1, citation)
    assert "<th>法律服务机构</th>" in card and "<td>70</td>" in card
    assert f'href="{citation.url}"' in card and 'target="_blank"' in card


def test_article_card_names_chapter_and_number(corpus_assistant):
    citation = corpus_assistant.ask("申请公开政府信息要收费吗？").citations[0]
    card = render_citation(1, citation)
    assert citation.section == "第三章 主动公开 / 第二十条"
    assert '<span class="gk-chapter">第三章 主动公开</span> · <b class="gk-article">第二十条</b>' in card


@pytest.fixture(scope="module")
def api(corpus_assistant) -> TestClient:
    settings = Settings(data_dir=corpus_assistant.settings.data_dir, log_days=0)
    return TestClient(create_app(settings, corpus_assistant))


def test_series_in_the_api_and_its_schema(api):
    body = api.post("/api/ask", json={"question": "哪一年复议最多？"}).json()
    assert body["series"][2] == {
        "agency": PINGTAN,
        "year": 2021,
        "label": "行政复议",
        "value": 3,
        "source": "平潭综合实验区管委会_2021.txt",
        "flagged": False,
    }
    single = api.post("/api/ask", json={"question": "平潭综合实验区2021年收到多少政府信息公开申请？"}).json()
    assert "series" not in single
    schema = api.get("/openapi.json").json()["components"]["schemas"]
    assert set(schema["SeriesPoint"]["properties"]) == {
        "agency",
        "year",
        "label",
        "value",
        "source",
        "flagged",
    }
    assert "url" in schema["Citation"]["properties"]


def test_series_in_cli_json(bundled_data_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--data-dir", str(bundled_data_dir), "--json"],
        input=json.dumps({"question": "平潭这几年被行政复议的次数有什么变化？"}, ensure_ascii=False) + "\n",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout.strip().splitlines()[0])
    assert [(p["year"], p["value"]) for p in answer["series"]] == [(2019, 0), (2020, 0), (2021, 3), (2022, 2)]
    assert answer["citations"][0]["url"].startswith("/documents/")

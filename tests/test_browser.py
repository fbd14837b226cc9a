"""The real app in a real headless Chromium: a citizen's question, the widget on a portal page, the staff area.

One uvicorn server per module (real Assistant on a copy of the bundled, already-ingested data dir), a
plain http.server for the portal page, Playwright's sync API driving Debian's /usr/bin/chromium.
Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from webfixtures import ServerThread, StaticPageServer, write_report

from app import create_app
from assistant.config import Settings
from assistant.service import Assistant

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "corpus" / "reports"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token"
XIAOCHA = "彭阳县小岔乡人民政府_2022.txt"
ANSWER_TIMEOUT_MS = 60_000

if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(bundled_data_dir, tmp_path_factory):
    """The app on 127.0.0.1:<free port>, over a private copy of the bundled data dir, staff area on."""
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, rate_limit_per_minute=100)
    with ServerThread(create_app(settings, Assistant(settings))) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def ask(scope, question: str, expected_cards: int) -> None:
    """Type a question into the chat (a page or an iframe) and wait for its answer's source cards."""
    scope.locator("#gk-question textarea").fill(question)
    scope.locator("#gk-send").click()
    scope.locator("details.gk-cite").nth(expected_cards - 1).wait_for(timeout=ANSWER_TIMEOUT_MS)


def test_citizen_asks_and_sees_answer_with_sources(server, page):
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("textarea")
    ask(page, "2022年小岔乡拒绝了多少政府信息公开申请？", 1)

    bot = page.locator('#gk-chat [data-testid="bot"]').last
    text = bot.inner_text()
    # Plain words first; the table path is in the source card's summary, not in the answer text.
    answer_text = bot.locator("p").first.inner_text()
    assert answer_text.startswith("2022年彭阳县小岔乡人民政府没有拒绝过政府信息公开申请：不予公开0件[1]。")
    assert "表三" not in answer_text and "项合计" not in answer_text
    assert "0" in text and "不予公开" in text
    card = bot.locator("details.gk-cite").first
    assert XIAOCHA in card.locator("summary").inner_text()
    card.locator("summary").click()
    assert "8项合计：0件" in card.inner_text()  # the eight reasons, as a table of their 总计 cells
    assert card.locator("table.gk-cite-table td").all_inner_texts() == ["0"] * 8
    page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)

    # HTML in a question is shown as text and never runs.
    page.locator("#gk-question textarea").fill("<script>alert(1)</script><img src=x onerror=alert(2)>")
    page.locator("#gk-send").click()
    user = page.locator('#gk-chat [data-testid="user"]').last
    user.wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('#gk-chat [data-testid=\"bot\"]').length >= 2",
        timeout=ANSWER_TIMEOUT_MS,
    )
    assert "<script>alert(1)</script>" in user.inner_text()
    assert page.locator("#gk-chat script, #gk-chat img[src='x']").count() == 0
    assert page.dialogs == []


def test_widget_on_a_portal_page_opens_the_scoped_chat(server, page):
    portal = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>彭阳县小岔乡人民政府门户</title></head>'
        '<body style="font-family:sans-serif;margin:40px"><h1>彭阳县小岔乡人民政府</h1>'
        "<p>政府信息公开专栏（测试门户页面）</p>"
        f'<script src="{server.url}/widget.js" data-agency="小岔乡"></script></body></html>'
    )
    with StaticPageServer(portal) as site:
        page.goto(site.url, wait_until="domcontentloaded")
        button = page.get_by_role("button", name="政务问答")
        button.click()
        frame_element = page.locator("#gongkai-widget-frame")
        frame_element.wait_for()
        src = frame_element.get_attribute("src")
        assert src.startswith(server.url + "/?") and "embed=1" in src and "agency=" in src

        chat = page.frame_locator("#gongkai-widget-frame")
        chat.locator("textarea").first.wait_for(timeout=30_000)
        agency = chat.locator("#gk-agency input")
        page.wait_for_timeout(500)
        assert agency.input_value() == "彭阳县小岔乡人民政府"  # scope from data-agency, via the URL
        assert not chat.locator("#gk-header").is_visible()  # embed=1: compact

        ask(chat, "2022年拒绝了多少申请？", 1)
        bot = chat.locator('#gk-chat [data-testid="bot"]').last
        assert "0" in bot.inner_text()
        assert XIAOCHA in bot.locator("details.gk-cite summary").first.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "widget.png"))


def test_staff_logs_in_uploads_a_report_and_sees_it_listed(server, page, tmp_path):
    name = "彭阳县大岔乡人民政府_2022.txt"
    report = write_report(
        tmp_path / name,
        REPORTS / XIAOCHA,
        {"小岔乡": "大岔乡"},
    )

    page.goto(server.url + "/admin", wait_until="domcontentloaded")
    assert "工作人员登录" in page.content()
    page.fill('input[name="token"]', "wrong")
    page.click('button[type="submit"]')
    assert "令牌不正确" in page.content()
    page.fill('input[name="token"]', TOKEN)
    page.click('button[type="submit"]')
    page.wait_for_url(server.url + "/admin")
    assert XIAOCHA in page.locator("#documents").inner_text()

    page.set_input_files('input[name="files"]', str(report))
    page.click('form[action="/admin/upload"] button[type="submit"]')
    page.wait_for_selector("#upload-results", timeout=120_000)
    results = page.locator("#upload-results").inner_text()
    assert name in results and "已新增" in results
    assert name in page.locator("#documents").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "admin.png"), full_page=True)

    # The new report answers questions at once.
    scoped = page.context.request.post(
        server.url + "/api/ask", data={"question": "2022年大岔乡拒绝了多少政府信息公开申请？"}
    )
    assert scoped.ok and any(c["source"] == name for c in scoped.json()["citations"])


def test_series_answer_draws_a_chart_and_links_to_the_report_row(server, page):
    """A series question: a chart with one point per year (values on hover), table source cards,
    and a card's link opens the report page in a new tab with the cited row highlighted."""
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("textarea")
    ask(page, "平潭这几年被行政复议的次数有什么变化？", 4)

    chart = page.locator("#gk-chat .vega-embed").last
    chart.wait_for(timeout=ANSWER_TIMEOUT_MS)
    symbols = chart.locator("g.mark-symbol path")
    symbols.nth(3).wait_for(timeout=ANSWER_TIMEOUT_MS)
    labels = [symbols.nth(i).get_attribute("aria-label") for i in range(symbols.count())]
    assert len(labels) == 4
    assert [re.search(r"年度: (\d+)", s).group(1) for s in labels] == ["2019", "2020", "2021", "2022"]
    assert [re.search(r"数值: (\S+?);", s).group(1) for s in labels] == ["0", "0", "3", "2"]
    assert "年度" in chart.inner_text() and "行政复议" in chart.inner_text()  # Chinese axis titles
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "chart-answer.png"))

    card = page.locator("details.gk-cite").nth(2)
    card.locator("summary").click()
    table = card.locator("table.gk-cite-table")
    assert table.locator("thead th").all_inner_texts() == [
        "",
        "结果维持",
        "结果纠正",
        "其他结果",
        "尚未审结",
        "总计",
    ]
    assert table.locator("tbody td").all_inner_texts() == ["1", "0", "2", "0", "3"]
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(SCREENSHOTS / "table-card.png"))

    with page.context.expect_page() as opened:
        card.locator(".gk-cite-link a").click()
    report = opened.value
    report.wait_for_load_state("load")
    assert "/documents/" in report.url and "#s-" in report.url
    highlighted = report.locator("table.facts tr:has(:target)")
    assert highlighted.count() == 1
    assert highlighted.locator("td").all_inner_texts() == ["1", "0", "2", "0", "3"]
    background = highlighted.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 243, 176)"
    assert "平潭综合实验区2021年度政府信息公开工作年度报告" in report.locator("h1").inner_text()
    report.screenshot(path=str(SCREENSHOTS / "report-page.png"))


def test_results_of_one_report_draw_bars_over_the_result_rows(server, page):
    """「办理结果是怎样的」: the total in plain words, one bar per result row of table 3 with its value."""
    page.goto(server.url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("textarea")
    ask(page, "平潭2021年的申请办理结果是怎样的？", 7)

    text = page.locator('#gk-chat [data-testid="bot"]', has_text="办理结果如下").last.inner_text()
    assert "2021年平潭综合实验区办结政府信息公开申请69件[1]，办理结果如下：" in text
    assert "予以公开（全部公开）30件[2]" in text and "表三" not in text
    chart = page.locator("#gk-chat .vega-embed").last
    chart.wait_for(timeout=ANSWER_TIMEOUT_MS)
    bars = chart.locator("g.mark-rect path")
    bars.nth(5).wait_for(timeout=ANSWER_TIMEOUT_MS)
    labels = [bars.nth(i).get_attribute("aria-label") for i in range(bars.count())]
    assert [re.search(r"项目: ([^;]+);", s).group(1) for s in labels] == [
        "予以公开",
        "部分公开",
        "不予公开",
        "无法提供",
        "不予处理",
        "其他处理",
    ]
    assert [re.search(r"数值: (\S+?);", s).group(1) for s in labels] == ["30", "5", "8", "25", "0", "1"]
    assert "项目" in chart.inner_text() and "数量" in chart.inner_text()  # Chinese axis titles
    chart.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "chart-results.png"))


def test_report_page_shows_the_checks_beside_table_3(server, page):
    page.goto(server.url + "/documents/平潭综合实验区管委会_2020.txt", wait_until="load")
    table = page.locator("table.facts", has=page.locator("caption", has_text="表三")).bounding_box()
    aside = page.locator("aside.checks").first
    box = aside.bounding_box()
    assert box["x"] >= table["x"] + table["width"]  # beside, not under
    assert abs(box["y"] - table["y"]) < 2  # from the table's top
    assert "✗ 表三总计列：办理结果（一）至（六）各项之和为27" in aside.inner_text()
    aside.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "report-checks.png"))

"""Common wordings managed by staff: a not_found question turned into an answered one by attaching it
to the article that answers it, through the admin API, the staff pages and a real browser.

The question below is refused on the bundled corpus (its words are not the 条例's: 「视力不好」, 「帮忙」),
although 第四十三条 answers it (阅读困难或者视听障碍的 … 为其提供必要的帮助). Every test works on a
private copy of the bundled data dir.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from starlette.testclient import TestClient

from app import create_app
from assistant.config import Settings
from assistant.service import Assistant
from assistant.staffwordings import STAFF_FILE, WordingError, WordingManager
from assistant.web.security import SESSION_COOKIE, session_value

TOKEN = "wordings-admin-token-1"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
REGULATION = "gov_info_disclosure_regulation_2019.txt"
ARTICLE = "第四章 依申请公开 / 第四十三条"
MAILED_Q = "视力不好看不清字，申请信息公开能让机关帮忙吗？"
CLOSE_Q = "看不清楚字的老人申请公开，机关给不给帮助"
XIAOCHA = "彭阳县小岔乡人民政府_2022.txt"
DISLIKE = '#gk-chat button[aria-label="踩"], #gk-chat button[aria-label="Dislike"]'  # zh-CN / en
LIKE = '#gk-chat button[aria-label="赞"], #gk-chat button[aria-label="Like"]'


@pytest.fixture
def client(copied_data_dir) -> TestClient:
    settings = Settings(data_dir=copied_data_dir, admin_token=TOKEN, rate_limit_per_minute=100)
    return TestClient(create_app(settings, Assistant(settings)), raise_server_exceptions=False)


def ask(client: TestClient, question: str) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200
    return response.json()


def cited(body: dict) -> list[tuple[str, str]]:
    return [(c["source"], c["section"]) for c in body["citations"]]


def test_a_wording_added_through_the_api_answers_a_question_that_was_not_found(client, copied_data_dir):
    before = ask(client, MAILED_Q)
    assert before["status"] == "not_found" and before["citations"] == []
    assert ask(client, CLOSE_Q)["status"] == "not_found"
    logged = client.get("/api/admin/questions?status=not_found", headers=BEARER).json()
    assert [r["question"] for r in logged] == [CLOSE_Q, MAILED_Q]  # newest first
    logged = logged[1]

    added = client.post(
        "/api/admin/wordings",
        headers=BEARER,
        json={"question": logged["question"], "source": REGULATION, "section": "第四十三条"},
    )
    assert added.status_code == 201
    wording = added.json()
    assert wording["section"] == ARTICLE  # the short form, stored as citations show it
    assert (wording["origin"], wording["editable"], wording["id"][:2]) == ("staff", True, "w-")
    line = json.loads((copied_data_dir / "wordings" / STAFF_FILE).read_text(encoding="utf-8"))
    assert line == {
        "question": MAILED_Q,
        "source": REGULATION,
        "section": ARTICLE,
        "lang": "zh",
        "id": wording["id"],
    }

    after = ask(client, MAILED_Q)  # same process, no restart
    assert after["status"] == "answered"
    assert cited(after)[0] == (REGULATION, ARTICLE)
    assert "为其提供必要的帮助" in after["citations"][0]["quote"]
    close = ask(client, CLOSE_Q)  # a close wording of it
    assert close["status"] == "answered" and cited(close)[0] == (REGULATION, ARTICLE)

    listed = client.get("/api/admin/wordings?origin=staff", headers=BEARER).json()
    assert listed == [wording]

    removed = client.delete(f"/api/admin/wordings/{wording['id']}", headers=BEARER)
    assert removed.status_code == 200 and removed.json() == {"deleted": wording["id"]}
    assert ask(client, MAILED_Q)["status"] == "not_found"
    assert client.get("/api/admin/wordings?origin=staff", headers=BEARER).json() == []


def test_editing_a_wording_moves_it_to_another_passage(client):
    # attached by mistake to the article before (信息处理费), then corrected
    wording = client.post(
        "/api/admin/wordings",
        headers=BEARER,
        json={"question": MAILED_Q, "source": REGULATION, "section": "第四十二条"},
    ).json()
    assert cited(ask(client, MAILED_Q))[0] == (REGULATION, "第四章 依申请公开 / 第四十二条")
    edited = client.put(
        f"/api/admin/wordings/{wording['id']}",
        headers=BEARER,
        json={"question": MAILED_Q, "source": REGULATION, "section": "第四十三条"},
    )
    assert edited.status_code == 200
    assert edited.json()["id"] == wording["id"] and edited.json()["section"] == ARTICLE
    for question in (MAILED_Q, CLOSE_Q):
        body = ask(client, question)
        assert body["status"] == "answered" and cited(body)[0] == (REGULATION, ARTICLE)


def test_wording_validation_and_read_only_bundled_wordings(client):
    bundled = client.get("/api/admin/wordings?origin=bundled", headers=BEARER).json()
    assert len(bundled) == 441 and all(not w["editable"] and w["id"].startswith("b-") for w in bundled)
    first = bundled[0]
    body = {"question": "改一改", "source": first["source"], "section": first["section"]}
    assert client.put(f"/api/admin/wordings/{first['id']}", headers=BEARER, json=body).status_code == 403
    assert client.delete(f"/api/admin/wordings/{first['id']}", headers=BEARER).status_code == 403
    assert client.delete("/api/admin/wordings/w-000000000000", headers=BEARER).status_code == 404

    def post(**fields: str) -> int:
        payload = {
            "question": "邮寄的申请哪天算收到",
            "source": REGULATION,
            "section": "第四十三条",
            **fields,
        }
        return client.post("/api/admin/wordings", headers=BEARER, json=payload).status_code

    assert post(source="没有这个文件.txt") == 422
    assert post(section="第九十九条") == 422
    assert post(section="第四章 依申请公开") == 422  # a chapter: several articles
    assert post(question="问") == 422
    assert post(contains="不在这一条里的话") == 422
    assert post() == 201
    assert post() == 409  # the same wording twice
    assert post(question=first["question"], section=first["section"], source=first["source"]) == 409
    assert client.post("/api/admin/wordings", json={"question": "x" * 5}).status_code == 401
    assert client.get("/api/admin/wordings").status_code == 401


def test_a_table_row_of_a_report_takes_a_wording_too(client):
    store = client.app.state.assistant.store
    manager = WordingManager(store.data_dir / "wordings", store.catalog)
    row = "三、收到和处理政府信息公开申请情况 / 表三 / 三、本年度办理结果 / （三）不予公开 / 1.属于国家秘密"
    assert manager.resolve(XIAOCHA, "（三）不予公开 / 1.属于国家秘密") == row
    assert manager.resolve(XIAOCHA, "1.属于国家秘密") == row
    with pytest.raises(WordingError) as err:
        manager.resolve(XIAOCHA, "（三）不予公开")  # the group row: eight sub-rows
    assert err.value.status_code == 422 and "对应多个章节" in err.value.message
    assert row in err.value.message and "8.属于行政查询事项" in err.value.message


def test_staff_attach_a_not_found_question_from_the_questions_page(client):
    ask(client, MAILED_Q)
    assert client.get("/admin/wordings").status_code == 401
    client.cookies.set(SESSION_COOKIE, session_value(TOKEN), path="/admin")
    page = client.get("/admin/questions?status=not_found")
    assert page.status_code == 200
    assert (
        MAILED_Q in page.text
        and 'action="/admin/wordings"' in page.text
        and "上传缺失的年度报告" in page.text
    )

    done = client.post(
        "/admin/wordings", data={"question": MAILED_Q, "source": REGULATION, "section": "第四十三条"}
    )
    assert done.status_code == 200
    assert f"已添加问法：「{MAILED_Q}」→ {REGULATION} · {ARTICLE}" in done.text
    wording_id = re.search(r"/admin/wordings/(w-[0-9a-f]+)/edit", done.text).group(1)
    assert cited(ask(client, MAILED_Q))[0] == (REGULATION, ARTICLE)

    bad = client.post(
        "/admin/wordings", data={"question": "哪天算收到", "source": REGULATION, "section": "第九十九条"}
    )
    assert bad.status_code == 422 and "不是这个文件的章节" in bad.text
    gone = client.post(f"/admin/wordings/{wording_id}/delete")
    assert gone.status_code == 200 and "已删除问法" in gone.text
    assert ask(client, MAILED_Q)["status"] == "not_found"
    csv_page = client.get("/admin/questions.csv?status=not_found")
    assert csv_page.status_code == 200 and csv_page.text.count(MAILED_Q) == 2


# --------------------------------------------------------------------------- browser


def wait_for_final_answer(scope) -> None:
    """Wait for the last answer's final update (it carries the log id, in an HTML comment; the
    streamed text shows before it)."""
    bot = scope.locator('[data-testid="bot"]').last
    for _ in range(100):
        if "gk-answer:" in bot.inner_html():
            return
        bot.page.wait_for_timeout(100)
    raise AssertionError("the answer's final update did not come")


@pytest.fixture(scope="module")
def browser_server(bundled_data_dir, tmp_path_factory):
    from webfixtures import ServerThread

    data_dir = tmp_path_factory.mktemp("wordings-browser") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, admin_token=TOKEN, rate_limit_per_minute=100)
    with ServerThread(create_app(settings, Assistant(settings))) as running:
        yield running


@pytest.mark.browser
def test_browser_thumbs_down_then_staff_attach_the_wording_then_the_chat_answers(browser_server, tmp_path):
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    url = browser_server.url
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[*args, "--no-first-run"])
        page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN").new_page()
        # a citizen asks, gets no answer, gives 👎 with a comment
        page.goto(url + "/", wait_until="domcontentloaded")
        page.wait_for_selector("#gk-question textarea")
        page.locator("#gk-question textarea").fill(MAILED_Q)
        page.locator("#gk-send").click()
        bot = page.locator('#gk-chat [data-testid="bot"]').last
        page.wait_for_function(
            "() => [...document.querySelectorAll('#gk-chat [data-testid=\"bot\"]')].some(b => b.innerText.includes('没有这个问题的答案'))",
            timeout=60_000,
        )
        wait_for_final_answer(page)
        page.locator(DISLIKE).last.click()
        page.locator("#gk-comment textarea").wait_for(timeout=10_000)
        page.locator("#gk-comment textarea").fill("看不清字的人申请，条例里应该有规定")
        page.locator("#gk-comment-send").click()
        page.get_by_text("已收到，谢谢").wait_for(timeout=10_000)
        page.screenshot(path=str(shots / "feedback.png"), full_page=True)

        # staff see it among the 👎, attach it to 第四十三条
        page.goto(url + "/admin/login")
        page.locator('input[name="token"]').fill(TOKEN)
        page.locator('button[type="submit"]').click()
        page.goto(url + "/admin/questions?status=down")
        row = page.locator("#entries tbody tr").filter(has_text=MAILED_Q)
        assert "看不清字的人申请，条例里应该有规定" in row.inner_text() and "👎" in row.inner_text()
        row.locator("details.act summary").click()
        row.locator('select[name="source"]').select_option(REGULATION)
        row.locator('input[name="section"]').fill("第四十三条")
        page.screenshot(path=str(shots / "questions.png"), full_page=True)
        row.get_by_role("button", name="添加问法").click()
        page.get_by_text(f"已添加问法：「{MAILED_Q}」").wait_for()
        assert page.locator("#staff-wordings").get_by_text(MAILED_Q).count() == 0  # shown in an input
        assert page.locator(f'#staff-wordings input[value="{MAILED_Q}"]').count() == 1
        page.screenshot(path=str(shots / "wordings.png"), full_page=True)

        # the next citizen asking it gets 第四十三条
        page.goto(url + "/", wait_until="domcontentloaded")
        page.wait_for_selector("#gk-question textarea")
        page.locator("#gk-question textarea").fill(MAILED_Q)
        page.locator("#gk-send").click()
        card = page.locator("details.gk-cite").first
        card.wait_for(timeout=60_000)
        assert "第四十三条" in card.locator("summary").inner_text()
        assert (
            "必要的帮助" in bot.inner_text()
            or "必要的帮助" in page.locator('#gk-chat [data-testid="bot"]').last.inner_text()
        )
        browser.close()


@pytest.mark.browser
def test_browser_thumbs_up_in_the_widget_is_stored_with_the_answer(browser_server):
    from pathlib import Path

    import httpx
    from webfixtures import StaticPageServer

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    url = browser_server.url
    portal = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>门户</title></head><body>'
        f'<h1>彭阳县小岔乡人民政府</h1><script src="{url}/widget.js" data-agency="小岔乡"></script></body></html>'
    )
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with StaticPageServer(portal) as site, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=args)
        page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN").new_page()
        page.goto(site.url, wait_until="domcontentloaded")
        page.get_by_role("button", name="政务问答").click()
        chat = page.frame_locator("#gongkai-widget-frame")
        chat.locator("#gk-question textarea").wait_for(timeout=30_000)
        chat.locator("#gk-question textarea").fill("2022年拒绝了多少申请？")
        chat.locator("#gk-send").click()
        chat.locator("details.gk-cite").first.wait_for(timeout=60_000)
        wait_for_final_answer(chat.locator("#gk-chat"))
        chat.locator(LIKE).last.click()
        chat.locator("#gk-comment textarea").wait_for(timeout=10_000)
        browser.close()
    rows = httpx.get(f"{url}/api/admin/questions?status=up", headers=BEARER).json()
    (row,) = [r for r in rows if r["question"] == "2022年拒绝了多少申请？"]
    assert (row["agency"], row["year"], row["path"], row["rating"]) == (
        "彭阳县小岔乡人民政府",
        2022,
        "facts",
        "up",
    )
    assert row["sources"][0]["source"] == XIAOCHA

"""The web app in-process: JSON API contract, limits, staff-area auth, headers, escaping, the chat handlers.

Answers come from the real assistant over the bundled corpus (conftest's session fixtures; such tests
are marked slow); tests that are about the web layer alone (rate limits, upload limits, error pages)
use webfixtures.FakeAssistant.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import gradio as gr
import pytest
from starlette.testclient import TestClient
from webfixtures import XSS, FakeAssistant

import prompts
from app import create_app
from assistant.config import Settings
from assistant.service import Assistant
from assistant.types import Answer, Citation
from assistant.web.chat import ALL, ChatHandlers, scope_choices
from assistant.web.render import escape_text, render_answer, render_citations
from assistant.web.security import RateLimiter, session_value, valid_session
from helpers import REPORTS

TOKEN = "test-admin-token-123"
QUESTION = "2022年小岔乡拒绝了多少政府信息公开申请？"
XIAOCHA = "彭阳县小岔乡人民政府_2022.txt"
REFUSAL = prompts.REFUSAL


def client_for(assistant, **settings) -> TestClient:
    settings.setdefault("data_dir", Path("unused"))
    app = create_app(Settings(**settings), assistant=assistant)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def fake() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def fake_client(fake) -> TestClient:
    return client_for(fake, admin_token=TOKEN)


@pytest.fixture(scope="module")
def real_client(corpus_assistant) -> TestClient:
    """The real assistant over the bundled corpus (read-only: no question log), staff area on."""
    app = create_app(
        Settings(data_dir=corpus_assistant.settings.data_dir, admin_token=TOKEN, log_days=0), corpus_assistant
    )
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def writable_client(copied_data_dir) -> TestClient:
    """The real assistant over a private copy of the bundled data dir, for uploads and removals."""
    settings = Settings(data_dir=copied_data_dir, admin_token=TOKEN)
    return TestClient(create_app(settings, Assistant(settings)), raise_server_exceptions=False)


def admin_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every staff-area route registered on the app."""
    out = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for ctx in contexts:
            path = getattr(ctx, "path", None) or ""
            if path.startswith(("/admin", "/api/admin")):
                out.extend((method, path) for method in sorted(getattr(ctx, "methods", None) or []))
    return out


def request_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x.txt", path)


BEARER = {"Authorization": f"Bearer {TOKEN}"}


# --------------------------------------------------------------------------- the answer contract


def test_ask_returns_the_answer_object(real_client):
    response = real_client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "answer", "citations"}
    assert body["status"] == "answered"
    assert isinstance(body["answer"], str) and "0" in body["answer"]
    assert body["citations"] and all(
        set(c) == {"source", "title", "section", "quote", "url"} for c in body["citations"]
    )
    assert all(isinstance(v, str) for c in body["citations"] for v in c.values())
    assert body["citations"][0]["source"] == XIAOCHA


def test_ask_scope_and_history(real_client):
    body = real_client.post(
        "/api/ask",
        json={"question": "2022年拒绝了多少申请？", "agency": "小岔乡", "year": 2022, "history": []},
    ).json()
    assert body["status"] == "answered" and "0" in body["answer"]
    assert body["citations"][0]["source"] == XIAOCHA
    follow_up = real_client.post(
        "/api/ask",
        json={
            "question": "那平潭综合实验区呢？",
            "history": [
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": body["answer"]},
            ],
        },
    ).json()
    assert set(follow_up) - {"series"} == {"status", "answer", "citations"}  # series: the rows it adds
    assert follow_up["status"] == "answered"
    # the agency from the follow-up, the year and the quantity carried over
    assert "2022年平潭综合实验区拒绝了4件政府信息公开申请（不予公开）[1]" in follow_up["answer"]
    assert follow_up["citations"][0]["source"] == "平潭综合实验区管委会_2022.txt"
    assert follow_up["citations"][0]["section"] == "表三 三、本年度办理结果 / （三）不予公开"
    assert follow_up["citations"][0]["quote"].endswith("8项合计：4件")


def test_ask_not_found_is_a_status_not_an_error(real_client):
    response = real_client.post("/api/ask", json={"question": "2022年火星自治区收到多少申请？"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "not_found" and body["citations"] == []
    assert "资料库中没有“火星自治区”的政府信息公开工作年度报告" in body["answer"]
    assert body["answer"].endswith(REFUSAL)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"history": []},
        {"question": 42},
        {"question": None},
        {"question": "问题", "history": "not a list"},
        {"question": "问题", "history": [{"role": "robot", "content": "x"}]},
        {"question": "问题", "history": [{"content": "no role"}]},
        {"question": "问题", "year": "去年"},
        {"question": "问题", "agency": ["a"]},
        [],
        "just a string",
    ],
)
def test_ask_rejects_bad_bodies(fake_client, fake, body):
    response = fake_client.post("/api/ask", json=body)
    assert response.status_code == 422
    assert "请求格式不正确" in response.json()["detail"]
    assert not fake.calls


def test_ask_rejects_non_json(fake_client):
    response = fake_client.post("/api/ask", content=b"question=1", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422


def test_question_length_limit(fake):
    client = client_for(fake, max_question_chars=20)
    response = client.post("/api/ask", json={"question": "问" * 21})
    assert response.status_code == 422
    assert "问题过长" in response.json()["detail"] and "20" in response.json()["detail"]
    assert client.post("/api/ask", json={"question": "   "}).status_code == 422
    assert client.post("/api/ask", json={"question": "问" * 20}).status_code == 200
    assert len(fake.calls) == 1


def test_documents_and_health(real_client):
    docs = real_client.get("/api/documents").json()
    assert len(docs) == 12
    assert {"source", "title", "kind", "agency", "year"} == set(docs[0])
    assert XIAOCHA in {d["source"] for d in docs}
    assert real_client.get("/api/health").json() == {"status": "ok", "documents": 12, "warm": False}
    # read from the catalog's document list, not the staff rows with their facts and checks: the same
    assistant = real_client.app.state.assistant
    keys = ("source", "title", "kind", "agency", "year")
    assert assistant.public_documents() == [{k: d[k] for k in keys} for d in assistant.documents()]
    assert [d["source"] for d in docs] == [d["source"] for d in assistant.documents()]


def test_openapi_documents_the_public_and_admin_api(fake_client):
    paths = fake_client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/documents", "/api/health", "/api/admin/documents", "/api/admin/check"} <= set(
        paths
    )
    assert not any(p.startswith("/admin") for p in paths)
    schema = paths["/api/ask"]["post"]
    assert schema["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Answer")


# --------------------------------------------------------------------------- rate limits


def test_rate_limit_on_api(fake):
    client = client_for(fake, rate_limit_per_minute=3)
    for _ in range(3):
        assert client.post("/api/ask", json={"question": "问题"}).status_code == 200
    response = client.post("/api/ask", json={"question": "问题"})
    assert response.status_code == 429
    assert "提问过于频繁，请稍后再试" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) >= 1
    # A body refused as invalid gets its 422 and costs no turn (tests/test_hardening.py).
    assert client.post("/api/ask", json={}).status_code == 422
    assert len(fake.calls) == 3


def test_rate_limit_is_per_client():
    limiter = RateLimiter(limit=2, window=60)
    assert limiter.hit("a", now=0) and limiter.hit("a", now=1)
    assert not limiter.hit("a", now=2)
    assert limiter.hit("b", now=2)
    assert limiter.retry_after("a", now=2) == 58
    assert limiter.hit("a", now=60.5)  # the hit at 0 left the window
    assert not limiter.hit("a", now=60.6)


def test_rate_limit_on_chat(fake):
    settings = Settings(data_dir=Path("unused"), rate_limit_per_minute=2)
    chat = ChatHandlers(fake, settings, RateLimiter(2))
    request = gr.Request(client={"host": "203.0.113.9"}, query_params={})
    for _ in range(2):
        *_, (_, messages, history) = chat.respond("问题", [], [], ALL, ALL, request)
        assert "答案" in messages[-1]["content"]
    *_, (_, messages, history) = chat.respond("问题", [], [], ALL, ALL, request)
    assert "提问过于频繁，请稍后再试" in messages[-1]["content"]
    assert len(fake.calls) == 2


# --------------------------------------------------------------------------- escaping


def test_script_in_question_is_data_in_the_api(fake_client, fake):
    response = fake_client.post("/api/ask", json={"question": XSS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert fake.calls[0]["question"] == XSS  # passed on unchanged, as data


def test_script_in_question_with_real_assistant(real_client):
    response = real_client.post("/api/ask", json={"question": XSS + " 小岔乡2022年拒绝了多少申请？"})
    assert response.status_code == 200
    answer = Answer(**response.json())
    assert "<script" not in render_answer(answer).lower()


def test_rendered_answer_escapes_everything():
    answer = FakeAssistant().answer
    html = render_answer(answer)
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;") == 5  # answer, source, title, section, quote
    assert '<details class="gk-cite">' in html and "<summary>[1] " in html
    assert "\n\n" not in render_citations(answer.citations)  # one HTML block for the Markdown renderer


def test_escape_text_neutralises_markdown_and_html():
    text = "<img src=x onerror=alert(1)> [link](javascript:alert(1)) **b** `c` a|b\n# h\n1. x\n    code"
    out = escape_text(text)
    assert "<img" not in out and "&lt;img" in out
    assert "\\](" in out and "\\*\\*b\\*\\*" in out and "\\`c\\`" in out and "a\\|b" in out
    assert "\n\\# h\n1\\. x\ncode" in out
    assert escape_text("第[1]条：0件。") == "第[1]条：0件。"  # citation markers stay readable


def test_chat_escapes_question_and_answer(fake):
    chat = ChatHandlers(fake, Settings(data_dir=Path("unused")), RateLimiter(10))
    request = gr.Request(client={"host": "203.0.113.10"}, query_params={})
    steps = list(chat.respond(XSS, [], [], "彭阳县小岔乡人民政府", "2022", request))
    textbox, messages, history = steps[-1]
    assert textbox == ""
    assert messages[0] == {"role": "user", "content": "&lt;script&gt;alert(1)&lt;/script&gt;"}
    assert all("<script" not in m["content"].lower() for _, ms, _ in steps for m in ms)
    assert "gk-cite" in messages[-1]["content"]
    assert history == [{"role": "user", "content": XSS}, {"role": "assistant", "content": fake.answer.answer}]
    assert fake.calls[0]["agency"] == "彭阳县小岔乡人民政府" and fake.calls[0]["year"] == 2022
    assert len(steps) >= 4  # placeholder, two streamed pieces, final answer with sources


def test_chat_question_too_long(fake):
    chat = ChatHandlers(fake, Settings(data_dir=Path("unused"), max_question_chars=10), RateLimiter(10))
    request = gr.Request(client={"host": "203.0.113.11"}, query_params={})
    *_, (_, messages, _) = chat.respond("问" * 11, [], [], ALL, ALL, request)
    assert "问题过长" in messages[-1]["content"] and not fake.calls


def test_chat_error_is_generic(fake):
    fake.fail = True
    chat = ChatHandlers(fake, Settings(data_dir=Path("unused")), RateLimiter(10))
    request = gr.Request(client={"host": "203.0.113.12"}, query_params={})
    *_, (_, messages, _) = chat.respond("问题", [], [], ALL, ALL, request)
    assert "暂时无法回答" in messages[-1]["content"] and "/srv" not in messages[-1]["content"]


def test_chat_scope_from_url_parameters(corpus_assistant):
    chat = ChatHandlers(corpus_assistant, corpus_assistant.settings, RateLimiter(10))
    request = gr.Request(query_params={"agency": "小岔乡", "year": "2022", "embed": "1"})
    agency, year, header = chat.on_load(request)
    assert agency["value"] == "彭阳县小岔乡人民政府" and ALL in agency["choices"]
    assert year["value"] == "2022"
    assert header["visible"] is False
    unknown = scope_choices(corpus_assistant, "火星乡", "abc")
    assert unknown["agency"] == "火星乡" and unknown["year"] == ALL


# --------------------------------------------------------------------------- errors


def test_internal_error_is_generic(fake):
    fake.fail = True
    response = client_for(fake).post("/api/ask", json={"question": "问题"})
    assert response.status_code == 500
    detail = response.json()["detail"]
    assert "服务器内部错误" in detail and "Internal server error" in detail
    assert (
        "/srv" not in response.text
        and "Traceback" not in response.text
        and "RuntimeError" not in response.text
    )


# --------------------------------------------------------------------------- staff area


def test_every_admin_route_needs_the_token(fake):
    # More wrong tokens than the attempt limit allows (tests/test_hardening.py tests that limit).
    fake_client = client_for(fake, admin_token=TOKEN, admin_attempts_per_minute=1000)
    routes = admin_routes(fake_client.app)
    assert len(routes) >= 10
    checked = 0
    for method, path in routes:
        if path == "/admin/login":
            continue
        url = request_path(path)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = fake_client.request(method, url, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.status_code)
        forged = {"Cookie": f"gongkai_admin={session_value('wrong-token')}"}
        assert fake_client.request(method, url, headers=forged).status_code == 401, (method, path)
        checked += 1
    assert checked >= 9
    assert not fake.ingested


def test_admin_routes_are_404_without_a_token(fake):
    client = client_for(fake, admin_token="")
    for method, path in admin_routes(client.app):
        response = client.request(method, request_path(path), headers=BEARER)
        assert response.status_code == 404, (method, path)


def test_admin_json_api(writable_client):
    client = writable_client
    docs = client.get("/api/admin/documents", headers=BEARER).json()
    assert len(docs) == 12 and {"source", "warnings", "facts"} <= set(docs[0])

    same = (REPORTS / XIAOCHA).read_bytes()
    result = client.post(
        "/api/admin/documents", headers=BEARER, files=[("files", (XIAOCHA, same, "text/plain"))]
    )
    assert result.status_code == 200
    assert [r["status"] for r in result.json()["results"]] == ["unchanged"]

    source = "平潭综合实验区管委会_2021.txt"
    draft = (REPORTS / source).read_text(encoding="utf-8")
    draft = draft.replace(
        "三、本年度办理结果 / （七）总计\t63\t0\t0\t2\t0\t4\t69",
        "三、本年度办理结果 / （七）总计\t63\t0\t0\t2\t0\t4\t70",
    )
    draft = draft.replace("五、存在的主要问题及改进情况", "")
    report = client.post(
        "/api/admin/check", headers=BEARER, files={"file": ("草稿.txt", draft.encode(), "text/plain")}
    ).json()
    assert report["ok"] is False
    assert any("五、存在的主要问题及改进情况" in p for p in report["problems"])
    failed = [c for c in report["checks"] if not c["ok"]]
    assert any(
        c["row"] == "三、本年度办理结果 / （七）总计" and c["expected"] == 69 and c["found"] == 70
        for c in failed
    )
    assert len(client.get("/api/admin/documents", headers=BEARER).json()) == 12  # the draft is not stored

    # A report already in the corpus, checked under its own name, is checked like any draft.
    published = "平潭综合实验区管委会_2020.txt"
    report = client.post(
        "/api/admin/check",
        headers=BEARER,
        files={"file": (published, (REPORTS / published).read_bytes(), "text/plain")},
    ).json()
    assert report["ok"] is False and report["source"] == published
    assert any(c["expected"] == 27 and c["found"] == 21 for c in report["checks"] if not c["ok"])

    removed = client.delete(f"/api/admin/documents/{source}", headers=BEARER)
    assert removed.json() == {"removed": [source]}
    assert source not in {d["source"] for d in client.get("/api/documents").json()}
    assert client.delete(f"/api/admin/documents/{source}", headers=BEARER).status_code == 404


def test_admin_login_cookie_and_pages(writable_client):
    client = writable_client
    login_page = client.get("/admin/login")
    assert login_page.status_code == 200 and 'name="token"' in login_page.text
    assert client.get("/admin").status_code == 401
    assert client.post("/admin/login", data={"token": "wrong"}).status_code == 401

    response = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    value = client.cookies.get("gongkai_admin")
    assert value and TOKEN not in value and valid_session(TOKEN, value)

    dashboard = client.get("/admin")
    assert dashboard.status_code == 200
    assert XIAOCHA in dashboard.text and "上传年度报告" in dashboard.text and "检查报告草稿" in dashboard.text
    assert "<script" not in dashboard.text.lower()  # no script on staff pages (and none allowed by the CSP)

    removed = client.post("/admin/remove", data={"source": XIAOCHA})
    assert removed.status_code == 200 and "已删除" in removed.text
    assert XIAOCHA not in {d["source"] for d in client.get("/api/documents").json()}

    client.post("/admin/logout")
    assert client.get("/admin").status_code == 401


def test_admin_pages_escape_document_text(fake_client):
    fake_client.post("/admin/login", data={"token": TOKEN})
    page = fake_client.get("/admin")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_session_cookie_expires_and_cannot_be_forged():
    value = session_value(TOKEN, issued=1_000_000)
    assert valid_session(TOKEN, value, now=1_000_100)
    assert not valid_session(TOKEN, value, now=1_000_000 + 9 * 3600)
    assert not valid_session("other", value, now=1_000_100)
    issued, signature = value.split(".")
    assert not valid_session(TOKEN, f"{int(issued) + 1}.{signature}", now=1_000_100)
    assert not valid_session(TOKEN, "", now=0) and not valid_session("", value, now=1_000_100)


def test_login_attempts_are_limited(fake_client):
    codes = [fake_client.post("/admin/login", data={"token": f"guess{i}"}).status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[-1] == 429


def test_upload_too_large_is_413(fake):
    client = client_for(fake, admin_token=TOKEN, max_upload_mb=0.001)  # about 1 KB
    big = ("big.txt", "年".encode() * 2000, "text/plain")
    response = client.post("/api/admin/documents", headers=BEARER, files=[("files", big)])
    assert response.status_code == 413
    assert "文件过大" in response.json()["detail"] and "File too large" in response.json()["detail"]
    assert client.post("/api/admin/check", headers=BEARER, files={"file": big}).status_code == 413
    client.post("/admin/login", data={"token": TOKEN})
    page = client.post("/admin/upload", files=[("files", big)])
    assert page.status_code == 413 and "文件过大" in page.text
    assert not fake.ingested


def test_request_body_over_the_total_limit_is_refused_before_reading(fake):
    client = client_for(fake, admin_token=TOKEN, max_upload_mb=0.001)
    response = client.post(
        "/api/admin/documents", headers=BEARER, files=[("files", ("a.txt", b"x" * 3_000_000, "text/plain"))]
    )
    assert response.status_code == 413


def test_unknown_file_type_is_415(fake):
    client = client_for(fake, admin_token=TOKEN)
    for name in ("report.exe", "report.xlsx", "noext", "../../etc/passwd"):
        response = client.post(
            "/api/admin/documents", headers=BEARER, files=[("files", (name, b"x", "text/plain"))]
        )
        assert response.status_code == 415, name
        assert "不支持的文件类型" in response.json()["detail"]
    ok = client.post(
        "/api/admin/documents",
        headers=BEARER,
        files=[("files", ("a.TXT", b"x", "text/plain")), ("files", ("b.htm", b"x", "text/html"))],
    )
    assert ok.status_code == 200 and fake.ingested == ["a.TXT", "b.htm"]


# --------------------------------------------------------------------------- widget and headers


def test_widget_js(fake_client):
    response = fake_client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    js = response.text
    assert "data-agency" in js and 'params.set("agency", agency)' in js and 'params.set("embed", "1")' in js
    assert "政务问答" in js and "document.currentScript" in js and "iframe" in js
    assert "innerHTML" not in js  # the page's attributes never become markup


def test_chat_page_headers(fake_client):
    page = fake_client.get("/?agency=小岔乡&embed=1")
    assert page.status_code == 200 and "<html" in page.text
    assert page.headers["content-security-policy"] == "frame-ancestors *"
    assert "x-frame-options" not in page.headers
    assert page.headers["x-content-type-options"] == "nosniff"


def test_frame_ancestors_setting(fake):
    client = client_for(fake, frame_ancestors="https://www.pengyang.gov.cn https://portal.example.cn")
    csp = client.get("/").headers["content-security-policy"]
    assert csp == "frame-ancestors 'self' https://www.pengyang.gov.cn https://portal.example.cn"


def test_admin_headers(fake_client):
    for path in ("/admin/login", "/admin", "/api/admin/documents"):
        response = fake_client.get(path, headers={"Origin": "https://evil.example"})
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "access-control-allow-origin" not in response.headers


def test_cors(fake):
    open_client = client_for(fake, admin_token=TOKEN)
    preflight = {"Origin": "https://portal.example.cn", "Access-Control-Request-Method": "POST"}
    assert open_client.options("/api/ask", headers=preflight).headers["access-control-allow-origin"] == "*"
    admin = open_client.options("/api/admin/documents", headers=preflight)
    assert "access-control-allow-origin" not in admin.headers

    strict = client_for(fake, cors_origins="https://portal.example.cn")
    allowed = strict.post(
        "/api/ask", json={"question": "问题"}, headers={"Origin": "https://portal.example.cn"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.cn"
    other = strict.post("/api/ask", json={"question": "问题"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_app_runs_without_an_assistant_argument(tmp_path):
    """create_app builds its own Assistant from the settings (no ingest happens here)."""
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    assert client.get("/api/health").json() == {"status": "ok", "documents": 0, "warm": False}
    assert client.get("/api/documents").json() == []


def test_citation_card_fields():
    card = render_citations([Citation(source="a.txt", title="", section="", quote="第一行\n第二行")])
    assert "<summary>[1] a.txt</summary>" in card and "第一行<br>第二行" in card

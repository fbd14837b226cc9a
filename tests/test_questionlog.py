"""The question log: every answer path logged with its scope and sources, answer ids, 👍/👎 with a
comment through the API and the chat, the admin API behind its token, retention, CSV export, and
nothing logged (no id) when GONGKAI_LOG_DAYS=0.

Answers come from the real assistant over a private copy of the bundled corpus; the log is a real
SQLite table in that copy's catalog file.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gradio as gr
import pytest
from openai_stub import OpenAIStub
from starlette.testclient import TestClient

from app import create_app
from assistant.config import Settings
from assistant.questionlog import LogFilter, QuestionLog, SqliteLogDatabase, normalized, open_question_log
from assistant.service import Assistant
from assistant.web.chat import ALL, FEEDBACK_DONE_ZH, FEEDBACK_THANKS_ZH, ChatHandlers
from assistant.web.insights import CSV_COLUMNS
from assistant.web.security import RateLimiter

TOKEN = "question-log-token-1"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
XIAOCHA = "彭阳县小岔乡人民政府_2022.txt"
REGULATION = "gov_info_disclosure_regulation_2019.txt"
FACTS_Q = "2022年小岔乡拒绝了多少政府信息公开申请？"
RULE_Q = "行政机关收到政府信息公开申请后，不能当场答复的，应当在多少个工作日内答复？"
CHECK_Q = "平潭2020年的报告数据有问题吗？"
MISSING_Q = "小岔乡2023年拒绝了多少政府信息公开申请？"
OFFTOPIC_Q = "今天彭阳县的天气怎么样？"


@pytest.fixture
def logged(copied_data_dir) -> Assistant:
    """A real assistant over a private copy of the bundled corpus, question log on."""
    assistant = Assistant(Settings(data_dir=copied_data_dir))
    assert assistant.start_question_log() is not None
    return assistant


@pytest.fixture
def client(copied_data_dir) -> TestClient:
    """The web app over a private copy of the bundled corpus: staff area on, log on (default 180 days)."""
    settings = Settings(data_dir=copied_data_dir, admin_token=TOKEN, rate_limit_per_minute=100)
    return TestClient(create_app(settings, Assistant(settings)), raise_server_exceptions=False)


def log_rows(data_dir: Path) -> int:
    """Rows in the catalog's question_log table (0 when there is no such table)."""
    db = sqlite3.connect(data_dir / "gongkai.sqlite")
    if not db.execute("SELECT name FROM sqlite_master WHERE name = 'question_log'").fetchall():
        return 0
    return db.execute("SELECT COUNT(*) FROM question_log").fetchone()[0]


def sections(entry) -> list[tuple[str, str]]:
    return [(s["source"], s["section"]) for s in entry.sources]


# --------------------------------------------------------------------------- every answer path


def test_every_answer_path_is_logged_with_scope_sources_and_latency(logged):
    ids = {q: logged.ask(q).id for q in (FACTS_Q, RULE_Q, CHECK_Q, MISSING_Q, OFFTOPIC_Q)}
    assert all(len(i) == 16 for i in ids.values()) and len(set(ids.values())) == 5
    entry = {q: logged.question_log.get(i) for q, i in ids.items()}

    facts = entry[FACTS_Q]
    assert (facts.status, facts.path) == ("answered", "facts")
    assert (facts.agency, facts.years) == ("彭阳县小岔乡人民政府", [2022])
    assert sections(facts) == [
        (XIAOCHA, "表三 三、本年度办理结果 / （三）不予公开"),
        (XIAOCHA, "表三 三、本年度办理结果 / （五）不予处理"),
    ]
    assert "0件" in facts.answer and facts.question == FACTS_Q

    rule = entry[RULE_Q]
    assert (rule.status, rule.path, rule.agency, rule.years) == ("answered", "retrieval", "", [])
    assert sections(rule)[0] == (REGULATION, "第四章 依申请公开 / 第三十三条")

    check = entry[CHECK_Q]
    assert (check.status, check.path, check.years) == ("answered", "check", [2020])
    assert check.sources[0]["source"] == "平潭综合实验区管委会_2020.txt"

    missing = entry[MISSING_Q]
    assert (missing.status, missing.path, missing.years) == ("not_found", "not_found", [2023])
    assert missing.agency == "彭阳县小岔乡人民政府" and missing.sources == []
    assert "2023" in missing.answer

    offtopic = entry[OFFTOPIC_Q]
    assert (offtopic.status, offtopic.path) == ("not_found", "not_found")
    assert all(e.latency_ms is not None and e.latency_ms > 0 for e in entry.values())
    assert logged.question_log.count() == 5


def test_the_model_path_is_logged_as_llm_and_a_fallback_as_offline(copied_data_dir, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with OpenAIStub() as stub:
        settings = Settings(
            data_dir=copied_data_dir, llm_base_url=stub.base_url, llm_model="stub", llm_timeout=5.0
        )
        assistant = Assistant(settings)
        qlog = assistant.start_question_log()
        stub.enqueue("应当自收到申请之日起20个工作日内予以答复[1]。")
        grounded = assistant.ask(RULE_Q)
        stub.enqueue("应当自收到申请之日起30个工作日内予以答复[1]。")  # a number no source holds
        rejected = list(assistant.ask_stream(RULE_Q))[-1]
    assert grounded.answer == "应当自收到申请之日起20个工作日内予以答复[1]。"
    assert qlog.get(grounded.id).path == "llm"
    assert qlog.get(grounded.id).answer == grounded.answer
    assert "20个工作日" in rejected.answer and "30个工作日" not in rejected.answer
    assert qlog.get(rejected.id).path == "retrieval"


def test_the_cli_and_eval_side_log_nothing(copied_data_dir):
    before = log_rows(copied_data_dir)
    assistant = Assistant(Settings(data_dir=copied_data_dir))
    answer = assistant.ask(FACTS_Q)
    assert answer.id is None and "id" not in answer.to_json_dict()
    assert log_rows(copied_data_dir) == before


# --------------------------------------------------------------------------- API: ids and feedback


def test_ask_gets_an_id_and_feedback_is_stored_and_listed(client):
    body = client.post("/api/ask", json={"question": FACTS_Q}).json()
    assert set(body) == {"status", "answer", "citations", "id"}
    answer_id = body["id"]
    response = client.post("/api/feedback", json={"id": answer_id, "rating": "down", "comment": "数字不对"})
    assert response.status_code == 200 and response.json() == {"status": "ok"}

    (row,) = client.get("/api/admin/questions?status=down", headers=BEARER).json()
    assert {
        "id",
        "time",
        "question",
        "agency",
        "year",
        "status",
        "path",
        "rating",
        "comment",
        "sources",
    } <= set(row)
    assert row["id"] == answer_id and row["question"] == FACTS_Q
    assert (row["agency"], row["year"], row["status"], row["path"]) == (
        "彭阳县小岔乡人民政府",
        2022,
        "answered",
        "facts",
    )
    assert (row["rating"], row["comment"]) == ("down", "数字不对")
    assert row["sources"] == [
        {"source": XIAOCHA, "section": "表三 三、本年度办理结果 / （三）不予公开"},
        {"source": XIAOCHA, "section": "表三 三、本年度办理结果 / （五）不予处理"},
    ]

    # a later 👍 replaces the rating, and a rating without a comment keeps the comment
    assert (
        client.post("/api/feedback", json={"id": answer_id, "rating": "up", "comment": None}).status_code
        == 200
    )
    assert client.get("/api/admin/questions?status=down", headers=BEARER).json() == []
    (up,) = client.get("/api/admin/questions?status=up", headers=BEARER).json()
    assert (up["rating"], up["comment"]) == ("up", "数字不对")


def test_feedback_unknown_id_and_bad_bodies(client):
    assert client.post("/api/feedback", json={"id": "0123456789abcdef", "rating": "up"}).status_code == 404
    answer_id = client.post("/api/ask", json={"question": RULE_Q}).json()["id"]
    for bad in (
        {"id": answer_id, "rating": "meh"},
        {"id": answer_id},
        {"rating": "up"},
        {"id": "", "rating": "up"},
        {"id": answer_id, "rating": "up", "comment": "长" * 1001},
        {"id": answer_id, "rating": "up", "extra": 1},
    ):
        assert client.post("/api/feedback", json=bad).status_code == 422, bad
    assert client.get("/api/admin/questions?status=rated", headers=BEARER).json() == []


def test_admin_questions_need_the_token(client):
    client.post("/api/ask", json={"question": MISSING_Q})
    for path in ("/api/admin/questions", "/api/admin/questions/frequent", "/api/admin/questions.csv"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong-token"}).status_code == 401
        assert client.get(path, headers=BEARER).status_code == 200
    assert client.get("/admin/questions").status_code == 401  # the page wants a session
    assert client.get("/api/admin/questions?status=bogus", headers=BEARER).status_code == 422


def test_filters_frequent_questions_and_csv_export(client):
    for question in (
        MISSING_Q,
        "小岔乡2023年拒绝了多少政府信息公开申请",
        FACTS_Q,
        "=1+2 平潭综合实验区2030年收到多少申请？",
    ):
        client.post("/api/ask", json={"question": question})
    not_found = client.get("/api/admin/questions?status=not_found", headers=BEARER).json()
    assert sorted(r["question"] for r in not_found) == sorted(
        [MISSING_Q, "小岔乡2023年拒绝了多少政府信息公开申请", "=1+2 平潭综合实验区2030年收到多少申请？"]
    )
    xiaocha = client.get("/api/admin/questions?agency=小岔乡", headers=BEARER).json()
    assert len(xiaocha) == 3 and {r["agency"] for r in xiaocha} == {"彭阳县小岔乡人民政府"}
    today = datetime.now(UTC).date()
    assert len(client.get(f"/api/admin/questions?since={today}", headers=BEARER).json()) == 4
    assert client.get(f"/api/admin/questions?until={today - timedelta(days=1)}", headers=BEARER).json() == []
    assert len(client.get("/api/admin/questions?limit=2", headers=BEARER).json()) == 2

    top, *rest = client.get("/api/admin/questions/frequent", headers=BEARER).json()
    assert (top["count"], top["not_found"], top["down"]) == (2, 2, 0)  # the ？ makes no other question
    assert normalized(top["question"]) == normalized(MISSING_Q) and [r["count"] for r in rest] == [1, 1]

    response = client.get("/api/admin/questions.csv?status=not_found", headers=BEARER)
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == 3
    by_question = {r["question"]: r for r in rows}
    missing = by_question[MISSING_Q]
    assert (missing["agency"], missing["years"], missing["status"], missing["path"]) == (
        "彭阳县小岔乡人民政府",
        "2023",
        "not_found",
        "not_found",
    )
    assert float(missing["latency_ms"]) > 0 and missing["id"] in {r["id"] for r in not_found}
    assert "'=1+2 平潭综合实验区2030年收到多少申请？" in by_question  # no formula in a spreadsheet


def test_nothing_is_logged_and_no_id_when_the_log_is_off(copied_data_dir):
    before = log_rows(copied_data_dir)
    settings = Settings(data_dir=copied_data_dir, admin_token=TOKEN, log_days=0)
    off = TestClient(create_app(settings, Assistant(settings)), raise_server_exceptions=False)
    body = off.post("/api/ask", json={"question": FACTS_Q}).json()
    assert set(body) == {"status", "answer", "citations"}
    assert off.post("/api/feedback", json={"id": "0123456789abcdef", "rating": "up"}).status_code == 404
    assert off.get("/api/admin/questions", headers=BEARER).status_code == 404
    assert log_rows(copied_data_dir) == before
    assert open_question_log(0, copied_data_dir / "gongkai.sqlite") is None


def test_no_ip_address_or_client_detail_is_stored(client, copied_data_dir):
    headers = {"X-Forwarded-For": "203.0.113.77", "User-Agent": "Mozilla/5.0 gk-test-agent"}
    answer_id = client.post("/api/ask", json={"question": FACTS_Q}, headers=headers).json()["id"]
    client.post("/api/feedback", json={"id": answer_id, "rating": "up"}, headers=headers)
    client.get("/api/admin/questions", headers=BEARER)  # waits for the writer
    db = sqlite3.connect(copied_data_dir / "gongkai.sqlite")
    columns = {row[1] for row in db.execute("PRAGMA table_info(question_log)")}
    assert columns == {
        "id", "asked_at", "question", "norm", "agency", "years", "status", "path", "answer", "sources",
        "latency_ms", "rating", "comment", "rated_at",
    }  # fmt: skip
    dump = "\n".join(db.iterdump())
    assert answer_id in dump
    assert "203.0.113.77" not in dump and "gk-test-agent" not in dump and "testclient" not in dump


# --------------------------------------------------------------------------- retention


def test_retention_deletes_entries_older_than_the_setting(tmp_path):
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    db = SqliteLogDatabase(tmp_path / "catalog.sqlite")
    at = {"time": now}
    qlog = QuestionLog(db, days=180, clock=lambda: at["time"])
    for days_ago, question in (
        (400, "很久以前的问题"),
        (181, "刚过期的问题"),
        (179, "还在期限内的问题"),
        (0, "今天的问题"),
    ):
        at["time"] = now - timedelta(days=days_ago)
        qlog.record(question, "not_found", "not_found", "")
    at["time"] = now
    assert qlog.count() == 4  # nothing purged while writing these (the last purge was at start)
    qlog.purge()
    assert [e.question for e in qlog.entries()] == ["今天的问题", "还在期限内的问题"]
    assert [e.time for e in qlog.entries()] == ["2026-12-01T08:00:00.000Z", "2026-06-05T08:00:00.000Z"]

    # a log opened later with a shorter retention purges at start
    later = QuestionLog(db, days=30, clock=lambda: now + timedelta(days=1))
    assert [e.question for e in later.entries()] == ["今天的问题"]
    with pytest.raises(ValueError):
        QuestionLog(db, days=0)


def test_filter_by_date_range_is_inclusive(tmp_path):
    at = {"time": datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC)}
    qlog = QuestionLog(SqliteLogDatabase(tmp_path / "c.sqlite"), days=10_000, clock=lambda: at["time"])
    for stamp in ("2026-03-01T00:00:00", "2026-03-02T23:59:59.999", "2026-03-03T00:00:00"):
        at["time"] = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
        qlog.record(stamp, "answered", "retrieval", "答")
    found = qlog.entries(LogFilter(since="2026-03-01", until="2026-03-02"))
    assert [e.question for e in found] == ["2026-03-02T23:59:59.999", "2026-03-01T00:00:00"]


# --------------------------------------------------------------------------- the chat's 👍 / 👎


def test_chat_thumbs_down_with_a_comment_is_stored_with_the_answer(logged):
    chat = ChatHandlers(logged, logged.settings, RateLimiter(10))
    request = gr.Request(client={"host": "203.0.113.9"}, query_params={})
    *_, (_, messages, history, ids) = chat.respond_tracked(FACTS_Q, [], [], {}, ALL, ALL, request)
    *_, (_, messages, history, ids) = chat.respond_tracked(
        MISSING_Q, messages, history, ids, ALL, ALL, request
    )
    assert sorted(ids) == [1, 3] and history[1]["id"] == ids[1] and history[3]["id"] == ids[3]

    like = gr.LikeData(None, {"index": 3, "value": messages[3]["content"], "liked": False})
    pending, box, note = chat.on_like(ids, like)
    assert pending == {"id": ids[3], "rating": "down"} and box["visible"] is True
    assert note["value"] == FEEDBACK_THANKS_ZH
    pending, box, note, text = chat.on_comment(pending, "  小岔乡2023年的报告应该已经发布了  ")
    assert box["visible"] is False and note["value"] == FEEDBACK_DONE_ZH and text == ""

    entry = logged.question_log.get(ids[3])
    assert (entry.question, entry.status, entry.rating) == (MISSING_Q, "not_found", "down")
    assert entry.comment == "小岔乡2023年的报告应该已经发布了"
    assert logged.question_log.get(ids[1]).rating is None

    up = gr.LikeData(None, {"index": 1, "value": messages[1]["content"], "liked": True})
    assert chat.on_like(ids, up)[0] == {"id": ids[1], "rating": "up"}
    assert logged.question_log.get(ids[1]).rating == "up"
    # the id also travels in the answer's message (an HTML comment), for a 👎 that comes before
    # the chat's id state has caught up
    assert f"<!-- gk-answer:{ids[3]} -->" in str(messages[3]["content"])
    early = gr.LikeData(None, {"index": 3, "value": [messages[3]["content"]], "liked": True})
    assert chat.on_like({}, early)[0] == {"id": ids[3], "rating": "up"}
    # a message without a log entry (the user's own question) stores nothing
    assert chat.on_like(ids, gr.LikeData(None, {"index": 0, "value": "", "liked": False}))[0] == {}


def test_sqlite_log_database_is_the_narrow_interface(tmp_path):
    db = SqliteLogDatabase(tmp_path / "c.sqlite")
    qlog = QuestionLog(db, days=1)
    entry_id = qlog.record(
        "问题", "answered", "retrieval", "答案", [("a.txt", "第一条"), ("a.txt", "第一条")]
    )
    assert qlog.get(entry_id).sources == [{"source": "a.txt", "section": "第一条"}]  # cited twice, kept once
    assert qlog.feedback("no-such-id", "up") is False
    with pytest.raises(ValueError):
        qlog.feedback(entry_id, "sideways")
    assert Path(tmp_path / "c.sqlite").exists()

"""What staff learn from the chat: the question log, citizens' feedback and the common wordings.

Admin JSON API (Bearer token, like the rest of /api/admin):
- GET /api/admin/questions?status=not_found|down|up|answered|rated|all&agency=&since=&until=&limit=
- GET /api/admin/questions/frequent (same filters), GET /api/admin/questions.csv (same filters)
- GET /api/admin/wordings?source=&section=&origin=, POST /api/admin/wordings,
  PUT /api/admin/wordings/{id}, DELETE /api/admin/wordings/{id}

Staff pages (session cookie, no script): /admin/questions (most frequent questions, every entry
with its answer and sources, filters, CSV export; from a not_found or a 👎: upload the missing
report or attach the question as a wording to a passage) and /admin/wordings (list, add, edit,
remove; bundled wordings shown read-only).
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from assistant.questionlog import LogEntry, LogFilter, QuestionLog
from assistant.staffwordings import MAX_QUESTION_CHARS, StaffWording, WordingError, WordingManager
from assistant.web.admin import _e, _notice, _page, require_bearer, require_session

log = logging.getLogger(__name__)

Status = Literal["all", "not_found", "answered", "down", "up", "rated"]
STATUS_ZH = {"answered": "已回答", "not_found": "未找到"}
PATH_ZH = {"facts": "数据表", "retrieval": "检索", "check": "核对", "not_found": "未找到", "llm": "大模型"}
RATING_ZH = {"up": "👍 满意", "down": "👎 不满意"}
FILTER_ZH = {
    "all": "全部",
    "not_found": "未找到答案",
    "down": "👎 不满意",
    "up": "👍 满意",
    "answered": "已回答",
    "rated": "有评价",
}
CSV_COLUMNS = [
    "id", "time", "question", "agency", "years", "status", "path", "rating", "comment", "answer", "sources", "latency_ms",
]  # fmt: skip
CSV_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")
LOG_OFF = "问题日志未开启（GONGKAI_LOG_DAYS=0）。The question log is off (GONGKAI_LOG_DAYS=0)."

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/admin", tags=["admin"])


def install(app: FastAPI) -> None:
    """Start the question log (when GONGKAI_LOG_DAYS > 0) and add the routes of this module."""
    start = getattr(app.state.assistant, "start_question_log", None)
    if start is not None and app.state.settings.log_days > 0:
        start(app.state.settings.log_days)
    app.include_router(api)
    app.include_router(pages)


def question_log(request: Request) -> QuestionLog | None:
    """The app's question log, None when logging is off."""
    return getattr(request.app.state.assistant, "question_log", None)


def wording_manager(request: Request) -> WordingManager:
    store = request.app.state.assistant.store
    return WordingManager(store.data_dir / "wordings", store.catalog)


# --------------------------------------------------------------------------- filters and CSV


def log_filter(
    status: Annotated[
        Status, Query(description="Which entries: not_found, down (👎), up, answered, rated, all")
    ] = "all",
    agency: Annotated[str, Query(max_length=100, description="Part of the agency name")] = "",
    since: Annotated[date | None, Query(description="First day (UTC), YYYY-MM-DD")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC), YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> LogFilter:
    """The filters of the question list, from the query string (422 for a bad value)."""
    return LogFilter(
        status=status,
        agency=agency,
        since=since.isoformat() if since else "",
        until=until.isoformat() if until else "",
        limit=limit,
    )


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ gets a ' (formula injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_UNSAFE_START) else text


def entries_csv(entries: list[LogEntry]) -> str:
    """The entries as CSV (header row first; sources as 「file · section」 joined by ；)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        sources = "；".join(f"{s.get('source', '')} · {s.get('section', '')}" for s in e.sources)
        row: list[Any] = [e.id, e.time, e.question, e.agency, ",".join(map(str, e.years)), e.status, e.path]
        row += [e.rating, e.comment, e.answer, sources, e.latency_ms]
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def csv_response(entries: list[LogEntry]) -> Response:
    """A UTF-8 CSV download with a byte-order mark (spreadsheets then read the Chinese right)."""
    return Response(
        "\ufeff" + entries_csv(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="questions.csv"'},
    )


def _log_or_404(request: Request) -> QuestionLog:
    qlog = question_log(request)
    if qlog is None:
        raise HTTPException(status_code=404, detail=LOG_OFF)
    return qlog


# --------------------------------------------------------------------------- JSON API


class WordingBody(BaseModel):
    """A wording and its passage: `source` the file name as in citations, `section` the citation's
    section, article or table row (a short form such as 第三十三条 will do)."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=2, max_length=MAX_QUESTION_CHARS)
    source: str = Field(min_length=1, max_length=300)
    section: str = Field(min_length=1, max_length=300)
    contains: str = Field(
        default="", max_length=200, description="A phrase of the chunk, when a section has several"
    )


@api.get("/questions", dependencies=[Depends(require_bearer)])
def api_questions(request: Request, flt: Annotated[LogFilter, Depends(log_filter)]) -> list[dict[str, Any]]:
    """Logged questions, newest first: id, time, question, agency, year, status, path, rating,
    comment, sources (and years, answer, latency_ms)."""
    return [e.to_api() for e in _log_or_404(request).entries(flt)]


@api.get("/questions/frequent", dependencies=[Depends(require_bearer)])
def api_frequent(request: Request, flt: Annotated[LogFilter, Depends(log_filter)]) -> list[dict[str, Any]]:
    """The most frequent questions (same words, punctuation and case aside) with their not_found and 👎 counts."""
    return [vars(f) for f in _log_or_404(request).frequent(flt)]


@api.get("/questions.csv", dependencies=[Depends(require_bearer)])
def api_questions_csv(request: Request, flt: Annotated[LogFilter, Depends(log_filter)]) -> Response:
    """The filtered questions as CSV."""
    return csv_response(_log_or_404(request).entries(flt))


@api.get("/wordings", dependencies=[Depends(require_bearer)])
def api_wordings(
    request: Request,
    source: Annotated[str, Query(max_length=300)] = "",
    section: Annotated[str, Query(max_length=300)] = "",
    origin: Annotated[Literal["", "bundled", "staff"], Query()] = "",
) -> list[dict[str, Any]]:
    """Common wordings (staff first, then bundled), with whether each may be edited."""
    return [w.to_api() for w in wording_manager(request).find(source, section, origin)]


@api.post("/wordings", dependencies=[Depends(require_bearer)], status_code=201)
def api_add_wording(body: WordingBody, request: Request) -> dict[str, Any]:
    """Attach a wording to a passage; the next question like it is answered from that passage."""
    return _wording_call(lambda m: m.add(body.question, body.source, body.section, body.contains), request)


@api.put("/wordings/{wording_id}", dependencies=[Depends(require_bearer)])
def api_edit_wording(wording_id: str, body: WordingBody, request: Request) -> dict[str, Any]:
    """Change a staff wording (bundled ones are read-only: 403)."""
    return _wording_call(
        lambda m: m.update(wording_id, body.question, body.source, body.section, body.contains), request
    )


@api.delete("/wordings/{wording_id}", dependencies=[Depends(require_bearer)])
def api_delete_wording(wording_id: str, request: Request) -> dict[str, str]:
    """Remove a staff wording (bundled ones are read-only: 403)."""
    deleted = _wording_call(lambda m: m.delete(wording_id), request)
    return {"deleted": deleted["id"]}


def _wording_call(action: Any, request: Request) -> dict[str, Any]:
    try:
        wording: StaffWording = action(wording_manager(request))
    except WordingError as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from None
    log.info("staff wording %s: %s → %s · %s", wording.id, wording.question, wording.source, wording.section)
    return wording.to_api()


# --------------------------------------------------------------------------- pages


@pages.get("/admin/questions", dependencies=[Depends(require_session)])
def questions_page(request: Request, flt: Annotated[LogFilter, Depends(log_filter)]) -> HTMLResponse:
    """Most frequent questions and every entry matching the filters, with actions on not_found and 👎."""
    return _questions_page(request, flt)


@pages.get("/admin/questions.csv", dependencies=[Depends(require_session)])
def questions_csv_page(request: Request, flt: Annotated[LogFilter, Depends(log_filter)]) -> Response:
    """The filtered questions as a CSV download."""
    return csv_response(_log_or_404(request).entries(flt))


@pages.get("/admin/wordings", dependencies=[Depends(require_session)])
def wordings_page(
    request: Request,
    source: Annotated[str, Query(max_length=300)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """Staff wordings (edit, remove), the add form, and the bundled wordings (read-only)."""
    return _wordings_page(request, source=source, text=q)


@pages.post("/admin/wordings", dependencies=[Depends(require_session)])
def add_wording_page(
    request: Request,
    question: Annotated[str, Form(max_length=MAX_QUESTION_CHARS)] = "",
    source: Annotated[str, Form(max_length=300)] = "",
    section: Annotated[str, Form(max_length=300)] = "",
    contains: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Add a wording from a form (the wordings page, or a not_found on the questions page)."""
    return _wording_form_result(
        request, lambda m: m.add(question, source, section, contains), "已添加问法", source=source
    )


@pages.post("/admin/wordings/{wording_id}/edit", dependencies=[Depends(require_session)])
def edit_wording_page(
    request: Request,
    wording_id: str,
    question: Annotated[str, Form(max_length=MAX_QUESTION_CHARS)] = "",
    source: Annotated[str, Form(max_length=300)] = "",
    section: Annotated[str, Form(max_length=300)] = "",
    contains: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Save an edited staff wording."""
    return _wording_form_result(
        request, lambda m: m.update(wording_id, question, source, section, contains), "已保存问法"
    )


@pages.post("/admin/wordings/{wording_id}/delete", dependencies=[Depends(require_session)])
def delete_wording_page(request: Request, wording_id: str) -> HTMLResponse:
    """Remove a staff wording."""
    return _wording_form_result(request, lambda m: m.delete(wording_id), "已删除问法")


def _wording_form_result(request: Request, action: Any, done: str, source: str = "") -> HTMLResponse:
    try:
        wording: StaffWording = action(wording_manager(request))
    except WordingError as exc:
        return _wordings_page(request, _notice(exc.message, error=True), exc.status_code, source=source)
    log.info("staff wording %s (%s)", wording.id, done)
    message = f"{done}：「{wording.question}」→ {wording.source} · {wording.section}（下一次提问即生效）"
    return _wordings_page(request, _notice(message), source=wording.source)


# --------------------------------------------------------------------------- rendering (all text escaped)

PAGE_STYLE = """<style>
nav.gk{margin:8px 0} nav.gk a{margin-right:14px} form.inline{display:inline} .tag{font-size:12px;padding:1px 6px;
border-radius:8px;background:#eee;white-space:nowrap} .tag.nf{background:#fde2e1} .tag.down{background:#fde2e1}
.tag.ro{background:#e8eef8} td input[type=text]{width:100%;box-sizing:border-box} details.act{margin-top:4px}
</style>"""


def _header(title: str) -> str:
    return (
        f"{PAGE_STYLE}<header><h1>政务公开问答 · {_e(title)}</h1>"
        '<form method="post" action="/admin/logout"><button type="submit">退出登录</button></form></header>'
        '<main><nav class="gk"><a href="/admin">文件与上传</a><a href="/admin/questions">问题日志</a>'
        '<a href="/admin/questions?status=not_found">未找到答案</a><a href="/admin/questions?status=down">👎 不满意的回答</a>'
        '<a href="/admin/wordings">常见问法</a></nav>'
    )


def _questions_page(request: Request, flt: LogFilter) -> HTMLResponse:
    qlog = question_log(request)
    if qlog is None:
        return _page("问题日志", _header("问题日志") + _notice(LOG_OFF, error=True) + "</main>")
    entries = qlog.entries(flt)
    frequent = qlog.frequent(LogFilter(**{**vars(flt), "status": "all", "limit": 20}))
    sources = [d["source"] for d in request.app.state.assistant.documents()]
    query = urlencode({k: v for k, v in vars(flt).items() if v and k != "limit"})
    body = (
        _header("问题日志")
        + _filter_form(flt)
        + _frequent_table(frequent)
        + f'<section id="entries"><h2>提问记录（{len(entries)} 条，{_e(FILTER_ZH.get(flt.status, ""))}）</h2>'
        f'<p><a href="/admin/questions.csv?{_e(query)}">导出 CSV</a>　'
        f'<span class="muted">保留 {qlog.days} 天；只记录问题、答案、出处和评价，不记录 IP 地址等个人信息。时间为 UTC。</span></p>'
        + _entries_table(entries, sources)
        + "</section></main>"
    )
    return _page("问题日志", body)


def _filter_form(flt: LogFilter) -> str:
    options = "".join(
        f'<option value="{k}"{" selected" if flt.status == k else ""}>{_e(v)}</option>'
        for k, v in FILTER_ZH.items()
    )
    return (
        '<section id="filters"><form method="get" action="/admin/questions">'
        f'状态 <select name="status">{options}</select> '
        f'机构 <input name="agency" value="{_e(flt.agency)}" maxlength="100" placeholder="机构名称的一部分"> '
        f'从 <input type="date" name="since" value="{_e(flt.since)}"> 到 <input type="date" name="until" value="{_e(flt.until)}"> '
        '<button type="submit">筛选</button></form></section>'
    )


def _frequent_table(frequent: list[Any]) -> str:
    rows = "".join(
        f"<tr><td>{_e(f.question)}</td><td class='nw'>{f.count}</td><td class='nw'>{f.not_found}</td>"
        f"<td class='nw'>{f.down}</td><td class='nw'>{_e(f.last_time[:16].replace('T', ' '))}</td></tr>"
        for f in frequent
    )
    return (
        '<section id="frequent"><h2>最常问的问题</h2><table><thead><tr><th>问题</th><th>次数</th><th>未找到</th>'
        f"<th>不满意</th><th>最近一次</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _entries_table(entries: list[LogEntry], sources: list[str]) -> str:
    rows = []
    for e in entries:
        scope = " ".join(x for x in (e.agency, "、".join(f"{y}年" for y in e.years)) if x)
        status_cls = "tag nf" if e.status == "not_found" else "tag"
        rating = RATING_ZH.get(e.rating or "", "")
        comment = f"<div>{_e(e.comment)}</div>" if e.comment else ""
        cited = "".join(f"<li>{_e(s.get('source', ''))} · {_e(s.get('section', ''))}</li>" for s in e.sources)
        answer = f"<details><summary>答案</summary><pre>{_e(e.answer)}</pre></details>" if e.answer else ""
        actions = _actions(e, sources) if e.status == "not_found" or e.rating == "down" else ""
        rows.append(
            f'<tr id="q-{_e(e.id)}"><td class="nw">{_e(e.time[:19].replace("T", " "))}</td>'
            f"<td>{_e(e.question)}{answer}{actions}</td><td>{_e(scope)}</td>"
            f'<td class="nw"><span class="{status_cls}">{_e(STATUS_ZH.get(e.status, e.status))}</span> '
            f"{_e(PATH_ZH.get(e.path, e.path))}</td><td>{rating}{comment}</td>"
            f"<td><ul>{cited}</ul></td></tr>"
        )
    return (
        "<table><thead><tr><th>时间</th><th>问题与答案</th><th>范围</th><th>结果</th><th>评价</th><th>出处</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _actions(entry: LogEntry, sources: list[str]) -> str:
    """What staff can do about a not_found or a 👎: upload the missing report, or attach the question
    to the passage that answers it."""
    preset = entry.sources[0] if entry.sources else {}
    options = "".join(
        f'<option value="{_e(s)}"{" selected" if s == preset.get("source") else ""}>{_e(s)}</option>'
        for s in sources
    )
    return (
        '<details class="act"><summary>处理</summary>'
        '<p>缺少报告？<a href="/admin#upload">上传缺失的年度报告</a></p>'
        '<form method="post" action="/admin/wordings"><p>或把这个问题作为常见问法挂到回答它的段落上：</p>'
        f'<input type="text" name="question" value="{_e(entry.question)}" maxlength="{MAX_QUESTION_CHARS}" required>'
        f'<p>文件 <select name="source" required>{options}</select> '
        f'章节/条款/表格行 <input name="section" value="{_e(preset.get("section", ""))}" maxlength="300" required '
        'placeholder="如 第三十三条"> <button type="submit">添加问法</button></p></form></details>'
    )


def _wordings_page(
    request: Request, notice: str = "", status_code: int = 200, source: str = "", text: str = ""
) -> HTMLResponse:
    manager = wording_manager(request)
    staff = manager.find(origin="staff", source=source, text=text)
    bundled = manager.find(origin="bundled", source=source, text=text)
    sources = [d["source"] for d in request.app.state.assistant.documents()]
    options = "".join(
        f'<option value="{_e(s)}"{" selected" if s == source else ""}>{_e(s)}</option>' for s in sources
    )
    body = (
        _header("常见问法")
        + notice
        + '<section id="add-wording"><h2>添加常见问法</h2><form method="post" action="/admin/wordings">'
        f'问法 <input type="text" name="question" maxlength="{MAX_QUESTION_CHARS}" required placeholder="群众的说法，如：交了申请要等多久">'
        f'<p>文件 <select name="source" required>{options}</select> '
        '章节/条款/表格行 <input name="section" maxlength="300" required placeholder="如 第三十三条"> '
        '<button type="submit">添加</button></p></form>'
        '<p class="muted">问法挂到段落上后，相同或相近的提问会从这一段落回答并引用它；修改即时生效，无需重启。</p></section>'
        + _wording_filter(source, text, options)
        + f'<section id="staff-wordings"><h2>工作人员添加的问法（{len(staff)}）</h2>{_staff_table(staff)}</section>'
        + f'<section id="bundled-wordings"><h2>内置问法（{len(bundled)}，只读）</h2>{_bundled_table(bundled)}</section></main>'
    )
    return _page("常见问法", body, status_code=status_code)


def _wording_filter(source: str, text: str, options: str) -> str:
    return (
        '<section><form method="get" action="/admin/wordings">文件 <select name="source">'
        f'<option value="">全部</option>{options}</select> 问法包含 '
        f'<input name="q" value="{_e(text)}" maxlength="100"> <button type="submit">筛选</button></form></section>'
    )


def _staff_table(wordings: list[StaffWording]) -> str:
    rows = "".join(
        f'<tr id="w-{_e(w.id)}"><td><form method="post" action="/admin/wordings/{_e(w.id)}/edit">'
        f'<input type="text" name="question" value="{_e(w.question)}" maxlength="{MAX_QUESTION_CHARS}" required>'
        f'<input type="hidden" name="contains" value="{_e(w.contains)}">'
        f'文件 <input type="text" name="source" value="{_e(w.source)}" required> '
        f'章节 <input type="text" name="section" value="{_e(w.section)}" required> '
        '<button type="submit">保存</button></form></td>'
        f'<td class="nw"><form method="post" action="/admin/wordings/{_e(w.id)}/delete">'
        '<button type="submit">删除</button></form></td></tr>'
        for w in wordings
    )
    return f"<table><thead><tr><th>问法与段落</th><th></th></tr></thead><tbody>{rows}</tbody></table>"


def _bundled_table(wordings: list[StaffWording]) -> str:
    rows = "".join(
        f'<tr><td>{_e(w.question)}</td><td class="file">{_e(w.source)}</td><td>{_e(w.section)}</td>'
        '<td class="nw"><span class="tag ro">内置</span></td></tr>'
        for w in wordings
    )
    return (
        "<details><summary>展开</summary><table><thead><tr><th>问法</th><th>文件</th><th>章节</th><th></th></tr>"
        f"</thead><tbody>{rows}</tbody></table></details>"
    )

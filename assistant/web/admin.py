"""The staff area: upload reports, list and remove documents, check a draft report.

Server-rendered HTML pages under /admin (login form → HttpOnly SameSite=Strict session cookie) and
a JSON API under /api/admin (Authorization: Bearer <token>). With no GONGKAI_ADMIN_TOKEN every
route answers 404. The pages carry no script at all (see SecurityHeadersMiddleware's admin CSP).
"""

from __future__ import annotations

import html
import logging
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from assistant.inputs import clean_name
from assistant.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    bearer_token,
    client_key,
    session_value,
    too_large_message,
    valid_session,
    valid_token,
)
from assistant.web.widget import iframe_snippet, script_snippet

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".txt", ".pdf", ".docx", ".html", ".htm")
MAX_FILES_PER_UPLOAD = 20
STATUS_ZH = {
    "added": "已新增",
    "replaced": "已替换旧版本",
    "unchanged": "未变化（内容相同）",
    "error": "失败",
}
KIND_ZH = {"report": "年度报告", "regulation": "法规文件", "other": "其他"}

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/admin", tags=["admin"])


class LoginRequired(Exception):
    """Raised by the page dependency: answered with the login form and status 401."""


class UploadRejected(Exception):
    """An upload that breaks a limit: status 413 (too large) or 415 (type not allowed)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


# --------------------------------------------------------------------------- auth


def admin_enabled(request: Request) -> None:
    """Dependency: the whole staff area is 404 when no admin token is configured."""
    if not request.app.state.settings.admin_token:
        raise HTTPException(status_code=404, detail="Not Found")


def require_bearer(request: Request, _: None = Depends(admin_enabled)) -> None:
    """Dependency of the JSON admin API: `Authorization: Bearer <GONGKAI_ADMIN_TOKEN>`."""
    if not valid_token(request.app.state.settings.admin_token, bearer_token(request)):
        raise HTTPException(
            status_code=401,
            detail="需要管理令牌。Admin token required.",
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_session(request: Request, _: None = Depends(admin_enabled)) -> None:
    """Dependency of the admin pages: a valid session cookie from the login form."""
    if not valid_session(request.app.state.settings.admin_token, request.cookies.get(SESSION_COOKIE)):
        raise LoginRequired()


def login_required_response(request: Request | None, exc: Exception) -> HTMLResponse:
    """Exception handler for LoginRequired: the login form, status 401."""
    return login_page_401()


def login_page_401() -> HTMLResponse:
    """The login form asking to log in first, status 401."""
    return _page("登录", _login_form("请先登录。"), status_code=401)


# --------------------------------------------------------------------------- uploads


def upload_name(filename: str | None) -> str:
    """The bare file name of an upload (no folders, either slash, no control characters)."""
    return clean_name(filename or "")


async def read_uploads(files: list[UploadFile], max_bytes: int) -> list[tuple[str, bytes]]:
    """Names and contents of uploaded files; UploadRejected (415/413) before anything is ingested."""
    if not files:
        raise UploadRejected(422, "请选择要上传的文件。No file was uploaded.")
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise UploadRejected(
            413,
            f"一次最多上传 {MAX_FILES_PER_UPLOAD} 个文件。At most {MAX_FILES_PER_UPLOAD} files per upload.",
        )
    names = [upload_name(f.filename) for f in files]
    allowed = " ".join(ALLOWED_SUFFIXES)
    for name in names:
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise UploadRejected(
                415,
                f"{name or '（无文件名）'}：不支持的文件类型，只接受 {allowed}。"
                f"{name or '(no name)'}: unsupported file type; allowed: {allowed}.",
            )
    out = []
    for name, upload in zip(names, files, strict=True):
        if upload.size is not None and upload.size > max_bytes:
            raise UploadRejected(413, too_large_message(max_bytes, name))
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UploadRejected(413, too_large_message(max_bytes, name))
        out.append((name, data))
    return out


async def ingest_uploads(request: Request, files: list[UploadFile]) -> list[dict[str, Any]]:
    """Ingest every uploaded file; one result dict per file (status, messages, consistency warnings)."""
    state = request.app.state
    results = []
    for name, data in await read_uploads(files, state.settings.max_upload_bytes):
        result = await run_in_threadpool(state.assistant.ingest_bytes, name, data)
        log.info("admin upload %s: %s", name, result.status)
        results.append(asdict(result))
    return results


async def check_upload(request: Request, file: UploadFile) -> dict[str, Any]:
    """Run the report checker on one uploaded draft (never added to the corpus)."""
    state = request.app.state
    ((name, data),) = await read_uploads([file], state.settings.max_upload_bytes)
    report = await run_in_threadpool(state.assistant.check_draft, name, data)
    checked: dict[str, Any] = report.to_dict()
    return checked


# --------------------------------------------------------------------------- JSON API


@api.get("/documents", dependencies=[Depends(require_bearer)])
def api_documents(request: Request) -> list[dict[str, Any]]:
    """Every document with its kind, agency, year, number of facts and consistency warnings."""
    rows: list[dict[str, Any]] = request.app.state.assistant.documents()
    return rows


@api.post("/documents", dependencies=[Depends(require_bearer)])
async def api_upload(request: Request, files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
    """Upload one or more reports (.txt .pdf .docx .html .htm); per file the ingest result and its warnings."""
    try:
        return {"results": await ingest_uploads(request, files)}
    except UploadRejected as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from None


@api.delete("/documents/{source}", dependencies=[Depends(require_bearer)])
def api_remove(source: str, request: Request) -> dict[str, list[str]]:
    """Remove a document (by its file name) with its chunks and facts."""
    removed = request.app.state.assistant.remove(source)
    if not removed:
        raise HTTPException(status_code=404, detail="没有这个文件。No such document.")
    return {"removed": removed}


@api.post("/check", dependencies=[Depends(require_bearer)])
async def api_check(request: Request, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Check a draft annual report: format problems and arithmetic rules (row, expected, found). Not stored."""
    try:
        return await check_upload(request, file)
    except UploadRejected as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from None


# --------------------------------------------------------------------------- agencies


class AgencyMerge(BaseModel):
    """Two agencies that are one: `merge` is filed under `keep` (either by any recorded name)."""

    keep: str = Field(min_length=1, max_length=200, description="The agency (or any of its names) to keep")
    merge: str = Field(
        min_length=1, max_length=200, description="The agency (or any of its names) merged into it"
    )


def merge_agencies(request: Request, keep: str, merge: str) -> dict[str, Any]:
    """Merge two agencies in the store; HTTPException 404 for an unknown name, 422 when they are one."""
    store = request.app.state.assistant.store
    try:
        canonical, renamed = store.merge_agencies(keep.strip(), merge.strip())
    except KeyError as exc:
        name = exc.args[0] if exc.args else ""
        raise HTTPException(
            status_code=404, detail=f"没有这个机构：{name}。No such agency: {name}."
        ) from None
    except ValueError:
        raise HTTPException(
            status_code=422, detail="两个名称已是同一机构。Both names are one agency already."
        ) from None
    log.info("admin merged agency %s into %s (%d documents)", merge, canonical, len(renamed))
    return {
        "agency": canonical,
        "documents": len(renamed),
        "aliases": store.agency_aliases().get(canonical, []),
    }


@api.get("/agencies", dependencies=[Depends(require_bearer)])
def api_agencies(request: Request) -> dict[str, list[str]]:
    """Every agency holding a document: its canonical name and its aliases, longest first."""
    aliases: dict[str, list[str]] = request.app.state.assistant.store.agency_aliases()
    return aliases


@api.post("/agencies/merge", dependencies=[Depends(require_bearer)])
def api_merge_agencies(body: AgencyMerge, request: Request) -> dict[str, Any]:
    """Merge two agencies the naming rule kept apart: `merge`'s documents, chunks and names go under
    `keep`, which stays the canonical name. Persisted in the catalog."""
    return merge_agencies(request, body.keep, body.merge)


# --------------------------------------------------------------------------- HTML pages


@pages.get("/admin/login", dependencies=[Depends(admin_enabled)])
def login_page(request: Request) -> Response:
    """The login form (the only staff page open without a session)."""
    if valid_session(request.app.state.settings.admin_token, request.cookies.get(SESSION_COOKIE)):
        return RedirectResponse("/admin", status_code=303)
    return _page("登录", _login_form())


@pages.post("/admin/login", dependencies=[Depends(admin_enabled)])
def login(request: Request, token: Annotated[str, Form()] = "") -> Response:
    """Check the token; on success set the session cookie (an HMAC, never the token) and go to /admin."""
    state = request.app.state
    if not state.login_limiter.hit(client_key(request)):
        return _page("登录", _login_form("尝试次数过多，请稍后再试。"), status_code=429)
    if not valid_token(state.settings.admin_token, token.strip()):
        return _page("登录", _login_form("令牌不正确。"), status_code=401)
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_value(state.settings.admin_token),
        max_age=SESSION_MAX_AGE,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@pages.post("/admin/logout", dependencies=[Depends(require_session)])
def logout() -> Response:
    """End the session."""
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin", httponly=True, samesite="strict")
    return response


@pages.get("/admin", dependencies=[Depends(require_session)])
def dashboard(request: Request) -> HTMLResponse:
    """Upload, checker and document list."""
    return _dashboard(request)


@pages.post("/admin/upload", dependencies=[Depends(require_session)])
async def upload_page(
    request: Request, files: Annotated[list[UploadFile] | None, File()] = None
) -> HTMLResponse:
    """Upload reports from the form; the page shows each file's result and warnings above the list."""
    files = [f for f in files or [] if f.filename]
    try:
        results = await ingest_uploads(request, files)
    except UploadRejected as exc:
        return _dashboard(request, _notice(exc.message, error=True), status_code=exc.status_code)
    return _dashboard(request, _upload_results(results))


@pages.post("/admin/remove", dependencies=[Depends(require_session)])
def remove_page(request: Request, source: Annotated[str, Form()]) -> HTMLResponse:
    """Remove one document from the corpus."""
    removed = request.app.state.assistant.remove(source)
    if not removed:
        return _dashboard(request, _notice(f"没有找到文件：{source}", error=True), status_code=404)
    return _dashboard(request, _notice("已删除：" + "、".join(removed)))


@pages.post("/admin/agencies/merge", dependencies=[Depends(require_session)])
def merge_page(
    request: Request, keep: Annotated[str, Form()] = "", merge: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Merge two agencies from the form on the staff page."""
    if not keep.strip() or not merge.strip():
        return _dashboard(request, _notice("请填写两个机构名称。", error=True), status_code=422)
    try:
        result = merge_agencies(request, keep, merge)
    except HTTPException as exc:
        return _dashboard(request, _notice(str(exc.detail), error=True), status_code=exc.status_code)
    return _dashboard(
        request,
        _notice(f"已将「{merge.strip()}」合并到「{result['agency']}」（{result['documents']} 个文件）。"),
    )


@pages.post("/admin/check", dependencies=[Depends(require_session)])
async def check_page(request: Request, file: Annotated[UploadFile | None, File()] = None) -> HTMLResponse:
    """Check a draft report from the form and show every problem (not added to the corpus)."""
    if file is None or not file.filename:
        return _dashboard(request, _notice("请选择要检查的文件。", error=True), status_code=422)
    try:
        report = await check_upload(request, file)
    except UploadRejected as exc:
        return _dashboard(request, _notice(exc.message, error=True), status_code=exc.status_code)
    return _dashboard(request, _check_report(report))


# --------------------------------------------------------------------------- rendering (all text escaped)

_e = html.escape

STYLE = """
body{font:15px/1.6 "WenQuanYi Zen Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#f6f6f4}
header{background:#c4161c;color:#fff;padding:10px 24px;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:19px;margin:0} header form{margin:0}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 18px;margin:14px 0}
h2{font-size:17px;margin:4px 0 10px} table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #ddd;padding:5px 8px;text-align:left;vertical-align:top} th{background:#f0f0ec;white-space:nowrap}
td{word-break:break-word} td.nw{white-space:nowrap} td.file{max-width:280px;word-break:break-all}
.ok{color:#17803d} .bad{color:#b3261e} .notice{border-left:4px solid #17803d}
.notice.error{border-left-color:#b3261e} ul{margin:4px 0;padding-left:22px} code,pre{background:#f3f3f3}
pre{padding:8px;white-space:pre-wrap;word-break:break-all} .muted{color:#777;font-size:13px}
button{cursor:pointer} input[type=password]{padding:6px;width:280px}
"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    doc = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)} · 政务公开问答管理</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status_code)


def _login_form(message: str = "") -> str:
    note = f'<p class="bad">{_e(message)}</p>' if message else ""
    return (
        "<header><h1>政务公开问答 · 管理</h1></header><main><section><h2>工作人员登录</h2>"
        f'{note}<form method="post" action="/admin/login">'
        '<label>管理令牌 <input type="password" name="token" autocomplete="current-password" required autofocus>'
        '</label> <button type="submit">登录</button></form>'
        '<p class="muted">令牌即服务器上设置的 GONGKAI_ADMIN_TOKEN。</p></section></main>'
    )


def _dashboard(request: Request, notice: str = "", status_code: int = 200) -> HTMLResponse:
    assistant = request.app.state.assistant
    docs = assistant.documents()
    agencies = assistant.scope_options().get("agencies", [])
    accept = ",".join(ALLOWED_SUFFIXES)
    mb = f"{request.app.state.settings.max_upload_mb:g}"
    body = (
        "<header><h1>政务公开问答 · 管理</h1>"
        '<form method="post" action="/admin/logout"><button type="submit">退出登录</button></form></header><main>'
        '<p><a href="/admin/questions">问题日志</a>　<a href="/admin/questions?status=not_found">未找到答案的问题</a>　'
        '<a href="/admin/questions?status=down">👎 评价</a>　<a href="/admin/wordings">常见问法</a></p>'
        f"{notice}"
        '<section id="upload"><h2>上传年度报告</h2><form method="post" action="/admin/upload" enctype="multipart/form-data">'
        f'<input type="file" name="files" multiple accept="{accept}" required> '
        '<button type="submit">上传并入库</button></form>'
        f'<p class="muted">支持 {_e(" ".join(ALLOWED_SUFFIXES))}，每个文件不超过 {mb} MB，'
        f"一次最多 {MAX_FILES_PER_UPLOAD} 个。同名文件会替换旧版本；内容相同则不变。</p></section>"
        '<section><h2>检查报告草稿</h2><form method="post" action="/admin/check" enctype="multipart/form-data">'
        f'<input type="file" name="file" accept="{accept}" required> <button type="submit">检查</button></form>'
        '<p class="muted">检查格式（六个部分、三张统计表）和表三的勾稽关系；草稿不会加入资料库。</p></section>'
        f"{_documents_table(docs)}{_agencies_section(request)}{_embed_help(request, agencies)}</main>"
    )
    return _page("管理", body, status_code=status_code)


def _notice(message: str, error: bool = False) -> str:
    cls = "notice error" if error else "notice"
    return f'<section class="{cls}" id="notice"><p class="{"bad" if error else "ok"}">{_e(message)}</p></section>'


def _documents_table(docs: list[dict[str, Any]]) -> str:
    rows = []
    for d in docs:
        warnings = d.get("warnings") or []
        warn_html = (
            f"<details><summary>{len(warnings)} 条提示</summary><ul>"
            + "".join(f"<li>{_e(str(w))}</li>" for w in warnings)
            + "</ul></details>"
            if warnings
            else '<span class="ok">无</span>'
        )
        rows.append(
            f'<tr><td class="file">{_e(str(d.get("source", "")))}</td><td>{_e(str(d.get("title") or ""))}</td>'
            f'<td class="nw">{_e(KIND_ZH.get(d.get("kind", ""), str(d.get("kind", ""))))}</td>'
            f'<td>{_e(str(d.get("agency") or ""))}</td><td class="nw">{_e(str(d.get("year") or ""))}</td>'
            f'<td class="nw">{_e(str(d.get("facts", "")))}</td><td class="nw">{warn_html}</td>'
            '<td class="nw"><form method="post" action="/admin/remove">'
            f'<input type="hidden" name="source" value="{_e(str(d.get("source", "")))}">'
            '<button type="submit">删除</button></form></td></tr>'
        )
    return (
        f'<section id="documents"><h2>资料库文件（{len(docs)}）</h2><table><thead><tr><th>文件</th><th>标题</th>'
        "<th>类型</th><th>机构</th><th>年度</th><th>数据项</th><th>一致性提示</th><th></th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _upload_results(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        status = r.get("status", "")
        cls = "bad" if status == "error" else "ok"
        what = " ".join(
            x
            for x in (
                KIND_ZH.get(r.get("kind", ""), ""),
                str(r.get("agency") or ""),
                str(r.get("year") or ""),
            )
            if x
        )
        warnings = r.get("warnings") or []
        detail = _e(r.get("message_zh") or "")
        if warnings:
            detail += "<ul>" + "".join(f"<li>{_e(str(w))}</li>" for w in warnings) + "</ul>"
        elif status != "error":
            detail += '<span class="ok">勾稽关系和格式检查均通过</span>' if r.get("kind") == "report" else ""
        detail += _recognition(r.get("recognition") or [])
        rows.append(
            f'<tr><td>{_e(str(r.get("source", "")))}</td><td class="{cls}">{_e(STATUS_ZH.get(status, status))}</td>'
            f"<td>{_e(what)}</td><td>{_e(str(r.get('chunks', 0)))} 段 / {_e(str(r.get('facts', 0)))} 项</td>"
            f"<td>{detail}</td></tr>"
        )
    return (
        '<section class="notice" id="upload-results"><h2>上传结果</h2><table><thead><tr><th>文件</th><th>结果</th>'
        "<th>识别为</th><th>内容</th><th>提示</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _recognition(lines: list[str]) -> str:
    """What ingest recognised in a report (tables and their cells, facts, fuzzy labels), folded."""
    if not lines:
        return ""
    items = "".join(f"<li>{_e(str(line))}</li>" for line in lines)
    return f'<details class="recognition"><summary>{_e(str(lines[0]))}</summary><ul>{items}</ul></details>'


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_report(report: dict[str, Any]) -> str:
    name = _e(str(report.get("source", "")))
    if report.get("error_zh") or report.get("error_en"):
        message = str(report.get("error_zh") or report.get("error_en"))
        return f'<section class="notice error" id="check-report"><h2>检查结果：{name}</h2><p class="bad">{_e(message)}</p></section>'
    checks = report.get("checks") or []
    failed = [c for c in checks if not c.get("ok")]
    problems = report.get("problems") or []
    who = " ".join(x for x in (str(report.get("agency") or ""), str(report.get("year") or "")) if x)
    if report.get("ok"):
        verdict = f'<p class="ok">未发现问题：格式完整，{len(checks)} 项勾稽关系全部成立。</p>'
    else:
        verdict = f'<p class="bad">发现 {len(problems)} 个格式问题、{len(failed)} 处数字不一致。</p>'
    problem_html = (
        "<h3>格式问题</h3><ul>" + "".join(f"<li>{_e(str(p))}</li>" for p in problems) + "</ul>"
        if problems
        else ""
    )
    rows = "".join(
        f'<tr><td class="nw {"ok" if c.get("ok") else "bad"}">{"✔ 成立" if c.get("ok") else "✘ 不成立"}</td>'
        f"<td>{_e(str(c.get('row') or ''))}</td><td>{_e(_number(c.get('expected')))}</td>"
        f"<td>{_e(_number(c.get('found')))}</td><td>{_e(str(c.get('message_zh') or c.get('rule') or ''))}</td></tr>"
        for c in sorted(checks, key=lambda c: bool(c.get("ok")))
    )
    table = (
        "<h3>数字核对</h3><table><thead><tr><th>结果</th><th>行</th><th>应为</th><th>实际</th><th>说明</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if checks
        else ""
    )
    cls = "notice" if report.get("ok") else "notice error"
    title = _e(str(report.get("title") or ""))
    return (
        f'<section class="{cls}" id="check-report"><h2>检查结果：{name}</h2>'
        f'<p class="muted">{title} {_e(who)}（草稿未加入资料库）</p>{verdict}{problem_html}{table}</section>'
    )


def _agencies_section(request: Request) -> str:
    """Agencies with their aliases, and the form that merges two of them."""
    store = getattr(request.app.state.assistant, "store", None)
    if store is None:
        return ""
    rows = "".join(
        f"<tr><td>{_e(canonical)}</td><td>{_e('、'.join(a for a in names if a != canonical))}</td></tr>"
        for canonical, names in sorted(store.agency_aliases().items())
    )
    return (
        '<section id="agencies"><h2>机构与别名</h2><table><thead><tr><th>机构（规范名称）</th><th>别名</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
        '<form method="post" action="/admin/agencies/merge"><p>规则未能识别为同一机构时，可手工合并：'
        '保留 <input name="keep" required maxlength="200" placeholder="保留的机构名称"> '
        '合并 <input name="merge" required maxlength="200" placeholder="并入的机构名称"> '
        '<button type="submit">合并</button></p></form>'
        '<p class="muted">合并后，被并入机构的报告、数据项和别名都归入保留的机构；合并会保存在资料库中。</p></section>'
    )


def _embed_help(request: Request, agencies: list[str]) -> str:
    base = str(request.base_url).rstrip("/")
    agency = agencies[0] if agencies else ""
    return (
        '<section id="embed"><h2>嵌入到门户网站</h2>'
        "<p>在门户页面中加入下面一行，页面右下角会出现「政务问答」按钮，点开即为限定本机构的问答：</p>"
        f"<pre>{_e(script_snippet(base, agency))}</pre>"
        "<p>或直接用 iframe 嵌入：</p>"
        f"<pre>{_e(iframe_snippet(base, agency))}</pre>"
        f'<p class="muted">可用的机构名：{_e("、".join(agencies) or "（暂无）")}</p></section>'
    )

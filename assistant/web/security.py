"""Protection for a public deployment: rate limits, security headers, admin auth before the body, error handlers."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

RATE_LIMITED_ZH = "提问过于频繁，请稍后再试。"
RATE_LIMITED_EN = "Too many questions, please try again later."
INTERNAL_ERROR = "服务器内部错误，请稍后再试。Internal server error, please try again later."
BAD_REQUEST = "请求格式不正确。The request is not valid."
TOO_LARGE = "请求内容过大。The request body is too large."
TOO_MANY_ATTEMPTS = "尝试次数过多，请稍后再试。Too many attempts, please try again later."
ADMIN_TOKEN_REQUIRED = "需要管理令牌。Admin token required."
NOT_AVAILABLE = "此功能未开放。Not available."
# Gradio's file upload: the chat takes no files, so nobody may store any through it.
CLOSED_PATHS = ("/gradio_api/upload", "/upload")

ADMIN_PREFIXES = ("/admin", "/api/admin")
ADMIN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SESSION_COOKIE = "gongkai_admin"
SESSION_MAX_AGE = 8 * 3600


def is_admin_path(path: str) -> bool:
    """True for the staff area: /admin… and /api/admin…"""
    return any(path == p or path.startswith(p + "/") for p in ADMIN_PREFIXES)


def client_key(request: object | None) -> str:
    """The rate-limit key of a request: the client IP (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    client = getattr(request, "client", None) if request is not None else None
    host = getattr(client, "host", None) if client is not None else None
    return host or "unknown"


class RateLimiter:
    """Sliding-window limit: at most `limit` hits per `window` seconds for each key. Thread-safe."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> bool:
        """Record one hit for `key`; False (and nothing recorded) when the key is over its limit."""
        now = time.monotonic() if now is None else now
        cutoff = now - self.window
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._prune(cutoff)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= cutoff:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def blocked(self, key: str, now: float | None = None) -> bool:
        """True when `key` has used up its hits in the current window (nothing recorded)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return False
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            return len(hits) >= self.limit

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds until `key` may hit again (0 if it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) < self.limit:
                return 0
            return max(1, int(hits[0] + self.window - now + 0.999))

    def _prune(self, cutoff: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= cutoff]:
            del self._hits[key]


# --------------------------------------------------------------------------- admin session


def session_value(token: str, issued: int | None = None) -> str:
    """Cookie value for a staff session: issue time and an HMAC keyed by the admin token (never the token)."""
    issued = int(time.time()) if issued is None else issued
    signature = hmac.new(token.encode(), f"gongkai-admin:{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{signature}"


def valid_session(token: str, value: str | None, now: float | None = None) -> bool:
    """True when `value` is a session cookie made with `token` and not older than SESSION_MAX_AGE."""
    if not token or not value or "." not in value:
        return False
    issued_text, _, _ = value.partition(".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    now = time.time() if now is None else now
    if not (now - SESSION_MAX_AGE <= issued <= now + 60):
        return False
    return hmac.compare_digest(session_value(token, issued).encode(), value.encode())


def valid_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a presented admin token with the configured one."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


# --------------------------------------------------------------------------- ASGI middleware


class SecurityHeadersMiddleware:
    """Frame and content-type headers on every response; the staff area gets no CORS and may not be framed.

    Chat pages, the widget and the public API: `Content-Security-Policy: frame-ancestors <settings>`.
    Staff area: a strict CSP (no scripts at all), `X-Frame-Options: DENY`, `Cache-Control: no-store`,
    and any Access-Control-* header removed, so no other origin can read it.
    """

    def __init__(self, app: ASGIApp, frame_ancestors: str = "*") -> None:
        self.app = app
        self.chat_csp = f"frame-ancestors {frame_ancestors_value(frame_ancestors)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        admin = is_admin_path(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if admin:
                    for name in [k for k in headers if k.lower().startswith("access-control-")]:
                        del headers[name]
                    headers["Content-Security-Policy"] = ADMIN_CSP
                    headers["X-Frame-Options"] = "DENY"
                    headers["Cache-Control"] = "no-store"
                    headers["Referrer-Policy"] = "no-referrer"
                else:
                    headers["Content-Security-Policy"] = self.chat_csp
                    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def frame_ancestors_value(setting: str) -> str:
    """The CSP frame-ancestors source list for the chat pages from the setting ('*' = any site)."""
    sources = setting.split()
    if not sources or "*" in sources:
        return "*"
    return " ".join(["'self'", *[s for s in sources if s != "'self'"]])


class AdminGateMiddleware:
    """The staff area's checks that must come before a request body is read, and closed routes.

    FastAPI reads and parses a request body (a multipart upload spooled to disk) before any route
    dependency runs, so the token checks of admin.py alone would come after the upload. Here:
    - no admin token configured: every staff path answers 404;
    - `/api/admin/…`: a valid `Authorization: Bearer` token, else 401; a client that sent
      `attempts.limit` wrong tokens in the window gets 429 (the login form counts into the same
      limiter, so guessing through either surface is limited);
    - `POST /admin/…` (except the login form): a valid session cookie, else 401 with the login page;
    - Gradio's file upload route: 404 (the chat takes no files).
    Body sizes are FastAPI's `max_body_size` (app.py), which also counts bodies sent without a length.
    """

    def __init__(
        self,
        app: ASGIApp,
        admin_token: str,
        attempts: RateLimiter,
        login_page: Callable[[], Response],
        closed_paths: tuple[str, ...] = CLOSED_PATHS,
    ) -> None:
        self.app = app
        self.admin_token = admin_token
        self.attempts = attempts
        self.login_page = login_page
        self.closed_paths = closed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = self.refusal(Request(scope))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> Response | None:
        """The response that refuses `request` before its body is read, or None to let it through."""
        path = request.url.path.rstrip("/") or "/"
        if path in self.closed_paths:
            return JSONResponse({"detail": NOT_AVAILABLE}, status_code=404)
        if not is_admin_path(path):
            return None
        if not self.admin_token:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        if path.startswith("/api/admin"):
            return self.bearer_refusal(request)
        if request.method == "POST" and path != "/admin/login":
            if not valid_session(self.admin_token, request.cookies.get(SESSION_COOKIE)):
                return self.login_page()
        return None

    def bearer_refusal(self, request: Request) -> Response | None:
        """429 while the client is over its attempts, 401 (and one attempt counted) for a wrong token."""
        key = client_key(request)
        if self.attempts.blocked(key):
            return JSONResponse(
                {"detail": TOO_MANY_ATTEMPTS},
                status_code=429,
                headers={"Retry-After": str(self.attempts.retry_after(key) or 60)},
            )
        given = bearer_token(request)
        if valid_token(self.admin_token, given):
            return None
        if given is not None:
            self.attempts.hit(key)
        return JSONResponse(
            {"detail": ADMIN_TOKEN_REQUIRED}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )


def too_large_message(max_bytes: int, name: str = "") -> str:
    """Bilingual 413 message."""
    mb = max_bytes / (1024 * 1024)
    who_zh = f"{name}：" if name else ""
    who_en = f"{name}: " if name else ""
    return f"{who_zh}文件过大，上限为 {mb:g} MB。{who_en}File too large, the limit is {mb:g} MB."


# --------------------------------------------------------------------------- error handlers


def install_error_handlers(app: FastAPI) -> None:
    """No stack traces, file paths or echoed inputs in error responses."""

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": BAD_REQUEST, "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 413 and exc.detail == "Content Too Large":  # the body limit of FastAPI
            return JSONResponse({"detail": TOO_LARGE}, status_code=413)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)

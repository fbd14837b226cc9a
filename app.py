"""The web app: Gradio chat at /, JSON API under /api, widget at /widget.js, staff area at /admin.

Run `python app.py` (settings from GONGKAI_* environment variables or .env), or
`uvicorn app:create_app --factory`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from assistant.config import Settings, get_settings
from assistant.service import Assistant
from assistant.web import admin, api, documents, insights, widget
from assistant.web.chat import CSS, build_chat
from assistant.web.security import (
    AdminGateMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    install_error_handlers,
)

FORM_OVERHEAD_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """One FastAPI app with every web surface; the API and admin routes take precedence over the chat at /."""
    settings = settings or get_settings()
    assistant = assistant or Assistant(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """On start, warm the assistant in the background (the server listens meanwhile)."""
        start_warm_up = getattr(assistant, "start_warm_up", None)
        if settings.warm_up and start_warm_up is not None:
            start_warm_up()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="gongkai",
        summary="政府信息公开工作年度报告问答 / Q&A over government information-disclosure annual reports",
        version="0.1.0",
        max_body_size=settings.max_request_bytes,  # the staff routes below allow their uploads
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.login_limiter = RateLimiter(settings.admin_attempts_per_minute)  # login form and Bearer API
    upload_limit = settings.max_upload_bytes * admin.MAX_FILES_PER_UPLOAD + FORM_OVERHEAD_BYTES

    install_error_handlers(app)
    app.add_exception_handler(admin.LoginRequired, admin.login_required_response)
    app.include_router(api.router)
    app.include_router(admin.api, max_body_size=upload_limit)
    app.include_router(admin.pages, max_body_size=upload_limit)
    app.include_router(widget.router)
    app.include_router(documents.router)  # /documents/{source}: the page a citation's url opens
    insights.install(app)  # question log, feedback, common wordings

    # Middleware: the last added runs first. SecurityHeaders strips CORS headers from the staff area.
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(
        AdminGateMiddleware,
        admin_token=settings.admin_token,
        attempts=app.state.login_limiter,
        login_page=admin.login_page_401,
    )
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)

    blocks = build_chat(assistant, settings, app.state.limiter)
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        footer_links=[],
        run_history=False,
        show_error=False,
        ssr_mode=False,
        mcp_server=False,
        max_file_size="1mb",  # the chat takes no files; uploads go through the staff area
        css=CSS,
    )


def main(settings: Settings | None = None) -> None:
    """Ingest the bundled corpus on first start, then serve on settings.host:settings.port."""
    import uvicorn

    settings = settings or get_settings()
    assistant = Assistant(settings)
    print(f"gongkai: 资料库 / data dir: {settings.data_dir}", flush=True)
    if settings.ingest_bundled and assistant.store.is_empty():
        print(
            "gongkai: 首次启动，正在导入内置资料（约一分钟）… / first start: ingesting the bundled corpus…",
            flush=True,
        )
    for result in assistant.ensure_bundled_corpus():
        line = f"  {result.status:<9} {result.source}"
        print(line + (f"  {result.message_en}" if result.status == "error" else ""), flush=True)
    assistant.sweep_orphans()  # vectors a crash left behind
    print(f"gongkai: {len(assistant.public_documents())} 个文件 / documents", flush=True)
    if not settings.admin_token:
        print("gongkai: 未设置 GONGKAI_ADMIN_TOKEN，管理页面已关闭 / staff area off", flush=True)
    print(f"gongkai: http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(create_app(settings, assistant), host=settings.host, port=settings.port)


if __name__ == "__main__":
    from assistant.cli import main as cli_main

    raise SystemExit(cli_main(["serve"]))  # same as `gongkai serve`, with its data-dir messages

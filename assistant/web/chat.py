"""The citizens' chat: a Gradio Blocks page with a scope selector, streaming answers and source cards."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from assistant.inputs import clean_text
from assistant.types import Answer
from assistant.web.render import escape_text, render_answer_content, render_partial, render_question
from assistant.web.security import RATE_LIMITED_ZH, RateLimiter, client_key

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.service import Assistant

log = logging.getLogger(__name__)

ALL = "全部"
TITLE = "政务公开问答"
EXAMPLES = [
    "2022年小岔乡拒绝了多少政府信息公开申请？",
    "平潭综合实验区2021年收到多少政府信息公开申请？",
    "申请公开政府信息要收费吗？",
    "行政机关答复政府信息公开申请的期限是多久？",
    "How many disclosure applications did 小岔乡 refuse in 2022?",
]
HEADER = (
    f"## {TITLE}\n"
    "根据各机关发布的《政府信息公开工作年度报告》和政府信息公开法规作答，每个答案都附有出处，"
    "点开「来源」可查看原文。也可以用英文提问。"
)
ERROR_ZH = "抱歉，系统暂时无法回答，请稍后再试。Sorry, the assistant could not answer just now."
HISTORY_TURNS = 10  # earlier turns sent with each question, for follow-ups ("那2021年呢？")
MAX_COMMENT_CHARS = 1000
ANSWER_ID_RE = re.compile(r"<!-- gk-answer:([0-9a-f]{16}) -->")
FEEDBACK_THANKS_ZH = (
    "感谢您的评价！如愿意，可以补充说明哪里不对或缺少什么（可选，请勿填写姓名、电话等个人信息）："
)
FEEDBACK_DONE_ZH = "已收到，谢谢！Thank you for your feedback."
CSS = """
.gk-cites { margin-top: .4em; }
.gk-cites-head { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .2em; }
details.gk-cite { border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: .25em .6em; margin: .3em 0; background: var(--background-fill-secondary); }
details.gk-cite summary { cursor: pointer; font-size: .9em; }
.gk-cite-title { font-size: .85em; color: var(--body-text-color-subdued); margin: .3em 0; }
.gk-cite-quote { font-size: .88em; margin: .3em 0; white-space: normal; }
table.gk-cite-table { font-size: .82em; border-collapse: collapse; margin: .3em 0; }
table.gk-cite-table th, table.gk-cite-table td { border: 1px solid var(--border-color-primary);
  padding: .1em .4em; text-align: right; }
table.gk-cite-table tbody th { text-align: left; font-weight: normal; }
.gk-cite-note, .gk-cite-link { font-size: .82em; margin: .2em 0; }
.gk-chart { min-height: 260px; }
"""


def too_long_message(max_chars: int) -> str:
    """Chinese + English message for a question over the length limit."""
    return (
        f"问题过长，请不要超过 {max_chars} 个字。The question is too long (at most {max_chars} characters)."
    )


def parse_year(value: Any) -> int | None:
    """'2022' / 2022 → 2022; '全部', '', None or junk → None."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 1900 <= int(text) <= 2100 else None


def parse_agency(value: Any) -> str | None:
    """Dropdown value → agency filter ('全部' and blank → None)."""
    text = str(value or "").strip()
    return None if not text or text == ALL else text[:100]


def match_agency(wanted: str, agencies: list[str]) -> str | None:
    """The known agency a URL parameter such as '小岔乡' names (exact, else by substring), if any."""
    if wanted in agencies:
        return wanted
    for agency in agencies:
        if wanted in agency or agency in wanted:
            return agency
    return None


def scope_choices(assistant: Assistant, agency_param: str = "", year_param: str = "") -> dict[str, Any]:
    """Dropdown choices and preset values for the scope selector, from the corpus and the URL parameters."""
    try:
        options = assistant.scope_options()
    except Exception:
        log.exception("scope options unavailable")
        options = {"agencies": [], "years": []}
    agencies = [ALL, *options.get("agencies", [])]
    years = [ALL, *[str(y) for y in options.get("years", [])]]
    agency_value = ALL
    wanted = (agency_param or "").strip()[:100]
    if wanted:
        agency_value = match_agency(wanted, agencies[1:]) or wanted
        if agency_value not in agencies:
            agencies.append(agency_value)  # unknown here: the assistant says so when asked
    year_value = ALL
    year = parse_year(year_param)
    if year is not None:
        year_value = str(year)
        if year_value not in years:
            years.append(year_value)
    return {"agencies": agencies, "agency": agency_value, "years": years, "year": year_value}


def with_answer_id(content: str | list[Any], entry_id: str | None) -> str | list[Any]:
    """The answer's message with its log id in an HTML comment (never shown): a 👍/👎 event carries
    the message, so the id is found even before the chat's id state has caught up."""
    if not entry_id:
        return content
    marker = f"<!-- gk-answer:{entry_id} -->"
    if isinstance(content, str):
        return content + marker
    if content and isinstance(content[0], str):
        return [content[0] + marker, *content[1:]]
    return content


class ChatHandlers:
    """The chat's event handlers, kept apart from the layout so tests can call them directly."""

    def __init__(self, assistant: Assistant, settings: Settings, limiter: RateLimiter) -> None:
        self.assistant = assistant
        self.settings = settings
        self.limiter = limiter

    def on_load(self, request: gr.Request) -> tuple[dict, dict, dict]:
        """Fill the scope selector; URL parameters agency/year preset it, embed=1 hides the header."""
        params = dict(request.query_params) if request is not None else {}
        scope = scope_choices(self.assistant, params.get("agency", ""), params.get("year", ""))
        embed = params.get("embed", "") in ("1", "true", "yes")
        return (
            gr.update(choices=scope["agencies"], value=scope["agency"]),
            gr.update(choices=scope["years"], value=scope["year"]),
            gr.update(visible=not embed),
        )

    def respond(
        self,
        message: str,
        messages: list[dict],
        history: list[dict],
        agency_value: str,
        year_value: str,
        request: gr.Request,
    ) -> Iterator[tuple[Any, list[dict], list[dict]]]:
        """Stream one answer into the chat: yields (textbox, chatbot messages, plain-text history).

        `messages` is what the chatbot shows (escaped markup); `history` holds the plain turns that
        go back to the assistant for follow-up questions.
        """
        limit = self.settings.max_question_chars
        message = clean_text(message or "").strip()  # a lone surrogate would break the page's stream
        messages = list(messages or [])
        history = list(history or [])
        if not message:
            yield gr.update(), messages, history
            return
        messages.append({"role": "user", "content": render_question(message)})
        if len(message) > limit:
            messages.append({"role": "assistant", "content": escape_text(too_long_message(limit))})
            yield gr.update(), messages, history  # keep the text so it can be shortened
            return
        if not self.limiter.hit(client_key(request)):
            messages.append({"role": "assistant", "content": escape_text(RATE_LIMITED_ZH)})
            yield gr.update(), messages, history
            return

        messages.append({"role": "assistant", "content": "……"})
        yield "", messages, history
        text, final = "", None
        try:
            for piece in self.assistant.ask_stream(
                message,
                history[-2 * HISTORY_TURNS :],
                agency=parse_agency(agency_value),
                year=parse_year(year_value),
            ):
                if isinstance(piece, Answer):
                    final = piece
                    break
                text += piece
                messages[-1] = {"role": "assistant", "content": render_partial(text)}
                yield "", messages, history
        except Exception:
            log.exception("chat answer failed")
        if final is None:
            messages[-1] = {"role": "assistant", "content": escape_text(ERROR_ZH)}
            yield "", messages, history
            return
        content = render_answer_content(final)  # text, chart, cards
        messages[-1] = {"role": "assistant", "content": with_answer_id(content, final.id)}
        reply = {"role": "assistant", "content": final.answer, **({"id": final.id} if final.id else {})}
        history += [{"role": "user", "content": message}, reply]
        yield "", messages, history

    # ------------------------------------------------------------------ feedback (question log on)

    def respond_tracked(
        self,
        message: str,
        messages: list[dict],
        history: list[dict],
        answer_ids: dict[int, str],
        agency_value: str,
        year_value: str,
        request: gr.Request,
    ) -> Iterator[tuple[Any, list[dict], list[dict], dict[int, str]]]:
        """`respond`, also keeping {chat message index: log entry id} for the 👍/👎 buttons."""
        answer_ids = dict(answer_ids or {})
        turns = len(history or [])
        for box, shown, plain in self.respond(message, messages, history, agency_value, year_value, request):
            if len(plain) > turns and plain[-1].get("id"):
                answer_ids[len(shown) - 1] = plain[-1]["id"]
            yield box, shown, plain, answer_ids

    def on_like(self, answer_ids: dict[int, str], like: gr.LikeData) -> tuple[dict, Any, Any]:
        """Store a 👍/👎 at once and offer the comment box; returns (pending feedback, box, note)."""
        index = like.index[0] if isinstance(like.index, (list, tuple)) else like.index
        marked = ANSWER_ID_RE.search(json.dumps(like.value, ensure_ascii=False, default=str))
        entry_id = marked.group(1) if marked else (answer_ids or {}).get(index)
        rating = {True: "up", False: "down"}.get(like.liked) if isinstance(like.liked, bool) else None
        qlog = getattr(self.assistant, "question_log", None)
        if qlog is None or not entry_id or rating is None:
            return {}, gr.update(visible=False), gr.update(value="", visible=False)
        if not qlog.feedback(entry_id, rating):
            return {}, gr.update(visible=False), gr.update(value="", visible=False)
        return (
            {"id": entry_id, "rating": rating},
            gr.update(visible=True),
            gr.update(value=FEEDBACK_THANKS_ZH, visible=True),
        )

    def on_comment(self, pending: dict, comment: str) -> tuple[dict, Any, Any, str]:
        """Store the optional comment with the rating just given; returns (pending, box, note, text)."""
        qlog = getattr(self.assistant, "question_log", None)
        text = (comment or "").strip()[:MAX_COMMENT_CHARS]
        if qlog is not None and pending.get("id") and text:
            qlog.feedback(pending["id"], pending["rating"], text)
        return {}, gr.update(visible=False), gr.update(value=FEEDBACK_DONE_ZH, visible=True), ""


def build_chat(assistant: Assistant, settings: Settings, limiter: RateLimiter) -> gr.Blocks:
    """The chat page. URL parameters: agency, year (preset the scope), embed=1 (compact, for the widget)."""
    handlers = ChatHandlers(assistant, settings, limiter)
    feedback_on = getattr(assistant, "question_log", None) is not None  # 👍/👎 need a log entry to go to

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        header = gr.Markdown(HEADER, elem_id="gk-header")
        with gr.Row(equal_height=True):
            agency = gr.Dropdown(
                choices=[ALL], value=ALL, label="机构", scale=3, allow_custom_value=False, elem_id="gk-agency"
            )
            year = gr.Dropdown(choices=[ALL], value=ALL, label="年度", scale=1, elem_id="gk-year")
        chatbot = gr.Chatbot(
            label="对话",
            show_label=False,
            elem_id="gk-chat",
            height=440,
            sanitize_html=True,
            render_markdown=True,
            latex_delimiters=[],
            allow_tags=False,
            feedback_options=("Like", "Dislike") if feedback_on else None,
            buttons=[],  # a copy button would copy the escaped markup, not the text
            placeholder="请在下方输入问题，例如：2022年小岔乡拒绝了多少政府信息公开申请？",
        )
        history = gr.State([])
        with gr.Row(equal_height=True):
            question = gr.Textbox(
                show_label=False,
                placeholder=f"请输入您的问题（不超过 {settings.max_question_chars} 字）",
                lines=1,
                max_lines=4,
                scale=6,
                elem_id="gk-question",
            )
            send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="gk-send")
        with gr.Row():
            clear = gr.Button("清空对话", size="sm", variant="secondary", elem_id="gk-clear")
        answer_ids, pending = gr.State({}), gr.State({})
        feedback_note = gr.Markdown("", visible=False, elem_id="gk-feedback-note")
        with gr.Row(visible=False, equal_height=True) as comment_row:
            comment = gr.Textbox(
                show_label=False,
                placeholder="哪里不对或缺少什么？（可选）",
                max_lines=3,
                scale=6,
                elem_id="gk-comment",
            )
            send_comment = gr.Button("提交", size="sm", scale=1, min_width=80, elem_id="gk-comment-send")
        gr.Examples(EXAMPLES, inputs=[question], label="示例问题")

        demo.load(handlers.on_load, inputs=None, outputs=[agency, year, header], api_visibility="private")
        chat_io: dict[str, Any] = {
            "fn": handlers.respond_tracked,
            "inputs": [question, chatbot, history, answer_ids, agency, year],
            "outputs": [question, chatbot, history, answer_ids],
            "api_visibility": "private",
            "concurrency_limit": 4,
            "concurrency_id": "answer",
            "show_progress": "hidden",
        }
        question.submit(**chat_io)
        send.click(**chat_io)
        clear.click(
            lambda: ([], [], "", {}), None, [chatbot, history, question, answer_ids], api_visibility="private"
        )
        if feedback_on:
            feedback_out = [pending, comment_row, feedback_note]
            chatbot.like(handlers.on_like, [answer_ids], feedback_out, api_visibility="private")
            comment_io: dict[str, Any] = {
                "fn": handlers.on_comment,
                "inputs": [pending, comment],
                "api_visibility": "private",
            }
            send_comment.click(outputs=[*feedback_out, comment], **comment_io)
            comment.submit(outputs=[*feedback_out, comment], **comment_io)
    return demo

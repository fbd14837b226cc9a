"""The LLM answer path against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/openai_stub.py).

The store is the bundled corpus, ingested once per session (conftest.bundled_data_dir) and shared
read-only; each test builds Assistant objects with its own LLM settings over that one store.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator

import pytest
from openai_stub import OpenAIStub

from assistant.config import Settings
from assistant.facts import Figure
from assistant.lexicon import Quantity
from assistant.llm import UNAVAILABLE_NOTE, check_llm_answer, chinese_to_int, review_llm_answer
from assistant.service import Assistant
from assistant.store import Store
from assistant.types import Answer, Citation
from ingest.types import Document
from prompts import REFUSAL

DEADLINE_Q = "行政机关收到政府信息公开申请后，不能当场答复的，应当在多少个工作日内答复？"
DEADLINE_A = "应当自收到申请之日起20个工作日内予以答复[1]。"
REFUSED_Q = "小岔乡2022年拒绝了多少申请？"
RECEIVED_Q = "平潭综合实验区管委会2021年收到多少申请？"

slow = pytest.mark.slow  # these use the bundled corpus, ingested once per session


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def stub_server() -> Iterator[OpenAIStub]:
    with pytest.MonkeyPatch.context() as mp:
        # A proxy set in the environment must not see requests to the stub.
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        with OpenAIStub() as server:
            yield server


@pytest.fixture
def stub(stub_server: OpenAIStub) -> Iterator[OpenAIStub]:
    """The module's stub server with an empty script; every scripted reply must be used."""
    stub_server.clear()
    stub_server.api_key = None
    yield stub_server
    assert stub_server.pending == 0, "a scripted reply was not used"


@pytest.fixture(scope="module")
def store(bundled_data_dir) -> Store:
    return Settings(data_dir=bundled_data_dir).get_store()


@pytest.fixture(scope="module")
def offline(bundled_data_dir, store) -> Assistant:
    """The same corpus with no LLM: what every fallback must return."""
    return Assistant(Settings(data_dir=bundled_data_dir), store=store)


@pytest.fixture
def make_assistant(bundled_data_dir, store, stub_server) -> Callable[..., Assistant]:
    def make(**llm: object) -> Assistant:
        settings = {"llm_base_url": stub_server.base_url, "llm_model": "stub", "llm_timeout": 2.0, **llm}
        return Assistant(Settings(data_dir=bundled_data_dir, **settings), store=store)

    return make


@pytest.fixture
def llm(make_assistant) -> Assistant:
    return make_assistant()


@pytest.fixture
def llm_log(caplog) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="assistant.llm")
    return caplog


def _final(pieces: list[str | Answer]) -> Answer:
    assert isinstance(pieces[-1], Answer)
    assert all(isinstance(p, str) for p in pieces[:-1])
    return pieces[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- grounded answers


@slow
def test_grounded_answer_passes_through_with_its_citation(llm, stub):
    stub.enqueue(DEADLINE_A)
    answer = llm.ask(DEADLINE_Q)
    assert answer.status == "answered"
    assert answer.answer == DEADLINE_A
    assert len(answer.citations) == 1
    assert answer.citations[0].section.endswith("第三十三条")
    assert "20个工作日" in answer.citations[0].quote

    (request,) = stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "stub"
    assert request.body["temperature"] == 0
    assert not request.streamed
    system, *_, user = request.messages
    assert system["role"] == "system" and REFUSAL in system["content"]
    assert DEADLINE_Q in user["content"]
    assert "[1] 《中华人民共和国政府信息公开条例》 第四章 依申请公开 / 第三十三条" in user["content"]
    assert "应当自收到申请之日起20个工作日内予以答复" in user["content"]


@slow
def test_citations_are_renumbered_in_order_of_first_use(llm, stub):
    stub.enqueue("不能当场答复的，应当自收到申请之日起20个工作日内予以答复[2][1]。")
    answer = llm.ask(DEADLINE_Q)
    assert answer.answer == "不能当场答复的，应当自收到申请之日起20个工作日内予以答复[1][2]。"
    prompt = stub.requests[0].messages[-1]["content"]
    first, second = answer.citations
    assert f"[2] 《{first.title}》 {first.section}\n" in prompt
    assert f"[1] 《{second.title}》 {second.section}\n" in prompt


@slow
def test_invented_number_falls_back_to_the_offline_answer(llm, offline, stub, llm_log):
    stub.enqueue("应当自收到申请之日起30个工作日内予以答复[1]。")
    answer = llm.ask(DEADLINE_Q)
    assert answer == offline.ask(DEADLINE_Q)
    assert "30" not in answer.answer
    assert any("number 30" in r.getMessage() for r in llm_log.records)


@slow
def test_invented_citation_key_is_deleted(llm, stub, llm_log):
    stub.enqueue("应当自收到申请之日起20个工作日内予以答复[1][9]。")
    answer = llm.ask(DEADLINE_Q)
    assert answer.answer == DEADLINE_A
    assert len(answer.citations) == 1
    assert any("[9]" in r.getMessage() for r in llm_log.records)


@slow
def test_only_invented_citation_keys_fall_back(llm, offline, stub, llm_log):
    stub.enqueue("应当自收到申请之日起20个工作日内予以答复[9]。")
    assert llm.ask(DEADLINE_Q) == offline.ask(DEADLINE_Q)
    assert any("not grounded" in r.getMessage() for r in llm_log.records)


@slow
def test_answer_without_citation_falls_back(llm, offline, stub, llm_log):
    stub.enqueue("应当自收到申请之日起20个工作日内予以答复。")
    assert llm.ask(DEADLINE_Q) == offline.ask(DEADLINE_Q)
    assert any("cites no source" in r.getMessage() for r in llm_log.records)


@slow
def test_refusal_while_the_sources_hold_the_answer_falls_back(llm, offline, stub, llm_log):
    stub.enqueue(REFUSAL)
    assert llm.ask(DEADLINE_Q) == offline.ask(DEADLINE_Q)
    assert any("refused" in r.getMessage() for r in llm_log.records)


# --------------------------------------------------------------------------- table questions


@slow
def test_acceptance_refused_count_keeps_the_exact_figure(llm, offline, stub, llm_log):
    """Issue 5: the model says 12, the facts table says 0: the shown answer says 0 and never 12."""
    stub.enqueue("小岔乡2022年拒绝了12件申请[1]")
    answer = llm.ask(REFUSED_Q)
    assert answer.status == "answered"
    assert "0件" in answer.answer
    assert "12" not in answer.answer
    assert answer == offline.ask(REFUSED_Q)
    assert "不予公开" in answer.citations[0].section
    assert "0件" in stub.requests[0].messages[-1]["content"]  # the exact figure was in the prompt
    assert any("12" in r.getMessage() for r in llm_log.records)


@slow
def test_acceptance_refused_count_when_streaming(llm, stub):
    stub.enqueue("小岔乡2022年拒绝了12件申请[1]")
    pieces = list(llm.ask_stream(REFUSED_Q))
    final = _final(pieces)
    assert "0件" in final.answer and "12" not in final.answer


@slow
def test_exact_figure_stated_by_the_model_passes(llm, stub):
    text = "彭阳县小岔乡人民政府2022年不予公开的申请为0件[1]。"
    stub.enqueue(text)
    answer = llm.ask(REFUSED_Q)
    assert answer.answer == text
    assert "不予公开" in answer.citations[0].section


@slow
def test_figure_stated_as_another_number_falls_back(llm, offline, stub, llm_log):
    # 3 stands in the cited row (as the item number "3.危及…"), so only the figure check catches it.
    stub.enqueue("彭阳县小岔乡人民政府2022年不予公开3件，其他0件[1]。")
    assert llm.ask(REFUSED_Q) == offline.ask(REFUSED_Q)
    assert any("table says 0件" in r.getMessage() for r in llm_log.records)


# --------------------------------------------------------------------------- endpoint failures


def _assert_unavailable(answer: Answer, offline_answer: Answer) -> None:
    assert answer.status == offline_answer.status == "answered"
    assert answer.answer == f"{UNAVAILABLE_NOTE}\n{offline_answer.answer}"
    assert answer.citations == offline_answer.citations
    assert "Traceback" not in answer.answer and "Error" not in answer.answer


@slow
@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda s: s.enqueue_error(500), id="500"),
        pytest.param(lambda s: s.enqueue_error(503, "overloaded"), id="503"),
        pytest.param(lambda s: s.enqueue_raw(b"<html>bad gateway</html"), id="garbage"),
        pytest.param(lambda s: s.enqueue_raw(b'{"id": "x", "object": "chat.completion"}'), id="no-choices"),
        pytest.param(lambda s: s.enqueue(""), id="empty"),
    ],
)
def test_endpoint_errors_fall_back_with_the_unavailable_line(script, llm, offline, stub, llm_log):
    script(stub)
    _assert_unavailable(llm.ask(DEADLINE_Q), offline.ask(DEADLINE_Q))
    assert any("unavailable" in r.getMessage() for r in llm_log.records)


@slow
def test_slow_endpoint_times_out(make_assistant, offline, stub, llm_log):
    stub.enqueue_delay(1.5, DEADLINE_A)
    _assert_unavailable(make_assistant(llm_timeout=0.5).ask(DEADLINE_Q), offline.ask(DEADLINE_Q))
    assert any("Timeout" in r.getMessage() for r in llm_log.records)


@slow
def test_wrong_key_gets_401_and_falls_back(make_assistant, offline, stub, llm_log):
    stub.api_key = "right-key"
    _assert_unavailable(make_assistant(llm_api_key="wrong-key").ask(DEADLINE_Q), offline.ask(DEADLINE_Q))
    assert stub.requests[0].headers["authorization"] == "Bearer wrong-key"
    assert any("Authentication" in r.getMessage() for r in llm_log.records)


@slow
def test_right_key_is_sent(make_assistant, stub):
    stub.api_key = "right-key"
    stub.enqueue(DEADLINE_A)
    assert make_assistant(llm_api_key="right-key").ask(DEADLINE_Q).answer == DEADLINE_A


@slow
def test_base_url_without_v1_is_served_too(make_assistant, stub):
    stub.enqueue(DEADLINE_A)
    assert make_assistant(llm_base_url=f"http://127.0.0.1:{stub.port}").ask(DEADLINE_Q).answer == DEADLINE_A
    assert stub.requests[0].path == "/chat/completions"


@slow
def test_endpoint_down_falls_back(make_assistant, offline, llm_log):
    down = make_assistant(llm_base_url=f"http://127.0.0.1:{_free_port()}/v1")
    _assert_unavailable(down.ask(DEADLINE_Q), offline.ask(DEADLINE_Q))
    assert any("Connection" in r.getMessage() for r in llm_log.records)


# --------------------------------------------------------------------------- streaming


@slow
def test_stream_yields_tokens_in_order_then_the_checked_answer(llm, stub):
    chunks = ["应当自收到", "申请之日起", "20个工作日内", "予以答复", "[1]。"]
    stub.enqueue("".join(chunks), chunks=chunks)
    pieces = list(llm.ask_stream(DEADLINE_Q))
    final = _final(pieces)
    assert pieces[:-1] == chunks
    assert final.answer == DEADLINE_A
    assert final.citations[0].section.endswith("第三十三条")
    assert stub.requests[0].streamed


@slow
def test_stream_with_an_invented_number_ends_with_the_offline_answer(llm, offline, stub):
    stub.enqueue("应当自收到申请之日起30个工作日内予以答复[1]。")
    pieces = list(llm.ask_stream(DEADLINE_Q))
    assert len(pieces) > 2
    assert _final(pieces) == offline.ask(DEADLINE_Q)


@slow
@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda s: s.enqueue_error(500), id="500"),
        pytest.param(lambda s: s.enqueue_raw(b"data: {not json}\n\n"), id="garbage"),
        pytest.param(lambda s: s.enqueue_delay(1.5, DEADLINE_A), id="timeout"),
    ],
)
def test_stream_errors_end_with_the_unavailable_answer(script, make_assistant, offline, stub):
    script(stub)
    pieces = list(make_assistant(llm_timeout=0.5).ask_stream(DEADLINE_Q))
    _assert_unavailable(_final(pieces), offline.ask(DEADLINE_Q))


# --------------------------------------------------------------------------- follow-up questions

HISTORY = [
    {"role": "user", "content": RECEIVED_Q},
    {"role": "assistant", "content": "平潭综合实验区2021年新收政府信息公开申请70件[1]。"},
]


@slow
def test_follow_up_is_rewritten_by_the_model_before_answering(llm, stub):
    rewritten = "平潭综合实验区管委会2022年新收政府信息公开申请多少件？"
    text = "平潭综合实验区2022年新收政府信息公开申请74件[1]。"
    stub.enqueue(rewritten)
    stub.enqueue(text)
    answer = llm.ask("那2022年呢？", HISTORY)
    assert answer.answer == text
    assert "2022" in answer.citations[0].title

    rewrite, final = stub.requests
    assert "那2022年呢？" in rewrite.prompt_text and RECEIVED_Q in rewrite.prompt_text
    assert "[1]" not in rewrite.prompt_text  # old citation keys are not shown again
    roles = [m["role"] for m in final.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert final.messages[1]["content"] == RECEIVED_Q
    assert f"问题：{rewritten}" in final.messages[-1]["content"]
    assert "74" in final.messages[-1]["content"]  # the carried-over facts answer's figure


@slow
def test_failed_rewrite_uses_the_offline_standalone_question(llm, stub, llm_log):
    stub.enqueue_error(500)
    stub.enqueue("平潭综合实验区2022年新收政府信息公开申请74件[1]。")
    answer = llm.ask("那2022年呢？", HISTORY)
    assert "74件" in answer.answer
    assert "（追问：那2022年呢？）" in stub.requests[1].messages[-1]["content"]
    assert any("rewrite failed" in r.getMessage() for r in llm_log.records)


@slow
def test_rewrite_with_a_wrong_key_does_not_call_again(make_assistant, offline, stub):
    stub.api_key = "right-key"
    answer = make_assistant(llm_api_key="wrong-key").ask("那2022年呢？", HISTORY)
    _assert_unavailable(answer, offline.ask("那2022年呢？", HISTORY))
    assert len(stub.requests) == 1


# --------------------------------------------------------------------------- check_llm_answer, pure

RULE_33 = Citation(
    source="regulation.txt",
    title="中华人民共和国政府信息公开条例",
    section="第四章 依申请公开 / 第三十三条",
    quote="行政机关不能当场答复的，应当自收到申请之日起20个工作日内予以答复。",
)
RULE_30 = Citation(
    source="regulation.txt",
    title="中华人民共和国政府信息公开条例",
    section="第四章 依申请公开 / 第三十条",
    quote="并自收到申请之日起7个工作日内一次性告知申请人作出补正。",
)
RULE_34 = Citation(
    source="regulation.txt",
    title="中华人民共和国政府信息公开条例",
    section="第四章 依申请公开 / 第三十四条",
    quote="被征求意见机关应当自收到征求意见书之日起十五个工作日内提出意见。",
)
SOURCES = [RULE_33, RULE_30, RULE_34]


def test_check_keeps_a_grounded_answer():
    checked = check_llm_answer("应当在20个工作日内答复[1]。", SOURCES, "多久答复？")
    assert checked is not None
    assert checked.text == "应当在20个工作日内答复[1]。"
    assert checked.citations == [RULE_33]
    assert checked.dropped_keys == []


def test_check_deletes_keys_that_point_at_no_source():
    checked = check_llm_answer("应当在20个工作日内答复[1][7]，补正为7个工作日[2, 9]。", SOURCES, "")
    assert checked is not None
    assert checked.text == "应当在20个工作日内答复[1]，补正为7个工作日[2]。"
    assert checked.dropped_keys == [7, 9]
    assert check_llm_answer("应当在20个工作日内答复[7]。", SOURCES, "") is None
    assert check_llm_answer("应当在20个工作日内答复[0]。", SOURCES, "") is None


def test_check_renumbers_cited_sources_in_order_of_first_use():
    checked = check_llm_answer("补正7个工作日[2]；答复20个工作日[1]；再次见[2]。", SOURCES, "")
    assert checked is not None
    assert checked.text == "补正7个工作日[1]；答复20个工作日[2]；再次见[1]。"
    assert checked.citations == [RULE_30, RULE_33]
    checked = check_llm_answer("见【3】与[1，2]：20、7、15", SOURCES, "")
    assert checked is not None
    assert checked.text == "见[1]与[2][3]：20、7、15"
    assert checked.citations == [RULE_34, RULE_33, RULE_30]


def test_check_needs_a_citation():
    assert check_llm_answer("应当在20个工作日内答复。", SOURCES, "") is None
    assert check_llm_answer("", SOURCES, "") is None


def test_check_numbers_must_stand_in_a_cited_source_or_the_question():
    assert check_llm_answer("应当在30个工作日内答复[1]。", SOURCES, "") is None
    # 7 stands in source 2, but the sentence cites only source 1.
    assert check_llm_answer("应当在7个工作日内答复[1]。", SOURCES, "") is None
    # A sentence without keys may use any cited source.
    assert check_llm_answer("补正为7个工作日。答复为20个工作日[1]。", SOURCES, "") is None
    assert check_llm_answer("补正为7个工作日。答复为20个工作日[1][2]。", SOURCES, "") is not None
    # Years too: 2023 stands nowhere, 2022 stands in the question.
    assert check_llm_answer("2023年起应当在20个工作日内答复[1]。", SOURCES, "") is None
    assert check_llm_answer("2022年应当在20个工作日内答复[1]。", SOURCES, "2022年多久答复？") is not None


def test_check_reads_chinese_numerals_in_sources():
    assert check_llm_answer("依照第33条，应当在20个工作日内答复[1]。", SOURCES, "") is not None
    assert check_llm_answer("应当在15个工作日内提出意见[3]。", SOURCES, "") is not None
    assert check_llm_answer("应当在16个工作日内提出意见[3]。", SOURCES, "") is None
    assert [chinese_to_int(n) for n in ("三十三", "二十", "十五", "两", "一百零五", "二〇二二")] == [
        33,
        20,
        15,
        2,
        105,
        2022,
    ]


def test_check_key_after_the_full_stop_belongs_to_its_sentence():
    checked = check_llm_answer("应当在20个工作日内答复。[1] 补正为7个工作日。[2]", SOURCES, "")
    assert checked is not None
    assert checked.citations == [RULE_33, RULE_30]


def test_check_drops_a_thinking_block():
    checked = check_llm_answer("<think>也许是30天？</think>\n应当在20个工作日内答复[1]。", SOURCES, "")
    assert checked is not None and checked.text == "应当在20个工作日内答复[1]。"


def test_check_rejects_the_refusal_phrase():
    checked, reason = review_llm_answer(f"{REFUSAL}[1]", SOURCES, "")
    assert checked is None and "refused" in reason


def _figure(value: float | None, year: int = 2022) -> Figure:
    doc = Document(
        doc_id=f"d{year}",
        source=f"小岔乡_{year}.txt",
        title=f"彭阳县小岔乡人民政府{year}年政府信息公开工作年度报告",
        kind="report",
        agency="彭阳县小岔乡人民政府",
        year=year,
    )
    quantity = Quantity("表三", "三.3", "不予公开")
    return Figure(doc, quantity, "总计", value, "件", section="表三 三、本年度办理结果 / （三）不予公开")


def _figure_source(value: str, year: int = 2022) -> Citation:
    return Citation(
        source=f"小岔乡_{year}.txt",
        title=f"彭阳县小岔乡人民政府{year}年政府信息公开工作年度报告",
        section="表三 三、本年度办理结果 / （三）不予公开",
        quote=f"1.属于国家秘密 总计 0；2.其他法律行政法规禁止公开 总计 {value}；2项合计：{value}件",
    )


def test_check_table_figures_must_be_stated_exactly():
    sources = [_figure_source("0")]
    figures = [_figure(0.0)]
    q = "小岔乡2022年拒绝了多少申请？"
    assert check_llm_answer("2022年不予公开0件[1]。", sources, q, figures) is not None
    assert check_llm_answer("2022年不予公开12件[1]。", sources, q, figures) is None  # 12 stands nowhere
    assert check_llm_answer("2022年不予公开2件，其中0件涉密[1]。", sources, q, figures) is None  # 2: item no.
    assert check_llm_answer("2022年有不予公开的申请[1]。", sources, q, figures) is None  # figure missing


def test_check_table_figures_per_year():
    sources = [_figure_source("0", 2021), _figure_source("2", 2022)]
    figures = [_figure(0.0, 2021), _figure(2.0, 2022)]
    q = "小岔乡2021年和2022年拒绝了多少申请？"
    ok = "2021年不予公开0件[1]，2022年不予公开2件[2]。"
    assert check_llm_answer(ok, sources, q, figures) is not None
    swapped = "2021年不予公开2件[1][2]，2022年不予公开0件[1][2]。"
    assert check_llm_answer(swapped, sources, q, figures) is None


def test_check_blank_figure_is_not_zero():
    sources = [_figure_source("（空白）")]
    figures = [_figure(None)]
    assert check_llm_answer("2022年不予公开0件[1]。", sources, "", figures) is None
    assert check_llm_answer("2022年报告中不予公开一栏为空白[1]。", sources, "", figures) is not None


# --------------------------------------------------------------------------- questions the offline gate refuses

WEAK_Q = "我想知道怎么申请低保，要准备什么？"  # off-topic: the offline path refuses it


@slow
def test_model_gets_the_passages_of_a_question_the_offline_path_refuses(llm, offline, stub):
    assert offline.ask(WEAK_Q).status == "not_found"
    stub.enqueue(REFUSAL)
    answer = llm.ask(WEAK_Q)
    assert answer.status == "not_found"
    (request,) = stub.requests
    prompt = request.messages[-1]["content"]
    assert "[1] 《" in prompt and "[2] 《" in prompt  # numbered passages reached the model


@slow
def test_model_may_answer_from_passages_the_offline_gate_found_too_weak(llm, offline, stub):
    assert offline.ask(WEAK_Q).status == "not_found"
    stub.enqueue("资料只说明申请政府信息公开应当采用书面形式提出[1]。")
    answer = llm.ask(WEAK_Q)
    assert answer.status == "answered"
    assert answer.citations and answer.citations[0].quote
    prompt = stub.requests[0].messages[-1]["content"]
    assert answer.citations[0].quote[:30] in prompt  # the cited source is one the model was shown


@slow
def test_invented_number_after_the_gate_stays_not_found(llm, stub, llm_log):
    stub.enqueue("低保每月发放12345元[1]。")
    answer = llm.ask(WEAK_Q)
    assert answer.status == "not_found" and "12345" not in answer.answer


@slow
def test_missing_report_never_reaches_the_model(llm, stub):
    answer = llm.ask("小岔乡2016年拒绝了多少申请？")
    assert answer.status == "not_found" and not stub.requests

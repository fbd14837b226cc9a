"""The assistant as one object: what the CLI, the web app and the API call."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from tqdm import tqdm

from assistant.config import BUNDLED_CORPUS, Settings, get_settings
from assistant.datadir import DataDirError, WriterLock
from assistant.inputs import clean_history, clean_name, clean_text
from assistant.questionlog import QuestionLog, open_question_log
from assistant.store import IngestResult, Store
from assistant.types import Answer, Evidence
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import parse_bytes
from ingest.types import CheckResult, DocKind, DocumentMeta, IngestError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.answer import Context

log = logging.getLogger(__name__)

# What the warm-up asks (offline, not logged): a question through hybrid retrieval, so the first
# real question finds chromadb imported, the store open, jieba's dictionary, BM25, the embedder and
# the common wordings loaded.
WARM_UP_QUESTION = "政府信息公开申请怎么提交？"


class DocumentRow(TypedDict):
    """One document of the list (GET /api/documents, the staff area, `gongkai list`), as JSON: a
    stored Document's DocumentMeta fields (same names, same order; tests/test_code_health.py checks
    it), then what the list adds."""

    source: str
    title: str
    kind: DocKind
    agency: str
    year: int | None
    format: str
    doc_id: str
    facts: int
    warnings: list[str]  # failed checks, format problems and warnings across the agency's years


@dataclass(kw_only=True)
class DraftReport(DocumentMeta):
    """What the report checker says about a draft annual report (not added to the corpus)."""

    problems: list[str] = field(default_factory=list)  # format problems: missing sections, tables, rows
    checks: list[CheckResult] = field(default_factory=list)  # arithmetic rules, passed and failed
    error_en: str = ""
    error_zh: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_en and not self.problems and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files and folders → files (folders walked, hidden files skipped), in a stable order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                    and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and p.name.lower() != "readme.md"
                )
            )
        else:
            files.append(path)
    return files


class Assistant:
    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or get_settings()
        self.store = store or self.settings.get_store()
        self._llm: BaseChatModel | None = None
        self._llm_checked = False
        self._context: Context | None = None
        self.question_log: QuestionLog | None = None  # the web app opens it (start_question_log)
        self.writer_lock = WriterLock(self.settings.data_dir)
        self._warm = threading.Event()
        self._warm_thread: threading.Thread | None = None
        self._warm_lock = threading.Lock()
        self.warm_up_error: str | None = None
        self.warm_up_seconds: float | None = None

    def writing(self, on_wait: Callable[[], None] | None = None) -> AbstractContextManager[None]:
        """Hold the data dir's writer lock (waiting up to GONGKAI_INGEST_LOCK_TIMEOUT seconds for
        another writer; `on_wait` is called once if it must wait). DataDirError when it cannot."""
        return self.writer_lock.hold(self.settings.ingest_lock_timeout, on_wait)

    def limits(self) -> AbstractContextManager[None]:
        """The loaders' limits on what one file may unpack into, from the settings."""
        from ingest.limits import MB, LoadLimits, load_limits

        return load_limits(
            LoadLimits(
                max_markup_bytes=int(self.settings.max_markup_mb * MB),
                max_unpacked_bytes=int(self.settings.max_unpacked_mb * MB),
                max_table_cells=self.settings.max_table_cells,
                max_html_tags=self.settings.max_html_tags,
            )
        )

    # ------------------------------------------------------------------ documents

    def ingest_bytes(self, name: str, data: bytes) -> IngestResult:
        """Parse and store one file. Errors come back as a result with status 'error', never raised."""
        name = clean_name(name)
        try:
            with self.writing():
                doc_id = hashlib.sha256(data).hexdigest()
                stored = self.store.unchanged(doc_id, name)
                if stored is not None:  # same bytes, same parser: nothing to parse or embed
                    return self._with_year_checks(self._kept_as(stored, doc_id))
                with self.limits():
                    parsed = parse_bytes(data, name, self.settings.max_upload_bytes)
                return self._with_year_checks(self.store.add(parsed))
        except DataDirError as exc:
            return IngestResult(
                source=name, status="error", message_en=exc.message_en, message_zh=exc.message_zh
            )
        except IngestError as exc:
            return IngestResult(
                source=Path(name).name, status="error", message_en=exc.message_en, message_zh=exc.message_zh
            )
        except Exception as exc:  # a bad file must not stop the others
            log.exception("ingest of %s failed", name)
            return IngestResult(
                source=Path(name).name,
                status="error",
                message_en=f"{Path(name).name}: could not be read ({type(exc).__name__})",
                message_zh=f"{Path(name).name}：无法读取该文件（{type(exc).__name__}）",
            )

    def _with_year_checks(self, result: IngestResult) -> IngestResult:
        """Add the failed checks against the agency's reports of the year before and after."""
        from assistant.crosschecks import year_warnings

        if result.kind == "report":
            for doc in self.store.catalog.documents_by_source(result.source):
                result.warnings += [
                    w for w in year_warnings(self.store.catalog, doc) if w not in result.warnings
                ]
        return result

    def _kept_as(self, stored: IngestResult, doc_id: str) -> IngestResult:
        """An unchanged result under the name the content is kept under (same bytes, new name)."""
        kept = self.store.catalog.document(doc_id)
        if kept is None or kept.source == stored.source:
            return stored
        return replace(
            stored,
            source=kept.source,
            message_en=f"{stored.source}: same content as {kept.source}, which is kept under its name",
            message_zh=f"{stored.source}：内容与已有文件 {kept.source} 相同，仍以原文件名保存",
        )

    def ingest_paths(
        self,
        paths: Iterable[str | Path],
        progress: bool = False,
        on_wait: Callable[[], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest files and folders holding the writer lock throughout (DataDirError when another
        writer keeps it too long), then sweep vectors that no stored chunk owns."""
        with self.writing(on_wait):
            results = self._ingest_files(expand_paths(paths), progress)
            self.sweep_orphans()
        return results

    def sweep_orphans(self) -> int:
        """Delete vectors left by an interrupted write (no catalog chunk owns them); how many."""
        try:
            with self.writing():
                swept = self.store.gc()
        except Exception:  # a failed sweep leaves invisible vectors, never a wrong answer
            log.exception("sweeping orphan vectors failed")
            return 0
        if swept:
            log.warning("swept %d orphan vectors", swept)
        return swept

    def _ingest_files(self, files: list[Path], progress: bool) -> list[IngestResult]:
        results: list[IngestResult] = []
        for path in tqdm(files, desc="ingest", unit="file", disable=not progress):
            try:
                size = path.stat().st_size
                if size > self.settings.max_upload_bytes:
                    raise IngestError(
                        f"{path.name}: file is {size / 1e6:.1f} MB, over the limit of "
                        f"{self.settings.max_upload_mb:g} MB",
                        f"{path.name}：文件大小 {size / 1e6:.1f} MB，超过上限 {self.settings.max_upload_mb:g} MB",
                        "too_large",
                    )
                data = path.read_bytes()
            except IngestError as exc:
                results.append(
                    IngestResult(
                        source=path.name, status="error", message_en=exc.message_en, message_zh=exc.message_zh
                    )
                )
                continue
            except OSError as exc:
                results.append(
                    IngestResult(
                        source=path.name,
                        status="error",
                        message_en=f"{path.name}: cannot read the file ({exc.strerror})",
                        message_zh=f"{path.name}：无法读取文件（{exc.strerror}）",
                    )
                )
                continue
            results.append(self.ingest_bytes(path.name, data))
        return results

    def ensure_bundled_corpus(self) -> list[IngestResult]:
        """On first start (empty store), ingest the bundled regulations and reports."""
        if not self.settings.ingest_bundled or not self.store.is_empty():
            return []
        folders = [BUNDLED_CORPUS / "regulations", BUNDLED_CORPUS / "reports"]
        return self.ingest_paths([f for f in folders if f.exists()])

    def documents(self) -> list[DocumentRow]:
        from assistant.crosschecks import all_year_warnings

        across_years = all_year_warnings(self.store.catalog)
        out: list[DocumentRow] = []
        for doc in self.store.documents():
            checks = self.store.catalog.checks(doc.doc_id)
            out.append(
                {
                    "source": doc.source,
                    "title": doc.title,
                    "kind": doc.kind,
                    "agency": doc.agency,
                    "year": doc.year,
                    "format": doc.format,
                    "doc_id": doc.doc_id,
                    "facts": len(self.store.catalog.facts(doc.doc_id)),
                    "warnings": [c.message_zh for c in checks if not c.ok]
                    + self.store.catalog.problems(doc.doc_id)
                    + across_years.get(doc.doc_id, []),
                }
            )
        return out

    def public_documents(self) -> list[dict[str, Any]]:
        """Each document's source, title, kind, agency and year, in the order of `documents`: what the
        public list (GET /api/documents) and the health check show, from the catalog's document list.
        `documents` also reads every document's facts and checks (1.4 s and 118 MB for the moment at
        N = 1000), which neither shows."""
        return [
            {"source": d.source, "title": d.title, "kind": d.kind, "agency": d.agency, "year": d.year}
            for d in self.store.documents()
        ]

    def remove(self, source: str) -> list[str]:
        with self.writing():
            return [d.source for d in self.store.remove(source)]

    def check_draft(self, name: str, data: bytes) -> DraftReport:
        """Check a draft annual report's format, arithmetic and narrative, and against the stored
        reports of its agency for the year before and after, without adding it to the corpus."""
        from assistant.crosschecks import draft_year_checks

        name = clean_name(name)
        try:
            with self.limits():
                parsed = parse_bytes(data, name, self.settings.max_upload_bytes)
        except IngestError as exc:
            return DraftReport(source=name, error_en=exc.message_en, error_zh=exc.message_zh)
        doc = parsed.document
        report = DraftReport.of(
            doc,
            problems=list(parsed.problems),
            checks=list(parsed.checks) + draft_year_checks(self.store.catalog, parsed),
        )
        if doc.kind != "report":
            report.problems.insert(0, "这不像一份政府信息公开工作年度报告：未找到年度报告标题和统计表")
        return report

    def scope_options(self) -> dict[str, list[Any]]:
        docs = [d for d in self.store.documents() if d.kind == "report"]
        return {
            "agencies": sorted({d.agency for d in docs if d.agency}),
            "years": sorted({d.year for d in docs if d.year}),
        }

    # ------------------------------------------------------------------ questions

    @property
    def llm(self) -> BaseChatModel | None:
        if not self._llm_checked:
            self._llm_checked = True
            try:
                self._llm = self.settings.get_llm()
            except Exception:
                log.exception("LLM could not be set up; answering offline")
                self._llm = None
        return self._llm

    def context(self) -> Context:
        """What answering uses: the store, the model, top_k and the calibrated thresholds."""
        from assistant.answer import Context

        if self._context is None:
            self._context = Context(store=self.store, llm=self.llm, top_k=self.settings.top_k)
        return self._context

    def ask(
        self,
        question: str,
        history: list[dict[str, Any]] | None = None,
        agency: str | None = None,
        year: int | None = None,
    ) -> Answer:
        """Answer one question (with the conversation so far), optionally scoped to an agency/year.
        With the question log on, the question is logged and the answer carries the entry's id."""
        from assistant.answer import answer_question

        question, history, agency = clean_text(question), clean_history(history or []), _clean(agency)
        started, seen = time.perf_counter(), list[Evidence]()
        answer = answer_question(
            self.context(), question, history, agency=agency, year=year, on_evidence=seen.append
        )
        return self._logged(answer, seen, started)

    def ask_stream(
        self,
        question: str,
        history: list[dict[str, Any]] | None = None,
        agency: str | None = None,
        year: int | None = None,
    ) -> Iterator[str | Answer]:
        """Yield text pieces as they are written, then the final checked Answer (logged as in `ask`)."""
        from assistant.answer import stream_answer

        question, history, agency = clean_text(question), clean_history(history or []), _clean(agency)
        started, seen = time.perf_counter(), list[Evidence]()
        for piece in stream_answer(
            self.context(), question, history, agency=agency, year=year, on_evidence=seen.append
        ):
            yield self._logged(piece, seen, started) if isinstance(piece, Answer) else piece

    def health_problem(self) -> str | None:
        """None when questions can be answered: the catalog reads, the index holds a vector for every
        chunk and a search over both indexes runs; else what is wrong (bilingual, for /api/health)."""
        from assistant.retrieval import SearchFilter

        try:
            if self.store.is_empty():
                return None
            chunks = self.store.expected_vectors()  # chunks with a vector of their own, in Chroma
            vectors = self.store.collection.count()
            if vectors < chunks:
                return (
                    f"检索索引不完整（{vectors} 个向量，{chunks} 个段落），请重新导入。"
                    f"The search index is incomplete ({vectors} vectors for {chunks} passages); re-ingest."
                )
            shared = self.store.missing_shared_vectors()  # table rows' label vectors, held once
            if shared:
                return (
                    f"检索索引不完整（{shared} 个共享向量不在向量缓存中），请重新导入。"
                    f"The search index is incomplete ({shared} shared vectors are not in the embedding cache); "
                    "re-ingest."
                )
            self.store.hybrid_search("政府信息公开", SearchFilter(), 1)
        except Exception as exc:
            log.exception("health check: retrieval does not work")
            return f"检索不可用（{type(exc).__name__}）。Retrieval is not working ({type(exc).__name__})."
        return None

    # ------------------------------------------------------------------ warm-up

    @property
    def warm(self) -> bool:
        """Whether the warm-up has finished (see `warm_up`)."""
        return self._warm.is_set()

    def start_warm_up(self) -> threading.Thread:
        """Run `warm_up` in a background thread (once per assistant; later calls return the same
        thread). The web app starts it when it starts serving."""
        with self._warm_lock:
            if self._warm_thread is None:
                self._warm_thread = threading.Thread(
                    target=self._warm_up_logged, name="gongkai-warm-up", daemon=True
                )
                self._warm_thread.start()
            return self._warm_thread

    def _warm_up_logged(self) -> None:
        try:
            self.warm_up()
        except Exception as exc:  # the first question pays what is left; health still checks the search
            log.exception("warm-up failed")
            self.warm_up_error = type(exc).__name__

    def warm_up(self) -> float:
        """Pay now what the first question would otherwise wait for: jieba's dictionary and its
        part-of-speech table, the typo check's sounds, the chromadb import and the store's collection
        with its vectors, the BM25 index, the embedder and a query embedding, the common wordings and
        the table labels' glosses, the agencies' romanized names, the language model's client and the
        answer modules. Returns the seconds it took; `warm` is true afterwards."""
        from assistant.answer import offline_answer
        from assistant.query import pos_tagger
        from assistant.text import simplified, tokenize
        from assistant.typos import sounds

        started = time.perf_counter()
        tokenize(WARM_UP_QUESTION)  # loads jieba's dictionary
        pos_tagger()  # and its part-of-speech table (named laws)
        simplified(WARM_UP_QUESTION)  # OpenCC's tables
        sounds()  # the typo check's table of sounds
        if not self.store.is_empty():
            # imports chromadb, opens the store; the count loads the collection's vectors, which the
            # first search would otherwise wait for (1.2 s at N = 10 000)
            self.store.collection.count()
            self.store.quantity_index()  # also builds (or loads) BM25
            ctx = replace(self.context(), llm=None)  # the model's client is built, never called
            offline_answer(ctx, WARM_UP_QUESTION, [])  # the query embedding, wordings, retrieval
            if ctx.held is not None:  # romanized in a child process, once per catalog generation
                ctx.held.names.romanize()
        release_freed_memory()  # what the start and the warm-up read and let go
        self.warm_up_seconds = time.perf_counter() - started
        self._warm.set()
        log.info("warm-up done in %.1f s", self.warm_up_seconds)
        return self.warm_up_seconds

    # ------------------------------------------------------------------ question log

    def start_question_log(self, days: int | None = None) -> QuestionLog | None:
        """Log the questions asked from now on, in the catalog's database, keeping each `days`
        (default GONGKAI_LOG_DAYS; 0 = no log). The web app does this; the CLI, eval and
        calibration runs are not logged."""
        if self.question_log is None:
            self.question_log = open_question_log(
                self.settings.log_days if days is None else days,
                self.store.catalog.path,
                getattr(self.settings, "database_url", ""),
            )
        return self.question_log

    def _logged(self, answer: Answer, seen: list[Evidence], started: float) -> Answer:
        """The answer with the id of its log entry (unchanged when the log is off)."""
        if self.question_log is None or not seen:
            return answer
        evidence = seen[-1]
        try:
            entry_id = self.question_log.record(
                question=evidence.asked,
                status=answer.status,
                path=evidence.path if answer.status == "answered" else "not_found",
                answer=answer.answer,
                sources=[(c.source, c.section) for c in answer.citations],
                agencies=evidence.slots.agencies,
                years=evidence.slots.years,
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        except Exception:  # the log must never cost an answer
            log.exception("question not logged")
            return answer
        return answer.model_copy(update={"id": entry_id})


def release_freed_memory() -> bool:
    """Give the C heap's free pages back to the system (glibc's malloc_trim): memory the start's
    sweep of orphan vectors (every vector id and chunk id) and the warm-up's loads freed stays in the
    process otherwise, 20 MB of a worker at N = 1000. False where there is no glibc."""
    import ctypes

    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return False
    trim(0)
    return True


def _clean(value: str | None) -> str | None:
    return clean_text(value) if value else value


__all__ = ["Assistant", "DraftReport", "IngestResult", "expand_paths"]

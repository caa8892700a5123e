"""Dense retrieval with an e5 sentence-embedding model.

The model is named by configuration: a local folder or, where the machine has internet, any
Hugging Face model name. The default is the project's fine-tuned multilingual-e5-small
exported to int8 ONNX (:mod:`knowledge.retrieval.export_onnx`): a folder with ``model.onnx``
runs on ONNX Runtime, without PyTorch; anything else loads with sentence-transformers. e5
models expect the "query: " / "passage: " prefixes, which are added here.

Citizens ask the same questions again and again (on exam-result day, word for word), so the
vectors of recent questions are kept: a repeated question costs a dictionary lookup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from knowledge.retrieval.export_onnx import ONNX_FILE, SETTINGS_FILE, TOKENIZER_FILE

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
QUERY_CACHE_SIZE = 4096
Embed = Callable[[Sequence[str]], NDArray[np.float32]]


class OnnxEmbedder:
    """Mean-pooled, normalised e5 vectors from the exported ONNX model."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        import sentencepiece

        settings = json.loads((folder / SETTINGS_FILE).read_text())
        self.tokenizer = sentencepiece.SentencePieceProcessor(
            model_file=str(folder / TOKENIZER_FILE)
        )
        self.max_pieces = int(settings["max_length"]) - 2  # <s> and </s> around them
        options = onnxruntime.SessionOptions()
        # One thread per question: questions from several citizens run side by side on the
        # cores (the action server searches in worker threads) instead of queueing.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )

    def token_ids(self, text: str) -> list[int]:
        pieces = self.tokenizer.encode(text)[: self.max_pieces]
        return [self.tokenizer.bos_id(), *pieces, self.tokenizer.eos_id()]

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # One text at a time: dynamic quantization scales the activations by the whole
        # batch, padding included, so a passage batched with others would get a slightly
        # different vector than alone, and than after an edit re-embeds it by itself.
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate([self._one(text) for text in texts])

    def _one(self, text: str) -> NDArray[np.float32]:
        ids = np.asarray([self.token_ids(text)], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
        pooled = hidden.mean(axis=1)  # mean pooling: no padding, every token counts
        return np.asarray(pooled / np.linalg.norm(pooled, axis=1, keepdims=True), np.float32)


class TorchEmbedder:
    """sentence-transformers on PyTorch: any model folder or Hugging Face name."""

    def __init__(self, name: str, batch_size: int) -> None:
        from sentence_transformers import SentenceTransformer

        self.model: Any = SentenceTransformer(name, device="cpu")
        self.batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)


def embedder_for(name: str, batch_size: int = 32) -> Embed:
    folder = Path(name)
    if (folder / ONNX_FILE).exists():
        return OnnxEmbedder(folder)
    return TorchEmbedder(name, batch_size)


class DenseEncoder:
    """Embeds queries and passages (the search keeps passage vectors between rebuilds)."""

    def __init__(self, model_name_or_path: str, batch_size: int = 32) -> None:
        self.name = model_name_or_path
        self._embed = embedder_for(model_name_or_path, batch_size)
        self._query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def _embed_query(self, text: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self._embed([QUERY_PREFIX + text])[0]
        vector.setflags(write=False)  # shared by every caller of the cache
        return vector

    def query(self, text: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self._query(text)
        return vector

    def passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._embed([PASSAGE_PREFIX + t for t in texts])

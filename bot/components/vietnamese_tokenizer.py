"""Rasa tokenizer for Vietnamese as citizens type it.

Each token keeps the text and span the user typed; its ``lemma`` is the normalized word
key from :mod:`knowledge.vietnamese` (no diacritics, abbreviations expanded, syllables of
one word joined by "_"). The intent classifier reads the lemma, so "bằng tốt nghiệp",
"bang tot nghiep" and the NFD form of the former all give the same features.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from knowledge.vietnamese import analyze


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> List[str] | None:
        return ["vi"]

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        text = message.get(attribute)
        tokens = [Token(w.text, w.start, lemma=w.key) for w in analyze(text)]
        if not tokens:  # only emoji or punctuation: one token, as Rasa's own tokenizers do
            tokens = [Token(text, 0, lemma=text.strip().lower() or "_")]
        return self._apply_token_pattern(tokens)

"""Finds dossier codes in a message, whatever the spacing, case or missing dots.

A trained extractor would have to learn every typing variant of a format that a regular
expression describes exactly; :mod:`knowledge.dossier_code` is that expression. The entity
value is the canonical code, so the action can look it up directly.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.dossier_code import find_codes

ENTITY = "dossier_code"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DossierCodeExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DossierCodeExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            found = [
                {
                    "entity": ENTITY,
                    "start": match.start,
                    "end": match.end,
                    "value": match.code,
                    "confidence_entity": 1.0,
                }
                for match in find_codes(text)
            ]
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

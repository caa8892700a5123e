"""OpenAPI text for routes FastAPI cannot describe by itself.

The webhooks read their raw body (the signature is computed over the exact bytes, before
any parsing), so FastAPI sees no body parameter: :func:`json_body` documents the JSON they
expect from the pydantic model they parse it with.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose JSON body ``model`` parses by hand."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": _inline(schema, definitions)}},
        }
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """``node`` with its ``#/$defs/...`` references replaced by their definitions: the
    schema stands alone in the operation (models here are not recursive)."""
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
    return {key: _inline(value, definitions) for key, value in node.items()}

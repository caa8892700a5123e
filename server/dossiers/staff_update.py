"""What an officer sends to move a dossier on, checked the same way wherever it comes from.

The staff API (``PATCH /api/staff/dossiers/{code}``) and the console's dossier page both
validate with :class:`StepUpdate` and read the store from :func:`dossier_store`, so a rule
such as "a request for more documents says which" cannot hold in one and not the other.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from server.core.config import get_settings
from server.dossiers import DossierStore, build_store
from server.dossiers.models import Step

NOTE_MAX_CHARS = 1000


@lru_cache(maxsize=1)
def dossier_store() -> DossierStore:
    """The store of the settings, built once per process (tests clear the cache)."""
    return build_store(get_settings())


class StepUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    step: Step
    note: str | None = Field(
        default=None, max_length=NOTE_MAX_CHARS, description="Shown to the citizen"
    )

    @model_validator(mode="after")
    def _reason_for_additional_documents(self) -> StepUpdate:
        # A typed error, so the console can word it for officers and the API keeps its text.
        if self.step is Step.additional_documents and not self.note:
            raise PydanticCustomError(
                "note_required",
                "Yêu cầu bổ sung hồ sơ phải ghi rõ giấy tờ cần bổ sung (note).",
            )
        return self

"""A department's own values for the local facts of national records.

The national record says what the law says everywhere; the fee a province sets, the desk
that receives the file, its hours, the provincial online link and the names of local
authorities differ. A department keeps those in one file of its own
(``knowledge/data/local_overrides.yml`` by default, setting ``LOCAL_OVERRIDES_FILE``), so that
updating the national catalogue never overwrites them. Only the fields below can be
overridden; anything else in the file is rejected, as is a procedure id that does not exist.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from knowledge.models import Authority, FactGroup, Fee, Procedure, Provenance, Source

LOCAL_SOURCE_ID = "local"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalSource(_Strict):
    """The department's decision or page that sets its local values."""

    title: str = Field(min_length=3)
    url: HttpUrl | None = None
    legal_text: str | None = None
    checked: dt.date


class LocalFacts(_Strict):
    fee: Fee | None = None
    authorities: list[Authority] | None = Field(default=None, min_length=1)
    desk_note: str | None = Field(default=None, description="Where to hand the file in")
    desk_hours: str | None = None
    online_url: HttpUrl | None = None
    notes: list[str] = Field(default_factory=list, description="Local advice, added last")
    source: LocalSource

    @model_validator(mode="after")
    def _overrides_something(self) -> LocalFacts:
        fields = (self.fee, self.authorities, self.desk_note, self.desk_hours, self.online_url)
        if all(value is None for value in fields) and not self.notes:
            raise ValueError("an override must set at least one local fact")
        return self


class LocalOverrides(_Strict):
    department: str = Field(min_length=3)
    procedures: dict[str, LocalFacts] = Field(default_factory=dict)


def load_overrides(path: Path) -> LocalOverrides | None:
    """The department's overrides, or None when it has no file."""
    if not path.is_file():
        return None
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return LocalOverrides.model_validate(raw or {})


def apply_override(record: Procedure, facts: LocalFacts) -> Procedure:
    """The record as this department's citizens must see it; local facts cite the local source."""
    data = record.model_dump(mode="json")
    changed: list[FactGroup] = []
    if facts.fee is not None:
        data["fee"] = facts.fee.model_dump(mode="json")
        changed.append(FactGroup.fee)
    if facts.authorities is not None:
        data["authorities"] = [a.model_dump(mode="json") for a in facts.authorities]
        changed.append(FactGroup.authorities)
    channels = {
        "desk_note": facts.desk_note,
        "desk_hours": facts.desk_hours,
        "online_url": str(facts.online_url) if facts.online_url else None,
    }
    channels = {key: value for key, value in channels.items() if value is not None}
    if channels:
        data["channels"].update(channels)
        changed.append(FactGroup.channels)
    data["notes"] = data["notes"] + facts.notes
    source = Source(id=LOCAL_SOURCE_ID, **facts.source.model_dump())
    data["sources"] = [s for s in data["sources"] if s["id"] != LOCAL_SOURCE_ID]
    data["sources"].append(source.model_dump(mode="json"))
    for group in changed:
        data["provenance"][group.value] = Provenance(sources=[LOCAL_SOURCE_ID]).model_dump()
    return Procedure.model_validate(data)

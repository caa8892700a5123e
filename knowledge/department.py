"""The department's contact details, kept in a YAML file staff can edit."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, HttpUrl

from knowledge.paths import DEPARTMENT_FILE


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    demo: bool = False
    name: str
    hotline: str
    email: str
    desk_address: str
    working_hours: str
    portal_url: HttpUrl
    national_hotline: str


def load_department(path: Path = DEPARTMENT_FILE) -> Department:
    return Department.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))

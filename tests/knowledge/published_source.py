"""Stand-ins for the console's published store and for the clock, and a small catalogue."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tests.knowledge.sample import sample_record

FILE_RECORD = "thu-tuc-mau"
OTHER_RECORD = "thu-tuc-khac"


class FakeSource:
    """What the server's store answers: a revision and the published bodies; can go down."""

    def __init__(self) -> None:
        self.bodies: dict[str, dict[str, Any]] = {}
        self.current = 0
        self.revision_calls = 0
        self.records_calls = 0
        self.down = False

    def publish(self, body: dict[str, Any]) -> None:
        self.bodies[body["id"]] = copy.deepcopy(body)
        self.current += 1

    def revision(self) -> int:
        self.revision_calls += 1
        if self.down:
            raise ConnectionError("could not connect to server")
        return self.current

    def records(self) -> dict[str, dict[str, Any]]:
        self.records_calls += 1
        if self.down:
            raise ConnectionError("could not connect to server")
        return copy.deepcopy(self.bodies)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def small_catalogue(folder: Path) -> Path:
    """Two valid records on disk: the sample one and a record about the school exam."""
    folder.mkdir(parents=True, exist_ok=True)
    other = sample_record(
        id=OTHER_RECORD,
        code="1.999998",
        name="Đăng ký dự thi tốt nghiệp trung học phổ thông",
        short_name="Đăng ký dự thi",
        situations=["em muốn đăng ký thi tốt nghiệp", "dang ky du thi tot nghiep"],
    )
    for record in (sample_record(), other):
        text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False)
        (folder / f"{record['id']}.yml").write_text(text, encoding="utf-8")
    return folder

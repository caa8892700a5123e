"""Demo dossiers, so that the status lookup can be tried on a fresh checkout.

``python -m server.dossiers.seed`` (and ``make run``, through :mod:`server.stack`) puts
eight dossiers in an empty dossier table, one or more at every step and one overdue, and
prints their codes with the digits that verify them. Seeding is idempotent, and it never
touches a table that already holds dossiers: a database with real ones gets no demo data.

Dates are relative to the day of seeding, so the demo shows a sensible mix of steps; the
codes carry the receipt date as real ones do, and the sequence numbers 9001–9008 (far above
what a department receives in a day) mark them as demo dossiers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from server.core.config import Settings
from server.db import make_engine
from server.dossiers.models import VN_TZ, Dossier, Step, StepEvent, today_vn
from server.dossiers.sql import SqlDossierStore, dossiers, prepared

DEMO_SEQUENCE_PREFIX = "900"
_DESK = "Bộ phận Một cửa, Trung tâm Phục vụ hành chính công tỉnh (quầy Sở Giáo dục và Đào tạo)"
_POST = "Gửi qua dịch vụ bưu chính công ích đến địa chỉ anh/chị đã đăng ký"
_ONLINE = "Bản điện tử trên Cổng Dịch vụ công; bản giấy nhận tại " + _DESK


@dataclass(frozen=True)
class _Demo:
    agency: str
    seq: str
    procedure_id: str
    name: str
    phone_last4: str
    received_days_ago: int
    due_in_days: int
    pickup: str
    steps: tuple[tuple[Step, int, str | None], ...]  # step, days ago, note


_DEMOS = (
    _Demo("H10.22", "9001", "cap-ban-sao-van-bang-tu-so-goc", "Nguyễn Văn An", "5678",
          0, 1, _DESK, ((Step.received, 0, None),)),
    _Demo("000.00.17.H10", "9002", "chinh-sua-noi-dung-van-bang-chung-chi",
          "Trần Thị Bích Ngọc", "2468", 2, 3, _DESK,
          ((Step.received, 2, None),
           (Step.processing, 1, "Chuyển Phòng Quản lý chất lượng thẩm định"))),
    _Demo("H10.22", "9003", "cong-nhan-van-bang-tot-nghiep-pho-thong-do-nuoc-ngoai-cap",
          "Lê Hoàng Minh", "1357", 6, 15, _DESK,
          ((Step.received, 6, None), (Step.processing, 5, None),
           (Step.additional_documents, 1,
            "bản dịch sang tiếng Việt có chứng thực của văn bằng do nước ngoài cấp"))),
    _Demo("000.00.17.H10", "9004", "cap-ban-sao-van-bang-tu-so-goc", "Phạm Thu Hà", "9012",
          3, 0, _DESK,
          ((Step.received, 3, None), (Step.processing, 3, None),
           (Step.result_ready, 1, None))),
    _Demo("H10.22", "9005", "phuc-khao-bai-thi-tuyen-sinh-lop-10", "Võ Đức Thắng", "3344",
          30, -20, _POST,
          ((Step.received, 30, None), (Step.processing, 29, None),
           (Step.result_ready, 22, None), (Step.returned, 21, "Đã gửi qua bưu điện"))),
    _Demo("000.00.17.H10", "9006", "thanh-lap-trung-tam-ngoai-ngu-tin-hoc",
          "Đặng Quốc Bảo", "7788", 35, -4, _DESK,
          ((Step.received, 35, None),
           (Step.processing, 34, "Thành lập đoàn kiểm tra thực tế cơ sở"))),
    _Demo("H10.22", "9007", "ho-tro-chi-phi-hoc-tap-hoc-sinh-pho-thong", "Hoàng Thị Mai",
          "4321", 2, 12, _POST,
          ((Step.received, 2, None), (Step.processing, 1, None))),
    _Demo("000.00.17.H10", "9008", "chuyen-truong-va-tiep-nhan-hoc-sinh", "Bùi Gia Huy", "6655",
          1, 2, _ONLINE,
          ((Step.received, 1, "Nộp trực tuyến trên Cổng Dịch vụ công"),)),
)  # fmt: skip


def _at(today: dt.date, days_ago: int, index: int) -> dt.datetime:
    """A working-hours moment ``days_ago`` days before ``today``, Vietnam time."""
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(8, 0), VN_TZ) + dt.timedelta(hours=index)


def demo_dossiers(today: dt.date) -> list[Dossier]:
    """The demo dossiers as they are when seeded on ``today``."""
    result = []
    for demo in _DEMOS:
        received = today - dt.timedelta(days=demo.received_days_ago)
        history = tuple(
            StepEvent(step=step, at=_at(today, days_ago, i), note=note)
            for i, (step, days_ago, note) in enumerate(demo.steps)
        )
        last = history[-1]
        result.append(
            Dossier(
                code=f"{demo.agency}-{received:%y%m%d}-{demo.seq}",
                procedure_id=demo.procedure_id,
                applicant_name=demo.name,
                phone_last4=demo.phone_last4,
                received_on=received,
                due_on=today + dt.timedelta(days=demo.due_in_days),
                step=last.step,
                step_note=last.note if last.step is Step.additional_documents else None,
                history=history,
                pickup_place=demo.pickup,
            )
        )
    return result


def seed(engine: Engine | None = None, today: dt.date | None = None) -> int:
    """Puts the demo dossiers into an empty dossier table; returns how many were added."""
    store = SqlDossierStore(engine)
    if store.count():
        return 0
    return sum(store.add(d) for d in demo_dossiers(today or today_vn()))


def seed_for(settings: Settings) -> int:
    """Seeds the database that processes started with ``settings`` will use, if they keep
    dossiers there: what :mod:`server.stack` calls before it starts them."""
    if settings.dossier_backend != "sql":
        return 0
    engine = make_engine(settings.app_database_url)
    try:
        return seed(engine)
    finally:
        engine.dispose()


def demo_in(engine: Engine | None = None) -> list[Dossier]:
    """The demo dossiers present in the database (whatever day they were seeded)."""
    eng = prepared(engine)
    with eng.connect() as conn:
        codes = list(
            conn.execute(
                select(dossiers.c.code)
                .where(dossiers.c.code.like(f"%-{DEMO_SEQUENCE_PREFIX}_"))
                .order_by(dossiers.c.code)
            ).scalars()
        )
    store = SqlDossierStore(eng)
    return [d for d in (store.get(code) for code in codes) if d is not None]


def main() -> None:
    added = seed()
    print(f"Đã thêm {added} hồ sơ mẫu." if added else "Không thêm hồ sơ mẫu nào (đã có hồ sơ).")
    for d in sorted(demo_in(), key=lambda d: d.code[-4:]):
        overdue = " (quá hạn)" if d.is_overdue(today_vn()) else ""
        print(f"  {d.code}  4 số cuối: {d.phone_last4}  {d.step.value}{overdue}")


if __name__ == "__main__":
    main()

"""The reports page (every role): each table of :mod:`server.staff.reports` with its chart,
and each table as a CSV file for Excel.

The CSV files start with a UTF-8 byte order mark: without it Excel on Windows reads them
in the machine's code page and Vietnamese names come out garbled. A cell that starts like
a formula (``=``, ``+``, ``-``, ``@``) is prefixed with an apostrophe so that Excel shows it
instead of running it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from knowledge.catalogue import Catalogue
from server.console.charts import Series, bar_chart, line_chart, number
from server.console.deps import render, require
from server.dossiers.models import today_vn
from server.dossiers.render import STEP_LABELS
from server.staff.accounts import Role
from server.staff.report_models import Report
from server.staff.reports import ReportError, Reports, check_range

router = APIRouter(prefix="/staff", include_in_schema=False)
DEFAULT_DAYS = 30
CHANNEL_LABELS = {"web": "Trang web", "telegram": "Telegram", "zalo": "Zalo"}
Cell = str | int | float | dt.date | None


@dataclass(frozen=True)
class Table:
    """One table of the report, as the page and the CSV file show it."""

    key: str  # its name in the CSV file's address
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    chart: Markup
    notes: Sequence[str] = field(default_factory=tuple)

    def shown(self) -> list[list[str]]:
        return [[_shown(cell) for cell in row] for row in self.rows]


def _shown(cell: Cell) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, dt.date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float):
        return number(cell)
    return str(cell)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _day(day: dt.date | None) -> str:
    return day.strftime("%d/%m") if day else "Cả kỳ"


def _conversations(r: Report) -> Table:
    names = [CHANNEL_LABELS.get(c, c) for c in r.channels]
    labels = [_day(d.day) for d in r.conversations]
    series = [
        Series(CHANNEL_LABELS.get(c, c), [d.by_channel[c] for d in r.conversations])
        for c in r.channels
    ]
    if len(series) != 1:
        series.append(Series("Tổng", [d.total for d in r.conversations]))
    title = "Số cuộc hội thoại theo ngày và kênh"
    return Table(
        "conversations",
        title,
        ["Ngày", *names, "Tổng"],
        [[d.day, *(d.by_channel[c] for c in r.channels), d.total] for d in r.conversations],
        line_chart(
            "chart-conversations",
            title,
            "Số người dân nhắn ít nhất một tin mỗi ngày, theo kênh; số liệu ở bảng dưới.",
            labels,
            series,
        ),
        [f"Cả kỳ có {r.conversations_total} cuộc hội thoại (mỗi người dân tính một lần)."],
    )


def _procedures(r: Report) -> Table:
    title = "Thủ tục được hỏi nhiều nhất"
    return Table(
        "procedures",
        title,
        ["Thủ tục", "Mã trong danh mục", "Số cuộc hội thoại"],
        [[p.name, p.procedure_id, p.conversations] for p in r.procedures],
        bar_chart(
            "chart-procedures",
            title,
            "Số cuộc hội thoại hỏi về từng thủ tục, nhiều nhất trước; số liệu ở bảng dưới.",
            [p.name for p in r.procedures],
            [p.conversations for p in r.procedures],
        ),
    )


def _unanswered(r: Report) -> Table:
    title = "Tỷ lệ câu hỏi trợ lý chưa trả lời được"
    rows = [*r.unanswered, r.unanswered_overall]
    return Table(
        "unanswered",
        title,
        ["Ngày", "Chưa trả lời được", "Tổng số tin của người dân", "Tỷ lệ (%)"],
        [[d.day or "Cả kỳ", d.unanswered, d.messages, _percent(d.rate)] for d in rows],
        line_chart(
            "chart-unanswered",
            title,
            "Phần trăm tin nhắn của người dân mà trợ lý không hiểu, ngoài phạm vi hoặc hiểu "
            "với độ tin cậy thấp, theo ngày; số liệu ở bảng dưới.",
            [_day(d.day) for d in r.unanswered],
            [Series("Chưa trả lời được", [_percent(d.rate) for d in r.unanswered])],
            unit="%",
            y_max=10,
        ),
        [
            "Tính là chưa trả lời được: trợ lý không hiểu, câu hỏi ngoài phạm vi, hoặc độ "
            f"tin cậy dưới {number(r.low_confidence * 100)} %."
        ],
    )


def _satisfaction(r: Report) -> Table:
    title = "Mức độ hài lòng của người dân"
    goal = r.satisfaction_goal * 100
    rows = [*r.satisfaction, r.satisfaction_overall]
    overall = r.satisfaction_overall.rate
    verdict = (
        "chưa có lượt đánh giá nào"
        if overall is None
        else f"{number(overall * 100)} % — "
        + ("đạt" if overall >= r.satisfaction_goal else "chưa đạt")
    )
    return Table(
        "satisfaction",
        title,
        ["Ngày", "Hài lòng", "Lượt đánh giá", "Tỷ lệ hài lòng (%)"],
        [[d.day or "Cả kỳ", d.satisfied, d.ratings, _percent(d.rate)] for d in rows],
        line_chart(
            "chart-satisfaction",
            title,
            f"Phần trăm lượt đánh giá hài lòng theo ngày, so với mục tiêu {number(goal)} %; "
            "số liệu ở bảng dưới.",
            [_day(d.day) for d in r.satisfaction],
            [Series("Hài lòng", [_percent(d.rate) for d in r.satisfaction])],
            unit="%",
            y_max=100,
            goal=goal,
            goal_label=f"Mục tiêu {number(goal)} %",
        ),
        [f"Cả kỳ: {verdict} mục tiêu {number(goal)} %."],
    )


def _handoffs(r: Report) -> Table:
    title = "Thời gian chờ gặp cán bộ"
    rows = [*r.handoffs, r.handoffs_overall]
    return Table(
        "handoffs",
        title,
        ["Ngày", "Yêu cầu", "Đã nhận", "Đang chờ", "Trung vị (phút)", "90 % trong vòng (phút)"],
        [
            [
                d.day or "Cả kỳ",
                d.requests,
                d.taken,
                d.waiting,
                _minutes(d.median_minutes),
                _minutes(d.p90_minutes),
            ]
            for d in rows
        ],
        line_chart(
            "chart-handoffs",
            title,
            "Số phút từ khi người dân xin gặp cán bộ đến khi có cán bộ nhận, theo ngày: "
            "trung vị và mức 90 % yêu cầu không vượt quá; số liệu ở bảng dưới.",
            [_day(d.day) for d in r.handoffs],
            [
                Series("Trung vị", [_minutes(d.median_minutes) for d in r.handoffs]),
                Series("90 % trong vòng", [_minutes(d.p90_minutes) for d in r.handoffs]),
            ],
            unit=" phút",
        ),
    )


def _overdue(r: Report) -> Table:
    title = "Hồ sơ quá hạn"
    found = r.overdue or []
    if r.overdue is None:
        note = "Hệ thống quản lý hồ sơ không phản hồi: chưa lấy được danh sách, thử lại sau."
    else:
        note = f"Tính đến ngày {r.today:%d/%m/%Y}: {len(found)} hồ sơ quá hạn."
    return Table(
        "overdue",
        title,
        ["Mã hồ sơ", "Thủ tục", "Ngày hẹn trả", "Bước", "Số ngày quá hạn"],
        [[d.code, d.procedure_name, d.due_on, STEP_LABELS[d.step], d.days_overdue] for d in found],
        bar_chart(
            "chart-overdue",
            title,
            "Số ngày quá hạn của từng hồ sơ chưa giải quyết xong; số liệu ở bảng dưới.",
            [d.code for d in found],
            [d.days_overdue for d in found],
            unit=" ngày",
        ),
        [note],
    )


TABLES: dict[str, Callable[[Report], Table]] = {
    "conversations": _conversations,
    "procedures": _procedures,
    "unanswered": _unanswered,
    "satisfaction": _satisfaction,
    "handoffs": _handoffs,
    "overdue": _overdue,
}


def _range(start: str, end: str) -> tuple[dt.date, dt.date]:
    """The days asked for; by default the last 30 days up to today (Vietnam)."""
    try:
        last = dt.date.fromisoformat(end) if end else today_vn()
        first = dt.date.fromisoformat(start) if start else last - dt.timedelta(DEFAULT_DAYS - 1)
        check_range(first, last)
    except ReportError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "Ngày không hợp lệ (năm-tháng-ngày)."
        ) from exc
    return first, last


def _report(request: Request, start: str, end: str) -> Report:
    first, last = _range(start, end)
    catalogue: Catalogue | None = getattr(request.app.state, "catalogue", None)
    return Reports(catalogue=catalogue).build(first, last)


@router.get("/reports", response_class=HTMLResponse, dependencies=[require(*Role)])
def reports_page(request: Request, start: str = "", end: str = "") -> HTMLResponse:
    report = _report(request, start, end)
    tables = [build(report) for build in TABLES.values()]
    return render(request, "reports.html", report=report, tables=tables)


def csv_text(table: Table) -> str:
    """The table as CSV, with the byte order mark Excel needs to read UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
    return "\ufeff" + out.getvalue()


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.date):
        return cell.isoformat()
    text = str(cell)
    return "'" + text if isinstance(cell, str) and text[:1] in ("=", "+", "-", "@") else text


@router.get("/reports/{table}.csv", dependencies=[require(*Role)])
def report_csv(request: Request, table: str, start: str = "", end: str = "") -> Response:
    build = TABLES.get(table)
    if build is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không có bảng báo cáo này.")
    report = _report(request, start, end)
    name = f"bao-cao-{table}-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return Response(
        csv_text(build(report)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

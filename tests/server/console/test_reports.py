"""The reports page and its CSV files, and the SVG charts they draw."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from server import db
from server.console import reports
from server.console.charts import Series, bar_chart, line_chart, nice_ticks, number
from server.dossiers.models import today_vn
from server.dossiers.seed import seed
from server.dossiers.staff_update import dossier_store
from server.staff.accounts import Role
from tests.server.console.conftest import Officer

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 3, 2)
RANGE = {"start": "2026-03-01", "end": "2026-03-03"}
SPECIAL = 'Cấp "bản sao" <văn bằng> & chứng chỉ'


@pytest.fixture(autouse=True)
def sql_dossiers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SQL dossier store of this test's database."""
    monkeypatch.delenv("DOSSIER_BACKEND", raising=False)
    dossier_store.cache_clear()
    yield
    dossier_store.cache_clear()


def seed_day() -> None:
    """On 02/03 (Vietnam): two web conversations, one message not understood; three
    ratings, two satisfied; a hand-off taken after 12 minutes."""
    at = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.timezone.utc)
    with db.engine().begin() as conn:
        conn.execute(
            db.chat_messages.insert(),
            [
                {"created_at": at, "channel": "web", "sender_hash": s, "direction": "in",
                 "text": "…", "intent": i, "confidence": c,
                 "procedure_id": "cap-ban-sao-van-bang-tu-so-goc"}
                for s, i, c in (("a", "ask_fee", 0.9), ("b", "nlu_fallback", 0.2))
            ],
        )  # fmt: skip
        conn.execute(
            db.ratings.insert(),
            [{"created_at": at, "sender_hash": "a", "satisfied": ok} for ok in (True, True, False)],
        )
        conn.execute(
            db.handoff_requests.insert().values(
                created_at=at,
                taken_at=at + dt.timedelta(minutes=12),
                status="closed",
                sender_hash="a",
                channel="web",
            )
        )


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, re.S)]


def test_anonymous_officers_are_sent_to_login(client: TestClient) -> None:
    for path in ("/staff/reports", "/staff/reports/satisfaction.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/login?next={path}"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_reports(login: Callable[..., Officer], role: Role) -> None:
    officer = login(role)
    assert officer.client.get("/staff/reports").status_code == 200
    assert officer.client.get("/staff/reports/overdue.csv").status_code == 200


def test_the_page_shows_each_table_with_its_chart(login: Callable[..., Officer]) -> None:
    seed_day()
    seed(today=today_vn())
    page = login(Role.editor).client.get("/staff/reports", params=RANGE)
    assert page.status_code == 200
    charts = svgs(page.text)
    assert len(charts) == len(reports.TABLES) == 6
    for chart in charts:
        assert chart.get("width") and chart.get("height") and chart.get("style") is None
        assert chart.find(f"{SVG}title") is not None and chart.find(f"{SVG}desc") is not None
    assert "<script" not in "".join(re.findall(r"<svg .*?</svg>", page.text, re.S))
    satisfaction = charts[3]
    assert satisfaction.find(f"{SVG}title").text == "Mức độ hài lòng của người dân"  # type: ignore[union-attr]
    texts = [t.text for t in satisfaction.iter(f"{SVG}text")]
    assert "Mục tiêu 95 %" in texts and "02/03" in texts
    dashed = [
        (ln.get("x1"), ln.get("x2"), ln.get("y1"), ln.get("y2"))
        for ln in satisfaction.iter(f"{SVG}line")
        if ln.get("stroke-dasharray")
    ]
    # The goal line across the plot at 95 % of its 220 px (0-100 %), and its legend.
    assert ("60", "700", "51.0", "51.0") in dashed and len(dashed) == 2
    # The numbers are in the tables too.
    assert "<td>02/03/2026</td><td>2</td><td>3</td><td>66,7</td>" in page.text
    assert "<td>Cả kỳ</td><td>2</td><td>3</td><td>66,7</td>" in page.text
    assert "<td>02/03/2026</td><td>1</td><td>2</td><td>50</td>" in page.text  # unanswered
    assert "Cả kỳ: 66,7 % — chưa đạt mục tiêu 95 %." in page.text
    assert 'href="/staff/reports/handoffs.csv?start=2026-03-01&amp;end=2026-03-03"' in page.text


def test_the_default_range_is_the_last_30_days(login: Callable[..., Officer]) -> None:
    page = login(Role.desk).client.get("/staff/reports")
    end = today_vn()
    start = end - dt.timedelta(days=29)
    assert f'name="start" value="{start.isoformat()}"' in page.text
    assert f'name="end" value="{end.isoformat()}"' in page.text


def test_bad_ranges_are_explained(login: Callable[..., Officer]) -> None:
    officer = login(Role.reviewer)
    reversed_range = officer.client.get(
        "/staff/reports", params={"start": "2026-03-05", "end": "2026-03-01"}
    )
    assert reversed_range.status_code == 400 and "Ngày bắt đầu" in reversed_range.text
    garbled = officer.client.get("/staff/reports/handoffs.csv", params={"start": "03/01/2026"})
    assert garbled.status_code == 400 and "Ngày không hợp lệ" in garbled.text
    assert officer.client.get("/staff/reports/nothing.csv").status_code == 404


def test_csv_files_open_in_excel_with_vietnamese_intact(login: Callable[..., Officer]) -> None:
    seed_day()
    officer = login(Role.admin)
    response = officer.client.get("/staff/reports/satisfaction.csv", params=RANGE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="bao-cao-satisfaction-2026-03-01-2026-03-03.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Ngày", "Hài lòng", "Lượt đánh giá", "Tỷ lệ hài lòng (%)"],
        ["2026-03-01", "0", "0", ""],
        ["2026-03-02", "2", "3", "66.7"],
        ["2026-03-03", "0", "0", ""],
        ["Cả kỳ", "2", "3", "66.7"],
    ]
    waits = officer.client.get("/staff/reports/handoffs.csv", params=RANGE)
    assert ["2026-03-02", "1", "1", "0", "12.0", "12.0"] in list(
        csv.reader(io.StringIO(waits.content.decode("utf-8-sig")))
    )
    top = officer.client.get("/staff/reports/procedures.csv", params=RANGE)
    assert "Cấp bản sao văn bằng" in top.content.decode("utf-8-sig")


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    table = reports.Table("t", "T", ["Tên", "Số"], [["=HYPERLINK(1)", -3], ["@x", 2]], chart=None)  # type: ignore[arg-type]
    lines = reports.csv_text(table).lstrip("\ufeff").splitlines()
    assert lines == ["Tên,Số", "'=HYPERLINK(1),-3", "'@x,2"]


def test_line_charts_are_valid_svg_with_escaped_labels() -> None:
    markup = line_chart(
        "c1",
        SPECIAL,
        "Mô tả <b>",
        ["01/03", "02/03", "03/03", "04/03"],
        [Series(SPECIAL, [1, None, 3, 4]), Series("Khác", [None, None, None, 2.5])],
        unit="%",
        goal=95,
        goal_label="Mục tiêu 95 %",
    )
    assert "<b>" not in markup and "&lt;văn bằng&gt;" in markup
    svg = ET.fromstring(str(markup))
    assert svg.tag == f"{SVG}svg" and (svg.get("width"), svg.get("height")) == ("720", "300")
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").text == SPECIAL  # type: ignore[union-attr]
    assert all(e.get("style") is None for e in svg.iter())
    # A gap on 02/03: one line for 03/03–04/03, and a point for each value.
    (line,) = svg.iter(f"{SVG}polyline")
    assert len(line.get("points", "").split()) == 2
    assert len(list(svg.iter(f"{SVG}circle"))) == 4
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert SPECIAL in labels and "100%" in labels and "0%" in labels


def test_bar_charts_shorten_long_names_but_keep_them_in_the_tooltip() -> None:
    long_name = SPECIAL + " " + "rất dài " * 10
    svg = ET.fromstring(str(bar_chart("c2", "Thủ tục", "Mô tả", [long_name, "Ngắn"], [12, 3])))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert any(t and t.endswith("…") and len(t) == 40 for t in texts)
    assert "Ngắn" in texts and "12" in texts and "3" in texts
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert f"{long_name}: 12" in titles
    widths = [float(r.get("width", 0)) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0


def test_empty_charts_say_so() -> None:
    for markup in (
        line_chart("e1", "T", "D", ["01/03"], [Series("S", [None])]),
        bar_chart("e2", "T", "D", [], []),
    ):
        svg = ET.fromstring(str(markup))
        assert [t.text for t in svg.iter(f"{SVG}text")] == ["Chưa có dữ liệu trong khoảng này"]


def test_axis_steps_and_numbers() -> None:
    assert nice_ticks(100) == [0, 25, 50, 75, 100]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(0) == [0.0, 1.0]
    assert (number(95.0), number(66.666), number(0.5)) == ("95", "66,7", "0,5")

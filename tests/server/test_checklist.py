"""The parents' checklist page (GET /c/{code}): the right facts, a QR code, nothing
personal, nothing a strict Content-Security-Policy would block, and a Vietnamese 404."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from knowledge.catalogue import Catalogue
from knowledge.department import load_department
from knowledge.models import OnlineService
from server.checklist import CODE, FORM_LABELS, checklist_url, find, qr_svg, short_code
from server.core.config import get_settings
from server.main import create_app

COPY_ID = "cap-ban-sao-van-bang-tu-so-goc"
OFFLINE_ID = "cham-dut-lien-ket-giao-duc"
REPEALED_ID = "to-chuc-day-them-hoc-them-ngoai-nha-truong"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(get_settings().catalogue_dir)


@pytest.fixture
def client(catalogue: Catalogue) -> Iterator[TestClient]:
    app = create_app()  # no lifespan: the page needs the catalogue only
    app.state.catalogue = catalogue
    yield TestClient(app)


def page(client: TestClient, procedure_id: str) -> str:
    response = client.get(f"/c/{short_code(procedure_id)}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return html.unescape(response.text)


def test_short_codes_are_stable_short_and_distinct(catalogue: Catalogue) -> None:
    codes = {p.id: short_code(p.id) for p in catalogue.all()}
    assert all(CODE.match(c) for c in codes.values())
    assert len(set(codes.values())) == len(codes)
    assert short_code(COPY_ID) == short_code(COPY_ID)  # no key, no state: every replica agrees
    assert find(catalogue, codes[COPY_ID]) is not None
    assert checklist_url("https://a.example/", COPY_ID) == f"https://a.example/c/{codes[COPY_ID]}"


def test_the_page_lists_what_a_parent_needs(client: TestClient, catalogue: Catalogue) -> None:
    record = catalogue.get(COPY_ID)
    assert record is not None
    dept = load_department(get_settings().department_file)
    text = page(client, COPY_ID)
    assert record.name in text and f"mã thủ tục {record.code}" in text
    for doc in record.documents:
        assert doc.name in text and FORM_LABELS[doc.form] in text
        assert doc.note is None or doc.note in text
    copies = re.findall(r'<td class="copies">(\d+)</td>', text)
    assert copies == [str(d.copies) for d in record.documents]
    for fact in (record.fee.text, record.processing_time.text, dept.working_hours, dept.hotline):
        assert fact in text
    assert (record.channels.desk_note or dept.desk_address) in text
    assert "Gửi qua dịch vụ bưu chính" in text
    assert "Nộp trực tuyến" in text and str(record.channels.online_url) in text
    assert 'href="../checklist.css"' in text


def test_the_qr_code_is_the_online_submission_link(client: TestClient) -> None:
    text = page(client, COPY_ID)
    svg = qr_svg("https://dichvucong.gov.vn/")
    assert svg.startswith("<svg") and svg in text


def test_no_online_submission_no_qr(client: TestClient, catalogue: Catalogue) -> None:
    record = catalogue.get(OFFLINE_ID)
    assert record is not None and record.channels.online is OnlineService.none
    text = page(client, OFFLINE_ID)
    assert record.name in text and "<svg" not in text and "Nộp trực tuyến" not in text


def test_nothing_inline_for_a_strict_csp(client: TestClient) -> None:
    response = client.get(f"/c/{short_code(COPY_ID)}")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy
    markup = response.text.lower()
    assert "<script" not in markup and "<style" not in markup
    assert not re.search(r"\sstyle\s*=", markup)
    assert not re.search(r"\son[a-z]+\s*=", markup)  # no inline event handlers
    assert not re.search(r"(src|href)\s*=\s*\"(https?:)?//", markup.split("<main")[0])


def test_the_page_holds_nothing_about_whoever_opens_it(client: TestClient) -> None:
    """The same page for everyone: nothing from the request is echoed."""
    plain = client.get(f"/c/{short_code(COPY_ID)}").text
    probing = client.get(
        f"/c/{short_code(COPY_ID)}",
        params={"ten": "Nguyễn Văn An", "sdt": "0912345678"},
        headers={"Authorization": "Bearer abc", "Cookie": "session=xyz"},
    ).text
    assert probing == plain
    assert "0912345678" not in probing and "Nguyễn Văn An" not in probing
    assert "hồ sơ của" not in plain.lower() and "người nộp" not in plain.lower()


def test_a_repealed_procedure_says_so_instead_of_a_checklist(
    client: TestClient, catalogue: Catalogue
) -> None:
    record = catalogue.get(REPEALED_ID)
    assert record is not None and record.repealed is not None
    response = client.get(f"/c/{short_code(REPEALED_ID)}")
    assert response.status_code == 410
    assert "không còn áp dụng" in response.text and record.repealed.instead in response.text


@pytest.mark.parametrize("code", ["aaaaaaaa", "ABCDEFGH", "abc", "a" * 40, "%3Cscript%3E"])
def test_an_unknown_code_gets_a_vietnamese_404(client: TestClient, code: str) -> None:
    response = client.get(f"/c/{code}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy danh sách này" in response.text
    assert "<script" not in response.text.lower()


def test_the_print_stylesheet(client: TestClient) -> None:
    response = client.get("/checklist.css")
    assert response.status_code == 200
    css = response.text
    assert "@page { size: A4" in css and "@media print" in css

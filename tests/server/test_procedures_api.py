from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.main import create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_search_ranks_the_right_procedure_first(client: TestClient) -> None:
    body = client.get("/api/procedures/search", params={"q": "con toi chuyen truong cap 3"}).json()
    assert body["results"][0]["id"] == "chuyen-truong-va-tiep-nhan-hoc-sinh"
    assert set(body["results"][0]) == {"id", "code", "name", "level", "field", "score"}
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_k_bounds_results(client: TestClient) -> None:
    body = client.get("/api/procedures/search", params={"q": "trường mầm non", "k": 2}).json()
    assert len(body["results"]) == 2


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "bằng", "k": 0}, {"q": "x" * 3000}, {}])
def test_bad_search_requests_are_rejected(client: TestClient, params: dict[str, object]) -> None:
    assert client.get("/api/procedures/search", params=params).status_code == 422


def test_search_with_only_emoji_returns_nothing(client: TestClient) -> None:
    assert client.get("/api/procedures/search", params={"q": "😀"}).json()["results"] == []


def test_full_record(client: TestClient) -> None:
    body = client.get("/api/procedures/cap-ban-sao-van-bang-tu-so-goc").json()
    assert body["name"] == "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (tại cấp tỉnh)"
    assert body["documents"] and body["legal_basis"] and body["valid_from"]


def test_unknown_record_is_404(client: TestClient) -> None:
    response = client.get("/api/procedures/khong-co")
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy thủ tục này."

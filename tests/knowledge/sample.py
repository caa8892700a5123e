"""A small valid record, as a dict, for tests that change one thing and expect an error."""

from __future__ import annotations

from typing import Any

from knowledge.models import FactGroup


def sample_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "thu-tuc-mau",
        "code": "1.999999",
        "name": "Thủ tục mẫu dùng trong kiểm thử",
        "short_name": "Thủ tục mẫu",
        "field": "khac",
        "level": "tinh",
        "authorities": [{"level": "tinh", "name": "Sở Giáo dục và Đào tạo"}],
        "applicants": ["Công dân"],
        "situations": ["tôi cần làm thủ tục mẫu", "thu tuc mau lam the nao"],
        "documents": [{"name": "Đơn đề nghị", "copies": 1, "form": "ban_chinh"}],
        "processing_time": {"days": 5, "text": "05 ngày làm việc"},
        "fee": {"amount_vnd": 0, "text": "Không thu phí"},
        "channels": {"online": "mot_phan"},
        "steps": ["Nộp hồ sơ."],
        "result": "Quyết định",
        "legal_basis": ["Thông tư 10/2026/TT-BGDĐT"],
        "valid_from": "2026-04-15",
        "sources": [
            {
                "id": "dvcqg",
                "title": "Cổng DVC quốc gia",
                "url": "https://dichvucong.gov.vn",
                "checked": "2026-11-30",
            }
        ],
        "provenance": {group.value: {"sources": ["dvcqg"]} for group in FactGroup},
    }
    record.update(changes)
    return record

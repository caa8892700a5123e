"""Catalogue versions: draft, review, publish, rollback, imports, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from knowledge.catalogue import Catalogue
from knowledge.models import Fee, Procedure
from server.staff import audit
from server.staff.accounts import Account, Accounts, Role
from server.staff.catalogue_versions import (
    CatalogueVersions,
    PublishedRecords,
    Status,
    VersionRefused,
)
from server.staff.tables import record_versions
from tests.knowledge.published_source import FILE_RECORD, OTHER_RECORD, small_catalogue

pytestmark = pytest.mark.both_databases

PASSWORD = "mat-khau-thu-nghiem"


def _officer(name: str, *roles: Role) -> Account:
    return Accounts().create(name, name.title(), PASSWORD, set(roles))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return small_catalogue(tmp_path / "procedures")


@pytest.fixture
def versions(folder: Path, tmp_path: Path) -> CatalogueVersions:
    return CatalogueVersions(folder=folder, overrides=tmp_path / "no-overrides.yml")


@pytest.fixture
def editor() -> Account:
    return _officer("bientap", Role.editor)


@pytest.fixture
def reviewer() -> Account:
    return _officer("duyet", Role.reviewer)


def _record(folder: Path, procedure_id: str = FILE_RECORD, **changes: object) -> Procedure:
    catalogue = Catalogue(folder)
    record = catalogue.get(procedure_id)
    assert record is not None
    return record.model_copy(update=changes)


def _fee(amount: int) -> Fee:
    return Fee(amount_vnd=amount, text=f"{amount:,} đồng".replace(",", "."))


def _submitted(
    versions: CatalogueVersions, editor: Account, record: Procedure, base: int | None = None
) -> int:
    draft = versions.save_draft(editor, record, "Cập nhật lệ phí", base)
    versions.submit(editor, draft.id)
    return draft.id


def _row_count() -> int:
    with Accounts().engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(record_versions)).scalar_one())


def test_review_publish_and_rollback_cycle(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    source = PublishedRecords()
    catalogue = Catalogue(folder, published=source, poll_s=0)
    assert source.revision() == 0 and source.records() == {}

    first = _submitted(versions, editor, _record(folder, fee=_fee(50000)))
    assert [v.id for v in versions.pending()] == [first]
    assert catalogue.get(FILE_RECORD).fee.amount_vnd == 0  # type: ignore[union-attr]
    versions.publish(reviewer, first, "Đúng quyết định mới")
    assert source.revision() == 1
    assert catalogue.get(FILE_RECORD).fee.amount_vnd == 50000  # type: ignore[union-attr]
    published = versions.get(first)
    assert published is not None and published.status is Status.published
    assert published.reviewer == "Duyet" and published.review_note == "Đúng quyết định mới"

    second = _submitted(versions, editor, _record(folder, fee=_fee(70000)), base=first)
    versions.publish(reviewer, second)
    assert catalogue.get(FILE_RECORD).fee.amount_vnd == 70000  # type: ignore[union-attr]

    restored = versions.rollback(reviewer, FILE_RECORD, first)
    assert source.revision() == 3
    assert catalogue.get(FILE_RECORD).fee.amount_vnd == 50000  # type: ignore[union-attr]
    history = versions.versions(FILE_RECORD)
    assert [v.id for v in history] == [restored, second, first]
    assert history[0].note == f"Khôi phục phiên bản #{first}"
    assert history[0].status is Status.published and history[0].base_version_id == second
    current = versions.current(FILE_RECORD)
    assert current is not None and current.id == restored
    with pytest.raises(VersionRefused, match="đang được dùng"):
        versions.rollback(reviewer, FILE_RECORD, restored)
    actions = [e.action for e in reversed(audit.entries())]
    assert actions == ["record_draft_saved", "record_submitted", "record_published"] * 2 + [
        "record_rolled_back"
    ]


def test_four_eyes_a_reviewer_cannot_publish_their_own_change(
    versions: CatalogueVersions, folder: Path, reviewer: Account
) -> None:
    both = _officer("kiemnhiem", Role.editor, Role.reviewer)
    version_id = _submitted(versions, both, _record(folder, fee=_fee(10000)))
    with pytest.raises(VersionRefused) as refused:
        versions.publish(both, version_id)
    assert refused.value.status == 403 and "chính mình" in refused.value.message
    assert versions.get(version_id).status is Status.submitted  # type: ignore[union-attr]
    versions.publish(reviewer, version_id)
    assert versions.get(version_id).status is Status.published  # type: ignore[union-attr]


def test_roles_are_checked_by_the_service(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    desk = _officer("motcua", Role.desk)
    record = _record(folder, fee=_fee(10000))
    for officer in (desk, reviewer):
        with pytest.raises(VersionRefused) as refused:
            versions.save_draft(officer, record, "", None)
        assert refused.value.status == 403
    version_id = _submitted(versions, editor, record)
    for step in (
        lambda: versions.publish(editor, version_id),
        lambda: versions.reject(editor, version_id, "Sai"),
        lambda: versions.rollback(editor, FILE_RECORD, version_id),
        lambda: versions.withdraw(_officer("bientap2", Role.editor), version_id),
    ):
        with pytest.raises(VersionRefused) as refused:
            step()
        assert refused.value.status == 403
    assert _row_count() == 1 and versions.get(version_id).status is Status.submitted  # type: ignore[union-attr]


def test_a_stale_draft_is_refused(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    other_editor = _officer("bientap2", Role.editor)
    first = _submitted(versions, editor, _record(folder, fee=_fee(10000)))
    late = _submitted(versions, other_editor, _record(folder, fee=_fee(20000)))
    versions.publish(reviewer, first)
    stale = versions.get(late)
    assert stale is not None and versions.is_stale(stale)
    with pytest.raises(VersionRefused) as refused:
        versions.publish(reviewer, late)
    assert refused.value.status == 409 and "sửa lại từ bản hiện hành" in refused.value.message
    assert versions.get(late).status is Status.submitted  # type: ignore[union-attr]
    assert PublishedRecords().records()[FILE_RECORD]["fee"]["amount_vnd"] == 10000
    # Re-edited from the current version, it goes through.
    again = _submitted(versions, other_editor, _record(folder, fee=_fee(20000)), base=first)
    versions.publish(reviewer, again)
    assert PublishedRecords().records()[FILE_RECORD]["fee"]["amount_vnd"] == 20000


def test_a_record_that_breaks_the_catalogue_is_refused(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    with pytest.raises(VersionRefused, match=r"1\.999998"):  # the other record's code
        versions.save_draft(editor, _record(folder, code="1.999998"), "", None)
    assert _row_count() == 0
    # Two drafts each valid alone, not together: the second publish is refused.
    first = _submitted(versions, editor, _record(folder, code="1.888888"))
    second = _submitted(versions, editor, _record(folder, OTHER_RECORD, code="1.888888"))
    versions.publish(reviewer, first)
    with pytest.raises(VersionRefused, match=r"1\.888888"):
        versions.publish(reviewer, second)
    assert set(PublishedRecords().records()) == {FILE_RECORD}
    assert versions.get(second).status is Status.submitted  # type: ignore[union-attr]


def test_reject_needs_a_reason_and_withdraw_is_the_authors(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    version_id = _submitted(versions, editor, _record(folder, fee=_fee(10000)))
    with pytest.raises(VersionRefused, match="lý do"):
        versions.reject(reviewer, version_id, "  ")
    versions.reject(reviewer, version_id, "Thiếu nguồn")
    rejected = versions.get(version_id)
    assert rejected is not None and rejected.status is Status.rejected
    with pytest.raises(VersionRefused) as refused:
        versions.publish(reviewer, version_id)
    assert refused.value.status == 409
    draft = versions.save_draft(editor, _record(folder, fee=_fee(20000)), "", None)
    assert versions.open_draft(editor, FILE_RECORD) == draft
    changed = versions.save_draft(editor, _record(folder, fee=_fee(30000)), "", None, draft.id)
    assert changed.id == draft.id and changed.body["fee"]["amount_vnd"] == 30000
    versions.withdraw(editor, draft.id)
    assert versions.open_draft(editor, FILE_RECORD) is None
    assert versions.get(draft.id).status is Status.withdrawn  # type: ignore[union-attr]


def test_an_import_is_saved_and_published_all_or_nothing(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    good = _record(folder, fee=_fee(10000))
    clash = _record(folder, OTHER_RECORD, code="1.999999")  # the first record's code
    with pytest.raises(VersionRefused):
        versions.save_import(editor, {FILE_RECORD: good, OTHER_RECORD: clash}, "QĐ 123")
    assert _row_count() == 0 and audit.entries() == []

    other = _record(folder, OTHER_RECORD, fee=_fee(20000))
    batch_id = versions.save_import(editor, {FILE_RECORD: good, OTHER_RECORD: other}, "QĐ 123")
    assert {v.status for v in versions.batch(batch_id)} == {Status.draft}
    assert versions.pending() == []
    versions.submit_batch(editor, batch_id)
    assert {v.batch_id for v in versions.pending()} == {batch_id}
    assert versions.in_progress() == {FILE_RECORD: Status.submitted, OTHER_RECORD: Status.submitted}
    with pytest.raises(VersionRefused):
        versions.withdraw_batch(_officer("bientap2", Role.editor), batch_id)
    one = versions.batch(batch_id)[0].id
    for alone in (
        lambda: versions.publish(reviewer, one),
        lambda: versions.reject(reviewer, one, "Sai"),
        lambda: versions.withdraw(editor, one),
    ):  # an import moves as a whole
        with pytest.raises(VersionRefused, match="cả lần nhập"):
            alone()
    versions.publish_batch(reviewer, batch_id, "Khớp quyết định")
    assert PublishedRecords().revision() == 2
    bodies = PublishedRecords().records()
    assert bodies[FILE_RECORD]["fee"]["amount_vnd"] == 10000
    assert bodies[OTHER_RECORD]["fee"]["amount_vnd"] == 20000
    actions = [e.action for e in reversed(audit.entries())]
    assert actions == ["import_saved", "import_submitted", "import_published"]


def test_a_batch_with_one_stale_record_publishes_nothing(
    versions: CatalogueVersions, folder: Path, editor: Account, reviewer: Account
) -> None:
    records = {
        FILE_RECORD: _record(folder, fee=_fee(10000)),
        OTHER_RECORD: _record(folder, OTHER_RECORD, fee=_fee(20000)),
    }
    batch_id = versions.save_import(editor, records, "QĐ 123")
    versions.submit_batch(editor, batch_id)
    single = _submitted(versions, _officer("bientap2", Role.editor), _record(folder, fee=_fee(1)))
    versions.publish(reviewer, single)
    with pytest.raises(VersionRefused) as refused:
        versions.publish_batch(reviewer, batch_id)
    assert refused.value.status == 409 and FILE_RECORD in refused.value.message
    assert set(PublishedRecords().records()) == {FILE_RECORD}
    assert {v.status for v in versions.batch(batch_id)} == {Status.submitted}
    versions.reject_batch(reviewer, batch_id, "Nhập lại từ bản mới")
    assert {v.status for v in versions.batch(batch_id)} == {Status.rejected}

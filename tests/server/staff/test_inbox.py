"""The inbox: why a message is listed, the filters, labels with their audit entry, and the
export as training data that never repeats a held-out test question or writes a file."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from actions.answers import Aspect
from bot.benchmark.data import load as load_nlu_examples
from knowledge.catalogue import Snapshot, load_record
from knowledge.eval.evaluate import QUESTIONS
from knowledge.export_nlu_questions import render as nlu_from_pairs
from knowledge.paths import PROCEDURES_DIR, ROOT, TRAIN_PAIRS_FILE
from server import db
from server.staff import audit
from server.staff.accounts import Account, Accounts, Role
from server.staff.inbox import Inbox, InboxError, InboxFilters, Labelled, Reason
from server.staff.inbox_export import (
    ANSWER_INTENTS,
    FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    RATE_INTENT,
    TrainingFiles,
    domain_intents,
)
from server.staff.tables import audit_log, inbox_labels

pytestmark = pytest.mark.both_databases

COPY = "cap-ban-sao-van-bang-tu-so-goc"
TRANSFER = "chuyen-truong-va-tiep-nhan-hoc-sinh"
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)  # 10:00 in Vietnam
HELD_OUT_QUESTION = "mẹ em bị mất bằng cấp ba thì xin lại ở đâu"
HELD_OUT_NLU = "cho em hỏi lịch tiếp dân thứ bảy"


def _message(
    text: str,
    at: dt.datetime = T0,
    intent: str | None = "ask_procedure",
    confidence: float | None = 0.95,
    procedure_id: str | None = None,
    channel: str = "web",
    sender: str = "s1",
    direction: str = "in",
) -> int:
    with db.engine().begin() as conn:
        return int(
            conn.execute(
                db.chat_messages.insert().values(
                    created_at=at,
                    channel=channel,
                    sender_hash=sender,
                    direction=direction,
                    text=text,
                    intent=intent,
                    confidence=confidence,
                    procedure_id=procedure_id,
                    author="bot" if direction == "out" else None,
                )
            ).inserted_primary_key[0]
        )


def _rating(sender: str, at: dt.datetime, satisfied: bool) -> None:
    with db.engine().begin() as conn:
        conn.execute(
            db.ratings.insert().values(created_at=at, sender_hash=sender, satisfied=satisfied)
        )


def _listed(**filters: object) -> dict[int, list[Reason]]:
    page = Inbox().items(InboxFilters(labelled=Labelled.all, **filters))
    return {item.id: item.reasons for item in page.items}


@pytest.fixture
def officer() -> Account:
    return Accounts().create("lan", "Nguyễn Thị Lan", "mat-khau-thu-nghiem", {Role.desk})


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    records = [load_record(PROCEDURES_DIR / f"{i}.yml") for i in (COPY, TRANSFER)]
    return Snapshot({r.id: r for r in records}, signature=((), None))


# Why a message is listed


def test_fallback_low_confidence_and_out_of_scope_are_listed_with_their_reasons() -> None:
    fallback = _message("cái đó sao nữa", intent=FALLBACK_INTENT, confidence=0.45)
    at_threshold = _message("học phí bao nhiêu", intent="ask_fee", confidence=0.6)
    below = _message("lệ phí thi lại", intent="ask_fee", confidence=0.5999)
    outside = _message("đăng ký xe máy ở đâu", intent=OUT_OF_SCOPE_INTENT, confidence=0.9)
    _message("chào em", intent="greet", confidence=0.99)
    _message("Dạ, em chào anh/chị!", intent=None, confidence=None, direction="out")
    _message("chưa rõ", intent=None, confidence=None)  # a turn Rasa did not describe
    assert _listed() == {
        fallback: [Reason.fallback, Reason.low_confidence],
        below: [Reason.low_confidence],
        outside: [Reason.out_of_scope],
    }
    assert at_threshold not in _listed()


def test_unsatisfied_lists_the_questions_of_the_hour_before_a_bad_rating() -> None:
    rated_at = T0 + dt.timedelta(hours=2)
    inside = _message("tôi hỏi mãi không được", at=rated_at - dt.timedelta(minutes=59))
    _message("câu hỏi từ sáng", at=rated_at - dt.timedelta(minutes=61))
    _message("thôi cảm ơn", at=rated_at + dt.timedelta(minutes=1))
    _message("Chưa hài lòng", at=rated_at - dt.timedelta(seconds=5), intent=RATE_INTENT)
    _rating("s1", rated_at, satisfied=False)
    happy = "s2"
    _message("hỏi giấy tờ chuyển trường", at=rated_at - dt.timedelta(minutes=5), sender=happy)
    _rating(happy, rated_at, satisfied=True)
    _message("người khác hỏi", at=rated_at - dt.timedelta(minutes=5), sender="s3")
    assert _listed() == {inside: [Reason.unsatisfied]}


def test_labelled_messages_leave_the_default_list(officer: Account, snapshot: Snapshot) -> None:
    done = _message("phí sao y bằng", intent=FALLBACK_INTENT, confidence=0.3)
    waiting = _message("hồ sơ của tôi đâu", intent=FALLBACK_INTENT, confidence=0.3)
    Inbox().label(officer, done, "ask_fee", COPY, False, snapshot)
    assert [i.id for i in Inbox().items().items] == [waiting]
    labelled = Inbox().items(InboxFilters(labelled=Labelled.labelled)).items
    assert [i.id for i in labelled] == [done]
    label = labelled[0].label
    assert label is not None and (label.intent, label.procedure_id) == ("ask_fee", COPY)
    assert label.labelled_by == "Nguyễn Thị Lan" and label.labelled_at.tzinfo is not None
    assert set(_listed()) == {done, waiting}


# Filters and pages


def test_filters_by_vietnam_date_channel_intent_confidence_procedure_and_reason() -> None:
    # 23:59 on 20/11 and 00:00 on 21/11 in Vietnam.
    late = _message(
        "a", at=dt.datetime(2026, 11, 20, 16, 59, tzinfo=dt.timezone.utc), confidence=0.5
    )
    next_day = _message(
        "b",
        at=dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.timezone.utc),
        channel="zalo",
        intent="ask_documents",
        confidence=0.3,
        procedure_id=TRANSFER,
    )
    fallback = _message("c", at=T0, channel="telegram", intent=FALLBACK_INTENT, confidence=0.45)
    day = dt.date(2026, 11, 20)
    assert set(_listed(date_from=day, date_to=day)) == {late, fallback}
    assert set(_listed(date_from=day + dt.timedelta(days=1))) == {next_day}
    assert set(_listed(channel="zalo")) == {next_day}
    assert set(_listed(intent=FALLBACK_INTENT)) == {fallback}
    assert set(_listed(confidence_max=0.45)) == {next_day, fallback}
    assert set(_listed(procedure_id=TRANSFER)) == {next_day}
    assert set(_listed(reason=Reason.fallback)) == {fallback}


def test_pages_newest_first() -> None:
    ids = [_message(f"câu {n}", at=T0 + dt.timedelta(minutes=n), confidence=0.1) for n in range(5)]
    first = Inbox().items(InboxFilters(per_page=2))
    assert (first.total, first.pages) == (5, 3)
    assert [i.id for i in first.items] == [ids[4], ids[3]]
    assert [i.id for i in Inbox().items(InboxFilters(per_page=2, page=3)).items] == [ids[0]]


def test_empty_form_fields_mean_no_filter() -> None:
    filters = InboxFilters.model_validate(
        {"date_from": "", "channel": "", "confidence_max": "", "labelled": "", "page": ""}
    )
    assert filters == InboxFilters()


# Labels


def _labels() -> list[dict[str, object]]:
    with db.engine().connect() as conn:
        return [dict(r) for r in conn.execute(select(inbox_labels)).mappings()]


def test_label_is_upserted_with_an_audit_entry_each_time(
    officer: Account, snapshot: Snapshot
) -> None:
    message = _message("sao y bằng mất bao lâu", intent=FALLBACK_INTENT, confidence=0.2)
    Inbox().label(officer, message, "ask_processing_time", None, False, snapshot)
    Inbox().label(officer, message, "ask_processing_time", COPY, False, snapshot)
    labels = _labels()
    assert len(labels) == 1
    assert (labels[0]["intent"], labels[0]["procedure_id"]) == ("ask_processing_time", COPY)
    entries = audit.entries(action="labelled")
    assert len(entries) == 2 and entries[0].target == f"message {message}"
    assert entries[0].detail is not None and entries[0].detail["procedure_id"] == COPY
    assert entries[0].detail["previous"] == {
        "intent": "ask_processing_time",
        "procedure_id": None,
        "out_of_scope": False,
    }
    assert "sao y" not in str(entries[0].detail)  # never the citizen's words


def test_out_of_scope_is_one_label(officer: Account, snapshot: Snapshot) -> None:
    message = _message("làm căn cước ở đâu", intent="ask_submission", confidence=0.5)
    Inbox().label(officer, message, OUT_OF_SCOPE_INTENT, None, False, snapshot)
    assert (_labels()[0]["intent"], _labels()[0]["out_of_scope"]) == (OUT_OF_SCOPE_INTENT, True)


@pytest.mark.parametrize(
    ("intent", "procedure_id", "out_of_scope"),
    [
        ("hoi_linh_tinh", None, False),  # no such intent in the domain
        (FALLBACK_INTENT, None, False),  # Rasa's, not a label
        (None, "thu-tuc-khong-co", False),
        (None, None, False),
        ("ask_fee", None, True),
        (None, COPY, True),
    ],
)
def test_wrong_labels_are_refused_and_nothing_is_written(
    officer: Account,
    snapshot: Snapshot,
    intent: str | None,
    procedure_id: str | None,
    out_of_scope: bool,
) -> None:
    message = _message("học phí", intent=FALLBACK_INTENT, confidence=0.3)
    with pytest.raises(InboxError):
        Inbox().label(officer, message, intent, procedure_id, out_of_scope, snapshot)
    assert _labels() == [] and audit.entries() == []


def test_only_citizen_messages_can_be_labelled(officer: Account, snapshot: Snapshot) -> None:
    answer = _message("Dạ, lệ phí là...", intent=None, confidence=None, direction="out")
    for message_id in (answer, 999_999):
        with pytest.raises(InboxError):
            Inbox().label(officer, message_id, "ask_fee", None, False, snapshot)
    assert _labels() == []


def test_label_and_audit_entry_are_one_transaction(
    officer: Account, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = _message("học phí", intent=FALLBACK_INTENT, confidence=0.3)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        Inbox().label(officer, message, "ask_fee", None, False, snapshot)
    assert _labels() == []
    with db.engine().connect() as conn:
        assert conn.execute(select(audit_log)).all() == []


def test_the_intent_names_the_inbox_relies_on_are_the_domains() -> None:
    intents = domain_intents()
    assert {OUT_OF_SCOPE_INTENT, RATE_INTENT, *ANSWER_INTENTS} <= intents
    assert FALLBACK_INTENT not in intents
    assert {aspect.value for aspect in Aspect} == ANSWER_INTENTS
    out_of_scope = ROOT / "nlu_data" / "nlu" / "out_of_scope.yml"
    assert {e.intent for e in load_nlu_examples(out_of_scope)} == {OUT_OF_SCOPE_INTENT}
    assert Inbox().intents() == sorted(intents)


# Export


@pytest.fixture
def files(tmp_path: Path) -> TrainingFiles:
    """Training and held-out files of the test's own, so nothing real is read or at risk."""
    nlu_dir, held_dir = tmp_path / "nlu", tmp_path / "held_out_nlu"
    nlu_dir.mkdir()
    held_dir.mkdir()
    (nlu_dir / "general.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - xin chào\n', "utf-8"
    )
    (held_dir / "clean.yml").write_text(
        f'version: "3.1"\nnlu:\n- intent: ask_submission\n  examples: |\n    - {HELD_OUT_NLU}\n',
        "utf-8",
    )
    pairs = tmp_path / "train_pairs.yml"
    pairs.write_text(f'pairs:\n  - q: "bằng bị mối ăn"\n    expected: {COPY}\n', "utf-8")
    questions = tmp_path / "questions.yml"
    questions.write_text(
        f'questions:\n  - q: "{HELD_OUT_QUESTION}"\n    expected: {COPY}\n', "utf-8"
    )
    return TrainingFiles(
        nlu_dir=nlu_dir,
        train_pairs=pairs,
        held_out_questions=questions,
        held_out_nlu_dir=held_dir,
    )


def _labelled(
    officer: Account,
    snapshot: Snapshot,
    text: str,
    intent: str | None,
    procedure_id: str | None = None,
    out_of_scope: bool = False,
) -> None:
    message = _message(text, intent=FALLBACK_INTENT, confidence=0.3)
    Inbox().label(officer, message, intent, procedure_id, out_of_scope, snapshot)


def test_export_is_rasa_nlu_data_and_training_pairs(
    officer: Account, snapshot: Snapshot, files: TrainingFiles, tmp_path: Path
) -> None:
    tricky = 'xin "bản sao" bằng: mất #2 [email] gọi *********** \\ ngay 🙏'
    _labelled(officer, snapshot, "Học phí   học lại\nbao nhiêu ạ?", "ask_fee")
    _labelled(officer, snapshot, "con chuyển trường giữa năm cần gì", "ask_documents", TRANSFER)
    _labelled(officer, snapshot, tricky, None, COPY)
    _labelled(officer, snapshot, "đăng ký xe máy ở đâu", None, out_of_scope=True)
    _labelled(officer, snapshot, "ok", "affirm", COPY)  # not an answer intent: in both files
    result = Inbox(files=files).export()

    nlu = yaml.safe_load(result.nlu.text)
    assert nlu["version"] == "3.1" and set(nlu) == {"version", "nlu"}
    assert all(set(block) == {"intent", "examples"} for block in nlu["nlu"])
    assert all(line.startswith("- ") for b in nlu["nlu"] for line in b["examples"].splitlines())
    saved = tmp_path / "inbox.yml"
    saved.write_text(result.nlu.text, "utf-8")
    examples = {(e.intent, e.text) for e in load_nlu_examples(saved)}
    assert examples == {
        ("ask_fee", "Học phí học lại bao nhiêu ạ?"),
        (OUT_OF_SCOPE_INTENT, "đăng ký xe máy ở đâu"),
        ("affirm", "ok"),
    }
    assert all(not e.entities for e in load_nlu_examples(saved))
    assert (result.nlu.examples, result.nlu_via_pairs) == (3, 1)

    pairs = yaml.safe_load(result.pairs.text)["pairs"]
    assert all(set(p) <= {"q", "expected", "intent"} for p in pairs)
    assert sorted(pairs, key=lambda p: p["q"]) == [
        {"q": "con chuyển trường giữa năm cần gì", "expected": TRANSFER, "intent": "ask_documents"},
        {"q": "ok", "expected": COPY},
        {"q": tricky, "expected": COPY},  # masked text stays as it was logged
    ]
    assert result.pairs.examples == 3


def test_exported_pairs_join_the_real_pairs_file_as_the_page_says(
    officer: Account, snapshot: Snapshot, files: TrainingFiles, tmp_path: Path
) -> None:
    """The page's command drops the file's lines up to ``pairs:`` and appends the rest; the
    result must read with the project's own loaders of train_pairs.yml."""
    from knowledge.retrieval.finetune import training_pairs

    _labelled(officer, snapshot, "con chuyển trường giữa năm cần gì", "ask_documents", TRANSFER)
    _labelled(officer, snapshot, "sổ gốc ở đâu mà xin", None, COPY)
    exported = Inbox(files=files).export().pairs.text
    joined = tmp_path / "train_pairs.yml"
    joined.write_text(
        TRAIN_PAIRS_FILE.read_text("utf-8") + exported.split("\npairs:\n", 1)[1], "utf-8"
    )
    assert ("con chuyển trường giữa năm cần gì", TRANSFER) in training_pairs(joined)
    assert ("sổ gốc ở đâu mà xin", COPY) in training_pairs(joined)
    assert "    - con chuyển trường giữa năm cần gì\n" in nlu_from_pairs(joined)
    assert "sổ gốc ở đâu mà xin" not in nlu_from_pairs(joined)  # no intent: not NLU data


def test_export_drops_held_out_questions_and_duplicates(
    officer: Account, snapshot: Snapshot, files: TrainingFiles
) -> None:
    # The same questions once normalised: no diacritics, other case and punctuation.
    _labelled(officer, snapshot, "Me em bi mat bang cap ba, thi xin lai o dau?", None, COPY)
    _labelled(officer, snapshot, "CHO EM HOI LICH TIEP DAN THU BAY", "ask_submission")
    _labelled(officer, snapshot, "Xin chào!", "greet")  # already training data
    _labelled(officer, snapshot, "Bằng bị mối ăn.", "ask_procedure", COPY)  # already a pair
    _labelled(officer, snapshot, "lệ phí bao nhiêu", "ask_fee")
    _labelled(officer, snapshot, "Lệ phí bao nhiêu?", "ask_fee")  # the same twice
    result = Inbox(files=files).export()
    assert (result.pairs.held_out_dropped, result.pairs.duplicates_dropped) == (1, 1)
    assert (result.nlu.held_out_dropped, result.nlu.duplicates_dropped) == (1, 2)
    assert result.nlu.examples == 1 and result.pairs.examples == 0
    assert yaml.safe_load(result.pairs.text) == {"pairs": []}
    assert "tiep dan" not in result.nlu.text.lower() and "mat bang" not in result.pairs.text.lower()


def test_export_since_a_date_takes_the_labels_given_from_that_vietnam_day(
    officer: Account, snapshot: Snapshot, files: TrainingFiles
) -> None:
    _labelled(officer, snapshot, "lệ phí bao nhiêu", "ask_fee")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    assert Inbox(files=files).export(today).nlu.examples == 1
    assert Inbox(files=files).export(today + dt.timedelta(days=1)).nlu.examples == 0


def _digest(paths: list[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_export_reads_the_real_held_out_files_and_never_changes_a_file(
    officer: Account, snapshot: Snapshot
) -> None:
    held_out = [QUESTIONS, *sorted((ROOT / "tests" / "nlu").glob("*.yml"))]
    training = [TRAIN_PAIRS_FILE, *sorted((ROOT / "nlu_data" / "nlu").glob("*.yml"))]
    assert TrainingFiles().held_out_questions == ROOT / "knowledge" / "eval" / "questions.yml"
    assert TrainingFiles().held_out_nlu_dir == ROOT / "tests" / "nlu" and len(held_out) > 1
    before = _digest(held_out + training)
    _labelled(officer, snapshot, "lệ phí sao y bằng bao nhiêu", "ask_fee", COPY)
    _labelled(officer, snapshot, "làm hộ chiếu ở đâu", None, out_of_scope=True)
    result = Inbox().export()
    assert result.nlu.examples + result.pairs.examples >= 2
    assert _digest(held_out + training) == before
    assert sorted((ROOT / "nlu_data" / "nlu").glob("*.yml")) == training[1:]

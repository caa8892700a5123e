"""The masking SQL tracker store on SQLite (Rasa venv): what is stored is masked, and the
file is in WAL mode like the app database."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import JUST_SAVED_MAX, MASK, MaskingSQLTrackerStore


def test_stores_masked_events_in_a_wal_file(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events(
        "citizen",
        [UserUttered("số tôi là 0912345678"), SlotSet("dossier_verification", "5678")],
    )
    asyncio.run(store.save(tracker))

    stored = asyncio.run(store.retrieve("citizen"))
    assert stored is not None
    texts = [e.text for e in stored.events if isinstance(e, UserUttered)]
    assert texts and "0912345678" not in texts[0]
    slots = [e.value for e in stored.events if isinstance(e, SlotSet)]
    assert slots == [MASK]
    assert tracker.events[-1].value == "5678"  # the live tracker keeps it
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_tracker_just_saved_is_given_once(tmp_path: Path) -> None:
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    for sender in ("a", "b"):
        tracker = DialogueStateTracker.from_events(sender, [UserUttered("xin chào")])
        asyncio.run(store.save(tracker))

    saved = store.take_just_saved("a")
    assert saved is not None and saved.sender_id == "a"
    assert store.take_just_saved("a") is None  # once: the next turn reads its own
    assert store.take_just_saved("b") is not None


def test_the_trackers_kept_are_bounded(tmp_path: Path) -> None:
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    for n in range(JUST_SAVED_MAX + 5):
        asyncio.run(store.save(DialogueStateTracker.from_events(f"s{n}", [UserUttered("chào")])))
    assert store.take_just_saved("s0") is None  # the oldest were dropped
    assert store.take_just_saved(f"s{JUST_SAVED_MAX + 4}") is not None

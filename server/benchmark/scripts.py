"""The conversations the simulated citizens hold: realistic, varied, and written to a JSON
file the load generator reads (it runs in its own process, under gevent).

Questions come from the retrieval training pairs (never from the held-out evaluation
questions), half of them typed without diacritics as many citizens do; the dossier lookups use
the demo dossiers seeded in the benchmark's own database, verified with their real digits.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from pydantic import BaseModel

from knowledge.paths import TRAIN_PAIRS_FILE
from knowledge.vietnamese import strip_diacritics


class Turn(BaseModel):
    text: str
    press: bool = False  # press the first button the bot offered (a rating, a choice)


class Script(BaseModel):
    kind: str
    turns: list[Turn]


class Scripts(BaseModel):
    scripts: list[Script]


class DemoDossier(BaseModel):
    code: str
    phone_last4: str


FOLLOW_UPS = (
    ("cần chuẩn bị giấy tờ gì", "can giay to gi"),
    ("mất bao lâu vậy ạ", "mat bao lau vay"),
    ("lệ phí bao nhiêu", "le phi bao nhieu"),
    ("nộp hồ sơ ở đâu", "nop o dau"),
    ("có nộp online được không", "nop online dc ko"),
)
OPENINGS = ("Xin chào ạ", "chào em", "alo", "cho mình hỏi chút")
CLOSINGS = ("cảm ơn em nhé", "cam on nhieu", "ok thanks", "vậy thôi, tạm biệt nhé")
DOSSIER_ASKS = (
    "hồ sơ của tôi đến đâu rồi?", "tra cứu hồ sơ", "ho so cua toi toi dau roi",
    "kiểm tra tình trạng hồ sơ giúp tôi",
)  # fmt: skip
HANDOFF_ASKS = ("cho tôi gặp cán bộ", "gap can bo tu van", "tôi muốn nói chuyện với người thật")
# How often each kind of conversation starts: mostly procedure questions, as on the desk.
WEIGHTS = {"procedure": 6, "dossier": 3, "handoff": 1}


def _typed(text: str, rng: random.Random) -> str:
    """As a citizen types it: half the time without diacritics."""
    return strip_diacritics(text) if rng.random() < 0.5 else text


def _pick(pair: tuple[str, str], rng: random.Random) -> str:
    return pair[rng.random() < 0.5]


def procedure_questions(path: Path = TRAIN_PAIRS_FILE) -> list[str]:
    pairs = yaml.safe_load(path.read_text(encoding="utf-8"))["pairs"]
    return [p["q"] for p in pairs if p.get("intent") == "ask_procedure"]


def procedure_script(questions: list[str], rng: random.Random) -> Script:
    turns = [Turn(text=rng.choice(OPENINGS))] if rng.random() < 0.5 else []
    turns.append(Turn(text=_typed(rng.choice(questions), rng)))
    for pair in rng.sample(FOLLOW_UPS, k=rng.randint(1, 3)):
        turns.append(Turn(text=_pick(pair, rng)))
    turns.append(Turn(text=rng.choice(CLOSINGS)))
    if rng.random() < 0.5:
        turns.append(Turn(text="", press=True))  # the satisfaction rating offered
    return Script(kind="procedure", turns=turns)


def dossier_script(dossier: DemoDossier, rng: random.Random) -> Script:
    code = dossier.code if rng.random() < 0.5 else dossier.code.replace(".", "").lower()
    digits = rng.choice((dossier.phone_last4, f"4 số cuối là {dossier.phone_last4}"))
    return Script(
        kind="dossier",
        turns=[
            Turn(text=_typed(rng.choice(DOSSIER_ASKS), rng)),
            Turn(text=code),
            Turn(text=digits),
            Turn(text=rng.choice(CLOSINGS)),
        ],
    )


def handoff_script(questions: list[str], rng: random.Random) -> Script:
    return Script(
        kind="handoff",
        turns=[Turn(text=_typed(rng.choice(questions), rng)), Turn(text=rng.choice(HANDOFF_ASKS))],
    )


def build(dossiers: list[DemoDossier], count: int = 400, seed: int = 21) -> Scripts:
    """``count`` conversations in the proportions of WEIGHTS, reproducible from ``seed``."""
    rng = random.Random(seed)
    questions = procedure_questions()
    kinds = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=count)
    scripts = []
    for kind in kinds:
        if kind == "dossier" and dossiers:
            scripts.append(dossier_script(rng.choice(dossiers), rng))
        elif kind == "handoff":
            scripts.append(handoff_script(questions, rng))
        else:
            scripts.append(procedure_script(questions, rng))
    return Scripts(scripts=scripts)

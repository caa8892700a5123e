"""Compares pipeline settings on the training data alone, never on the test split.

Each config is trained on four fifths of ``nlu_data/nlu`` (every fifth example of each intent
is held back, so the split is the same on every run) and scored on the fifth held back, as
typed and with its diacritics stripped. This is how ``bot/config.yml`` was chosen.

    python -m bot.benchmark.tune CONFIG [CONFIG ...]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bot.benchmark.data import Example, annotated, load
from bot.benchmark.run import ROOT, top_intent
from bot.benchmark.variants import no_diacritics

TRAINING_DIR = ROOT / "nlu_data" / "nlu"
FOLD = 5


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, validation): every FOLD-th example of each intent goes to validation."""
    train: list[Example] = []
    validation: list[Example] = []
    seen: dict[str, int] = {}
    for example in examples:
        n = seen[example.intent] = seen.get(example.intent, 0) + 1
        (validation if n % FOLD == 0 else train).append(example)
    return train, validation


def write_nlu(examples: list[Example], path: Path) -> None:
    lines = ['version: "3.1"', "nlu:"]
    for intent in dict.fromkeys(e.intent for e in examples):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {annotated(e)}" for e in examples if e.intent == intent]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def score(
    config: Path, train: list[Example], validation: list[Example], show_errors: bool = False
) -> dict[str, float]:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "train.yml"
        write_nlu(train, data)
        model = train_nlu(str(config), str(data), folder, fixed_model_name="tune")
        assert model, "training failed"
        agent = Agent.load(model)

        loop = asyncio.new_event_loop()

        def accuracy(examples: list[Example]) -> float:
            parsed = [loop.run_until_complete(agent.parse_message(e.text)) for e in examples]
            guesses = [top_intent(p) for p in parsed]
            misses = [(e, g) for e, g in zip(examples, guesses, strict=True) if g != e.intent]
            if show_errors:
                for example, guess in misses:
                    print(f"  {example.intent} -> {guess}: {example.text}")
            return round(1 - len(misses) / len(examples), 4)

        return {
            "as_typed": accuracy(validation),
            "no_diacritics": accuracy([no_diacritics(e) for e in validation]),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("configs", nargs="+", type=Path)
    parser.add_argument("--errors", action="store_true", help="print each validation miss")
    args = parser.parse_args()
    examples = [e for path in sorted(TRAINING_DIR.glob("*.yml")) for e in load(path)]
    train, validation = split(examples)
    print(f"{len(train)} training, {len(validation)} validation examples")
    for config in args.configs:
        print(config, score(config, train, validation, args.errors), flush=True)


if __name__ == "__main__":
    main()

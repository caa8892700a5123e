"""Fine-tunes the e5 model on this domain: ``python -m knowledge.retrieval.finetune BASE OUT``.

Untuned, multilingual-e5 ranks our procedures poorly, and worse for text typed without
diacritics. We teach it with contrastive pairs (question -> the procedure's name): the
training pairs in ``knowledge/data/train_pairs.yml`` and the records' own situations, each
also stripped of diacritics. The held-out evaluation questions are never used here.
The loss is the in-batch softmax of sentence-transformers' MultipleNegativesRankingLoss,
written out in a few lines so that no training framework is needed.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import torch
import yaml

from knowledge.catalogue import load_all
from knowledge.paths import TRAIN_PAIRS_FILE
from knowledge.retrieval.dense import PASSAGE_PREFIX, QUERY_PREFIX
from knowledge.vietnamese import strip_diacritics


def training_pairs(pairs_file: Path = TRAIN_PAIRS_FILE) -> list[tuple[str, str]]:
    """(query, procedure id) pairs, each question also without diacritics."""
    data = yaml.safe_load(pairs_file.read_text(encoding="utf-8"))
    pairs = [(str(p["q"]), str(p["expected"])) for p in data["pairs"]]
    pairs += [(s, p.id) for p in load_all().procedures.values() for s in p.situations]
    stripped = [(strip_diacritics(q), pid) for q, pid in pairs if strip_diacritics(q) != q]
    return pairs + stripped


def batches(
    pairs: list[tuple[str, str]], size: int, rng: random.Random
) -> list[list[tuple[str, str]]]:
    """Shuffled batches with each procedure at most once, so in-batch negatives are true."""
    pending = pairs[:]
    rng.shuffle(pending)
    out: list[list[tuple[str, str]]] = []
    while pending:
        batch: list[tuple[str, str]] = []
        seen: set[str] = set()
        rest = []
        for pair in pending:
            if len(batch) < size and pair[1] not in seen:
                batch.append(pair)
                seen.add(pair[1])
            else:
                rest.append(pair)
        out.append(batch)
        pending = rest
    return out


def finetune(base: str, out: Path, epochs: int, batch_size: int, lr: float, seed: int) -> None:
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    names = {p.id: p.name for p in load_all().procedures.values()}
    pairs = training_pairs()
    model = SentenceTransformer(base, device="cpu")
    model.max_seq_length = 64
    # The 250k-token embedding table is 80% of the weights: keeping it frozen makes a step
    # several times cheaper on a CPU and keeps the vocabulary the base model learned.
    for name, parameter in model.named_parameters():
        parameter.requires_grad = "word_embeddings" not in name
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=lr)
    scale = 20.0  # 1 / temperature, as in MultipleNegativesRankingLoss
    model.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        total, steps = 0.0, 0
        for batch in batches(pairs, batch_size, rng):
            if len(batch) < 2:
                continue
            queries = [QUERY_PREFIX + q for q, _ in batch]
            passages = [PASSAGE_PREFIX + names[pid] for _, pid in batch]
            q_emb = model(model.preprocess(queries))["sentence_embedding"]
            p_emb = model(model.preprocess(passages))["sentence_embedding"]
            q_emb = torch.nn.functional.normalize(q_emb, dim=-1)
            p_emb = torch.nn.functional.normalize(p_emb, dim=-1)
            logits = scale * q_emb @ p_emb.T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            total, steps = total + loss.item(), steps + 1
        print(f"epoch {epoch + 1}/{epochs}: loss {total / max(1, steps):.4f} ({steps} steps)",
              flush=True)  # fmt: skip
    model.eval()
    model.save(str(out))
    print(f"fine-tuned on {len(pairs)} pairs in {time.perf_counter() - started:.0f}s -> {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base", help="model folder or Hugging Face name to start from")
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    finetune(args.base, args.out, args.epochs, args.batch_size, args.lr, args.seed)


if __name__ == "__main__":
    main()

"""The fine-tuned e5 model as an int8 ONNX model, for ONNX Runtime.

``python -m knowledge.retrieval.export_onnx models/e5-small-edu models/e5-small-edu-int8``
(run by ``make model``). Under load, embedding the citizen's question with PyTorch was most of
the action server's CPU time, and PyTorch with the model took about 1 GB in each process that
loaded it (README "Load benchmark"). ONNX Runtime runs the same network without PyTorch.

The word-embedding table (two thirds of the weights) and the attention projections are
quantized to 8 bits per output channel (dynamic quantization: activations stay in float). The
feed-forward layers stay in float: quantizing them too cost 1.6 points of top-1 accuracy on
the questions typed without diacritics.

The tokenizer is rewritten for SentencePiece: the same 250,002 pieces and scores, with
SentencePiece's own "nmt_nfkc" normalisation. ``tokenizers`` held the vocabulary in 280 MB of
memory per process, SentencePiece in 50 MB, and splits the same (checked on every training and
evaluation question in ``tests/knowledge/test_dense.py``). The folder holds ``model.onnx``,
``tokenizer.model`` and ``encoder.json`` (pooling and input length), which is all
:class:`knowledge.retrieval.dense.DenseEncoder` needs. Kept because ``make eval`` holds with
it (README "Measured").
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

ONNX_FILE = "model.onnx"
SETTINGS_FILE = "encoder.json"
TOKENIZER_FILE = "tokenizer.model"  # SentencePiece
OPSET = 17


def _export_float(source: Path, target: Path) -> int:
    """Writes the float ONNX graph of the transformer; returns the model's input length."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(source).eval()
    tokenizer = AutoTokenizer.from_pretrained(source)

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = tokenizer(["query: bằng tốt nghiệp"], return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(), (sample["input_ids"], sample["attention_mask"]), str(target),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=OPSET, dynamo=False,
        )  # fmt: skip
    return int(tokenizer.model_max_length)


def _feed_forward(model_file: Path) -> list[str]:
    """The matrix products of the layers' feed-forward blocks (BERT's ``intermediate`` and
    ``output`` dense layers, not the attention's)."""
    import onnx

    graph = onnx.load(str(model_file), load_external_data=False).graph
    return [
        node.name for node in graph.node
        if node.op_type == "MatMul" and "/attention/" not in node.name
        and ("/intermediate/dense/" in node.name or "/output/dense/" in node.name)
    ]  # fmt: skip


def sentencepiece_model(tokenizer_json: Path) -> bytes:
    """The unigram tokenizer of ``tokenizer.json`` as a SentencePiece model, ids unchanged.

    SentencePiece builds the table of its "nmt_nfkc" normalisation only when it trains, so a
    throw-away model is trained on two lines and its normaliser is kept."""
    import io

    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    proto: Any = sentencepiece_model_pb2  # generated protobuf classes, untyped

    trained = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(["xin chào", "bằng tốt nghiệp"] * 20), model_writer=trained,
        vocab_size=30, hard_vocab_limit=False, normalization_rule_name="nmt_nfkc",
        minloglevel=2,
    )  # fmt: skip
    donor = proto.ModelProto.FromString(trained.getvalue())
    vocabulary = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    model = proto.ModelProto()
    model.normalizer_spec.CopyFrom(donor.normalizer_spec)
    spec = model.trainer_spec
    spec.model_type, spec.vocab_size = proto.TrainerSpec.UNIGRAM, len(vocabulary)
    spec.bos_id, spec.pad_id, spec.eos_id, spec.unk_id = 0, 1, 2, 3  # XLM-R's order
    kinds = proto.ModelProto.SentencePiece
    special = {"<s>": kinds.CONTROL, "<pad>": kinds.CONTROL, "</s>": kinds.CONTROL,
               "<unk>": kinds.UNKNOWN, "<mask>": kinds.USER_DEFINED}  # fmt: skip
    for text, score in vocabulary:
        model.pieces.add(piece=text, score=score, type=special.get(text, kinds.NORMAL))
    return bytes(model.SerializeToString())


def export(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    pooling = json.loads((source / "1_Pooling" / "config.json").read_text())["pooling_mode"]
    if pooling != "mean":
        raise SystemExit(f"{source}: pooling {pooling!r}; only mean pooling is exported")
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        float_model = Path(tmp) / "float.onnx"
        max_length = _export_float(source, float_model)
        quantize_dynamic(
            float_model, target / ONNX_FILE, weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"], nodes_to_exclude=_feed_forward(float_model),
        )  # fmt: skip
    (target / TOKENIZER_FILE).write_bytes(sentencepiece_model(source / "tokenizer.json"))
    settings = {"pooling": "mean", "max_length": max_length, "source": source.name,
                "quantization": "dynamic int8 per channel: embeddings, attention"}  # fmt: skip
    (target / SETTINGS_FILE).write_text(json.dumps(settings, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path, help="a sentence-transformers folder")
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    export(args.source, args.target)
    print(f"written: {args.target / ONNX_FILE}")


if __name__ == "__main__":
    main()

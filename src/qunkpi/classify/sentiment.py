"""Offline sentiment: a negation/intensifier-aware lexicon combined with the shipped n-gram model.

``score_texts(texts)`` → ``(labels, scores)``: labels negative/neutral/positive and scores in
[-1, 1], exactly as stored for a member's message (same SQL as the engine, see
:mod:`qunkpi.classify.rules`): the lexicon score ``lex`` (weights × intensifiers, negators flip)
squashed to ``lex/(1+|lex|)`` and averaged with the model score ``m = 2·P(positive) − 1``
(``LEX_WEIGHT``); with no lexicon word the score is ``MODEL_ONLY_WEIGHT · m``, which stays inside the
neutral band — group chat without a sentiment word is neutral, because a review-trained model is
not reliable on short factual chat. Labels use ±``POS_THRESHOLD``.

``binary=True`` returns the polarity instead (positive when ``lex``/model combined ≥ 0, with no
class rules and no neutral band): use it for review-style benchmarks whose labels are only
positive/negative (SnowNLP-style accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from qunkpi.classify.lexicons import Lexicons


def score_texts(
    texts: Sequence[str | None] | pa.Array | pa.ChunkedArray,
    *,
    binary: bool = False,
    lexicons: Lexicons | None = None,
    use_model: bool = True,
) -> tuple[list[str], np.ndarray]:
    """Sentiment labels and scores for texts (vectorised: one SQL pass + one numpy pass)."""
    from qunkpi.classify.rules import classify_texts

    values = texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray)) else list(texts)
    labels = classify_texts(values, lexicons=lexicons, use_model=use_model, redact_first=False)
    if binary:
        return [lab.polarity for lab in labels], np.array([lab.polarity_score for lab in labels], dtype=float)
    return [lab.sentiment for lab in labels], np.array([lab.sentiment_score for lab in labels], dtype=float)


def model_scores(texts: Sequence[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The shipped model alone: 2·P(positive) − 1 per text (numpy, no SQL)."""
    from qunkpi.classify.model import shipped_model

    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(list(texts), type=pa.string())
    return shipped_model().score(arr)

"""Quality floors on the hand-written evaluation set (tests/classify/eval_messages.csv).

The floors are what the classifier measured (docs/classification.md, with the confusion matrices)
minus a small margin; they are not aspirations. Rows with split=test were not used to write the
lexicons before their first measurement (see the doc for how they were used afterwards).
"""

from __future__ import annotations

from collections import Counter

import pytest

from qunkpi.classify.evaluate import EvalResult, Scores
from qunkpi.classify.rules import CLASSES, SENTIMENTS, classify_texts

# class: (precision floor, recall floor) on all 649 rows
CLASS_FLOORS = {
    "system": (0.95, 0.95),
    "staff": (0.95, 0.95),
    "spam": (0.95, 0.90),
    "filler": (0.95, 0.92),
    "question": (0.93, 0.95),
    "answer": (0.95, 0.95),
    "checkin": (0.92, 0.95),
    "share": (0.92, 0.92),
    "chat": (0.93, 0.93),
}
SENTIMENT_FLOORS = {"negative": (0.75, 0.85), "neutral": (0.95, 0.90), "positive": (0.70, 0.85)}
TEST_SPLIT_CLASS_ACCURACY = 0.92
TEST_SPLIT_SENTIMENT_ACCURACY = 0.90


def test_eval_set_is_big_and_covers_every_class(eval_rows: list[dict[str, str]]) -> None:
    assert len(eval_rows) >= 600
    counts = Counter(r["expected_class"] for r in eval_rows)
    assert set(counts) == set(CLASSES)
    assert all(n >= 15 for n in counts.values()), counts
    assert {r["expected_sentiment"] for r in eval_rows} == set(SENTIMENTS)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("我也不知道为什么", "chat"),
        ("有没有人知道这个怎么退款", "question"),
        ("昨天忘记打卡了", "chat"),
        ("今日5公里✅ 用时31分", "checkin"),
        ("求个链接", "question"),
    ],
)
def test_spec_hard_cases_are_in_the_set_and_right(eval_result: EvalResult, text: str, expected: str) -> None:
    rows = [r for r in eval_result.rows if r["text"] == text]
    assert rows, f"{text} missing from the eval set"
    for r in rows:
        assert r["expected_class"] == expected
        assert r["cls"] == expected, r


@pytest.mark.parametrize("cls", CLASSES)
def test_class_precision_recall_floors(eval_result: EvalResult, cls: str) -> None:
    p_floor, r_floor = CLASS_FLOORS[cls]
    p, r = eval_result.classes.precision(cls), eval_result.classes.recall(cls)
    assert p is not None and p >= p_floor, (cls, p)
    assert r is not None and r >= r_floor, (cls, r)


@pytest.mark.parametrize("label", SENTIMENTS)
def test_sentiment_precision_recall_floors(eval_result: EvalResult, label: str) -> None:
    p_floor, r_floor = SENTIMENT_FLOORS[label]
    p, r = eval_result.sentiment.precision(label), eval_result.sentiment.recall(label)
    assert p is not None and p >= p_floor, (label, p)
    assert r is not None and r >= r_floor, (label, r)


def test_test_split_accuracy(eval_result: EvalResult) -> None:
    rows = [r for r in eval_result.rows if r["split"] == "test"]
    classes = Scores(CLASSES, [(r["expected_class"], r["cls"]) for r in rows])
    sentiment = Scores(SENTIMENTS, [(r["expected_sentiment"], r["sentiment"]) for r in rows])
    assert classes.accuracy >= TEST_SPLIT_CLASS_ACCURACY
    assert sentiment.accuracy >= TEST_SPLIT_SENTIMENT_ACCURACY


def test_text_path_agrees_with_sql_path_without_context(eval_rows: list[dict[str, str]]) -> None:
    """classify_text (single-text path) == the engine for a member's message with no context."""
    from qunkpi.classify.evaluate import evaluate_rows

    plain = [
        {
            "id": r["id"],
            "text": r["text"],
            "msg_type": r["msg_type"],
            "role": "member",
            "expected_class": r["expected_class"],
        }
        for r in eval_rows
        if r["msg_type"] != "system"
    ]
    sql = evaluate_rows(plain)
    single = classify_texts([r["text"] or None for r in plain], [r["msg_type"] for r in plain])
    mismatches = [
        (r["text"], r["cls"], lab.cls, r["sentiment"], lab.sentiment)
        for r, lab in zip(sql.rows, single, strict=True)
        if (r["cls"], r["reason"], r["sentiment"]) != (lab.cls, lab.reason, lab.sentiment)
        or abs(r["sentiment_score"] - lab.sentiment_score) > 1e-3
    ]
    assert not mismatches, mismatches[:10]

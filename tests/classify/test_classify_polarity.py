"""Binary review evaluation (``qunkpi classify --eval FILE`` with ``label``/``review`` columns)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qunkpi.classify.evaluate import evaluate_polarity, is_polarity_file
from qunkpi.cli.main import app
from qunkpi.errors import QunkpiError

# Unambiguous reviews; the last row is labelled positive on purpose although it is plainly negative,
# so the expected figures below are not all 100 %.
ROWS = [
    ("1", "很好吃，送得也快，好评"),
    ("1", "分量很足，性价比超高，还会回购"),
    ("0", "太难吃了，再也不点了"),
    ("0", "等了两个小时，饭都凉透了，差评"),
    ("1", "非常失望，难吃，差评"),
]


def _write(path: Path, rows: list[tuple[str, str]], header: str = "label,review") -> Path:
    path.write_text(header + "\n" + "".join(f"{lab},{text}\n" for lab, text in rows), encoding="utf-8")
    return path


def test_accuracy_precision_recall_worked_by_hand(tmp_path: Path) -> None:
    res = evaluate_polarity(_write(tmp_path / "r.csv", ROWS))
    sc = res.scores
    # predicted: +, +, -, -, - against gold +, +, -, -, + → 4 of 5 right
    assert sc.accuracy == pytest.approx(0.8)
    table = {r["label"]: r for r in sc.table()}
    assert table["positive"]["support"] == 3 and table["positive"]["recall"] == pytest.approx(2 / 3)
    assert table["positive"]["precision"] == pytest.approx(1.0)
    assert table["negative"]["support"] == 2 and table["negative"]["precision"] == pytest.approx(2 / 3)
    assert table["negative"]["recall"] == pytest.approx(1.0)
    assert res.skipped == 0


def test_gzip_text_column_and_split(tmp_path: Path) -> None:
    body = "split,label,text\n" + "".join(f"{'dev' if i % 2 else 'test'},{lab},{t}\n" for i, (lab, t) in enumerate(ROWS))
    gz = tmp_path / "r.csv.gz"
    gz.write_bytes(gzip.compress(body.encode("utf-8")))
    assert is_polarity_file(gz)
    only_test = evaluate_polarity(gz, split="test")  # rows 0, 2, 4: +, - right; the mislabelled one wrong
    assert len(only_test.scores.pairs) == 3 and only_test.scores.accuracy == pytest.approx(2 / 3)


def test_bad_label_names_file_row_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", [("1", "好吃"), ("2", "难吃")])
    with pytest.raises(QunkpiError) as e:
        evaluate_polarity(path)
    msg = str(e.value)
    assert "bad.csv" in msg and ("row 3" in msg or "第 3 行" in msg) and "label" in msg


def test_cli_eval_json(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", ROWS)
    out = CliRunner().invoke(app, ["classify", "--eval", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)[0]
    assert data["polarity_accuracy"] == pytest.approx(0.8) and data["texts"] == 5


def test_class_eval_file_is_not_taken_for_a_review_set() -> None:
    assert not is_polarity_file(Path(__file__).parent / "eval_messages.csv")


# Hand-written food-delivery reviews (tests/classify/eval_reviews_delivery.csv, 250 dev + 250 test, balanced), a
# stand-in for the independent review data of issue 3: the domain words of the lexicons were added from the dev
# split's errors only. Measured (docs/classification.md): dev 94.4 %, test 90.8 % (before the domain words: 87.2 %
# and 85.2 %). The floors are those figures less a small margin.
DELIVERY = Path(__file__).parent / "eval_reviews_delivery.csv"


@pytest.mark.parametrize(("split", "floor"), [("dev", 0.93), ("test", 0.90)])
def test_delivery_reviews_accuracy_floor(split: str, floor: float) -> None:
    res = evaluate_polarity(DELIVERY, split=split)
    assert len(res.scores.pairs) == 250
    assert res.scores.accuracy >= floor
    for row in res.scores.table():  # neither polarity is sacrificed for the other (lowest measured: 84.8 %)
        assert row["recall"] is not None and row["recall"] >= 0.82


def test_bad_label_row_counts_every_row_even_with_a_split(tmp_path: Path) -> None:
    path = tmp_path / "split.csv"
    path.write_text("split,label,text\ndev,1,好吃\ntest,1,好喝\ndev,2,难吃\n", encoding="utf-8")
    with pytest.raises(QunkpiError) as e:
        evaluate_polarity(path, split="dev")
    msg = str(e.value)
    assert "row 4" in msg or "第 4 行" in msg

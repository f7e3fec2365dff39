"""Measure the classifier against labelled samples (per-class precision/recall, confusion matrices).

A labelled CSV has at least ``text`` and ``expected_class``; optional columns: ``id``, ``msg_type``
(default text), ``role`` (member|staff), ``reply_to`` (an ``id`` of another row), ``recalled``
(true/false), ``expected_sentiment``, ``split``. Rows are loaded into a throw-away workspace (one
sender per member row, one staff account, seven minutes apart) and classified with the bulk engine,
so staff, answers and recalls are judged in context exactly as in production.
"""

from __future__ import annotations

import csv
import gzip
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qunkpi.classify.rules import CLASSES, SENTIMENTS
from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

POLARITY_LABELS = ("negative", "positive")
_POLARITY_OF = {"0": "negative", "1": "positive", "negative": "negative", "positive": "positive", "neg": "negative", "pos": "positive"}


def _open_text(path: Path) -> Any:
    return (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8-sig", newline="")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with _open_text(path) as f:
        return list(csv.DictReader(f))


def load_labelled(path: Path) -> list[dict[str, str]]:
    rows = _read_csv(path)
    for i, r in enumerate(rows):
        r.setdefault("id", f"r{i + 1}")
        if not r.get("id"):
            r["id"] = f"r{i + 1}"
        r["msg_type"] = r.get("msg_type") or "text"
        r["role"] = r.get("role") or "member"
    return rows


@dataclass
class Scores:
    labels: tuple[str, ...]
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (expected, predicted)

    @property
    def confusion(self) -> dict[tuple[str, str], int]:
        return dict(Counter(self.pairs))

    @property
    def accuracy(self) -> float:
        return sum(e == p for e, p in self.pairs) / len(self.pairs) if self.pairs else 0.0

    def precision(self, label: str) -> float | None:
        predicted = [e for e, p in self.pairs if p == label]
        return sum(e == label for e in predicted) / len(predicted) if predicted else None

    def recall(self, label: str) -> float | None:
        actual = [p for e, p in self.pairs if e == label]
        return sum(p == label for p in actual) / len(actual) if actual else None

    def support(self, label: str) -> int:
        return sum(e == label for e, _ in self.pairs)

    def table(self) -> list[dict[str, Any]]:
        out = []
        for lab in self.labels:
            out.append(
                {
                    "label": lab,
                    "support": self.support(lab),
                    "predicted": sum(p == lab for _, p in self.pairs),
                    "precision": self.precision(lab),
                    "recall": self.recall(lab),
                }
            )
        return out

    def markdown(self) -> str:
        labs = [lab for lab in self.labels if self.support(lab) or any(p == lab for _, p in self.pairs)]
        conf = self.confusion
        head = "| expected \\ predicted | " + " | ".join(labs) + " |"
        sep = "|---|" + "---|" * len(labs)
        lines = [head, sep]
        for e in labs:
            lines.append(f"| **{e}** | " + " | ".join(str(conf.get((e, p), 0) or "") for p in labs) + " |")
        return "\n".join(lines)


@dataclass
class EvalResult:
    classes: Scores
    sentiment: Scores
    rows: list[dict[str, Any]]

    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["cls"] != r["expected_class"]]


def evaluate_rows(
    rows: list[dict[str, str]], lexicon_dir: Path | None = None, use_model: bool = True
) -> EvalResult:
    """Classify labelled rows in a temporary workspace and compare with their labels."""
    from qunkpi.classify.engine import classify_workspace
    from qunkpi.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="qunkpi_eval_") as tmp:
        ws = Workspace.init(Path(tmp) / "ws")
        try:
            ws.settings.pseudonymize = False
            ws.settings.classification.sentiment_model = use_model
            if lexicon_dir is not None:
                ws.settings.classification.lexicon_dir = str(Path(lexicon_dir).resolve())
            con = ws.con
            t0 = datetime(2025, 3, 1, 8, 0)
            con.execute(
                "INSERT INTO communities VALUES ('eval', 'eval', 'wechat_group', NULL, ?, NULL, NULL, true, NULL)",
                [t0 - timedelta(days=90)],
            )
            con.execute(
                "INSERT INTO members VALUES ('eval', 'staff_1', ?, NULL, NULL, NULL, true, 'staff', NULL, NULL, NULL)",
                [t0 - timedelta(days=90)],
            )
            msgs = []
            for i, r in enumerate(rows):
                staff = r.get("role", "member") == "staff"
                sender = "staff_1" if staff else f"member_{i}"
                text = r.get("text") or None
                recalled = str(r.get("recalled", "")).strip().lower() in ("true", "1", "yes")
                msgs.append(
                    (
                        r["id"],
                        "eval",
                        sender,
                        t0 + timedelta(minutes=7 * i),
                        r.get("msg_type") or "text",
                        text,
                        r.get("reply_to") or None,
                        recalled,
                    )
                )
            con.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)", msgs)
            ws.messages_changed()
            classify_workspace(ws, full=True)
            got = {
                mid: (cls, reason, sent, score)
                for mid, cls, reason, sent, score in con.execute(
                    "SELECT message_id, cls, reason, sentiment, sentiment_score FROM message_labels"
                ).fetchall()
            }
        finally:
            ws.close()
    out_rows = []
    cls_scores = Scores(CLASSES)
    sent_scores = Scores(SENTIMENTS)
    for r in rows:
        cls, reason, sent, score = got[r["id"]]
        out_rows.append({**r, "cls": cls, "reason": reason, "sentiment": sent, "sentiment_score": score})
        if r.get("expected_class"):
            cls_scores.pairs.append((r["expected_class"], cls))
        if r.get("expected_sentiment"):
            sent_scores.pairs.append((r["expected_sentiment"], sent))
    return EvalResult(cls_scores, sent_scores, out_rows)


def is_polarity_file(path: Path) -> bool:
    """A binary review set: a ``label`` column (0/1 or negative/positive), a ``text`` or ``review`` column and no
    ``expected_class`` (the layout of the public review corpora, e.g. ``label,review``)."""
    with _open_text(path) as f:
        cols = set(csv.DictReader(f).fieldnames or [])
    return "label" in cols and bool(cols & {"text", "review"}) and "expected_class" not in cols


@dataclass
class PolarityResult:
    scores: Scores
    seconds: float  # scoring time of all texts (one vectorised pass, after a warm-up call)
    skipped: int  # rows without text

    @property
    def texts_per_second(self) -> float:
        return len(self.scores.pairs) / self.seconds if self.seconds else 0.0


def evaluate_polarity(path: Path, split: str | None = None) -> PolarityResult:
    """Binary sentiment accuracy on a labelled review file (``label`` 0/1, ``text`` or ``review``): the
    ``polarity`` of :func:`qunkpi.classify.sentiment.score_texts` (``binary=True``) against the labels.
    ``split``: only rows whose ``split`` column has this value."""
    from qunkpi.classify.sentiment import score_texts

    texts: list[str] = []
    gold: list[str] = []
    skipped = 0
    for i, r in enumerate(_read_csv(path), start=2):  # row 1 is the header
        if split is not None and r.get("split") != split:
            continue
        text = (r.get("text") if "text" in r else r.get("review")) or ""
        raw = str(r.get("label", "")).strip().lower()
        if raw not in _POLARITY_OF:
            raise QunkpiError(
                tr(
                    f"{path} 第 {i} 行 label 列：{raw!r} 不是 0/1 或 negative/positive——改正这一行再试",
                    f"{path} row {i}, column label: {raw!r} is not 0/1 or negative/positive — fix the row and retry",
                )
            )
        if not text.strip():
            skipped += 1
            continue
        texts.append(text)
        gold.append(_POLARITY_OF[raw])
    score_texts(["预热 warm-up"], binary=True)  # load the lexicons and the model outside the timed pass
    t = time.perf_counter()
    predicted, _ = score_texts(texts, binary=True)
    seconds = time.perf_counter() - t
    return PolarityResult(Scores(POLARITY_LABELS, list(zip(gold, predicted, strict=True))), seconds, skipped)

"""Train qunkpi's shipped offline sentiment model (src/qunkpi/classify/models/sentiment.npz).

    python scripts/train_sentiment.py                       # train + write the model
    python scripts/train_sentiment.py --experiment          # compare settings, write nothing

Data: ``../shared/data/sentiment/online_shopping_10_cats.csv.gz`` (columns cat,label,review;
label 1 = positive). The 酒店 (hotel) category is left out of training and tuning entirely: it
may overlap the public hotel corpus (ChnSentiCorp_htl_all) reserved for independent evaluation,
and it is reviews rather than chat. The reserved corpora (waimai_10k, ChnSentiCorp_htl_all) are
never read. 10% of the remaining reviews (stratified by category and label, fixed seed, after
removing duplicate texts) are held out and never trained on; settings were chosen by
leave-one-category-out accuracy on the training part (a proxy for a new domain).

Needs scikit-learn and scipy (dev dependencies); the model itself is plain numpy arrays.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qunkpi.classify.model import SentimentModel, ngram_buckets, save_model  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sentiment" / "online_shopping_10_cats.csv.gz"
OUT = ROOT / "src" / "qunkpi" / "classify" / "models" / "sentiment.npz"
EXCLUDED_CATS = ("酒店",)
HOLDOUT_SHARE = 0.10
SEED = 20240611


def load(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df = df.dropna(subset=["review"])
    df["review"] = df["review"].astype(str).str.strip()
    df = df[df["review"] != ""]
    df = df[~df["cat"].isin(EXCLUDED_CATS)]
    df = df.drop_duplicates("review", keep=False)  # a text with two labels or in both splits: drop
    return df.reset_index(drop=True)


def split(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    hold = np.zeros(len(df), dtype=bool)
    for _, idx in df.groupby(["cat", "label"]).indices.items():
        k = round(len(idx) * HOLDOUT_SHARE)
        hold[rng.choice(idx, size=k, replace=False)] = True
    return df[~hold].reset_index(drop=True), df[hold].reset_index(drop=True)


def counts(texts: list[str], bits: int, max_n: int) -> sp.csr_matrix:
    doc, b, n = ngram_buckets(texts, bits, max_n)
    x = sp.csr_matrix((np.ones(len(doc), dtype=np.float32), (doc, b)), shape=(n, 1 << bits))
    x.sum_duplicates()
    return x


def idf_of(x: sp.csr_matrix) -> np.ndarray:
    df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
    return np.log((1.0 + x.shape[0]) / (1.0 + df)) + 1.0


def weighted(x: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """tf·idf / sqrt(Σ tf·idf²) — exactly what SentimentModel computes from n-gram occurrences."""
    xw = x.multiply(idf[None, :]).tocsr()
    den = np.asarray(x.multiply((idf**2)[None, :]).sum(axis=1)).ravel()
    scale = 1.0 / np.sqrt(np.maximum(den, 1e-9))
    return sp.diags(scale) @ xw


def fit(texts: list[str], labels: np.ndarray, bits: int, max_n: int, c: float) -> SentimentModel:
    x = counts(texts, bits, max_n)
    idf = idf_of(x)
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=200)
    clf.fit(weighted(x, idf), labels)
    w = clf.coef_.ravel()
    return SentimentModel(
        v=(w * idf).astype(np.float32),
        q=(idf**2).astype(np.float32),
        bias=float(clf.intercept_[0]),
        bits=bits,
        max_n=max_n,
        meta={},
    )


def accuracy(model: SentimentModel, texts: list[str], labels: np.ndarray) -> float:
    p = model.prob_positive(texts)
    return float(((p >= 0.5).astype(int) == labels).mean())


def experiment(train: pd.DataFrame, configs: list[tuple[int, int, float]]) -> None:
    cats = ["水果", "蒙牛", "衣服", "书籍", "计算机"]
    for bits, max_n, c in configs:
        t0 = time.time()
        loco = []
        for cat in cats:
            tr, te = train[train.cat != cat], train[train.cat == cat]
            m = fit(tr.review.tolist(), tr.label.to_numpy(), bits, max_n, c)
            loco.append(accuracy(m, te.review.tolist(), te.label.to_numpy()))
        print(
            f"bits={bits} n<={max_n} C={c}: leave-one-category-out "
            + " ".join(f"{k}={v:.3f}" for k, v in zip(cats, loco, strict=True))
            + f" mean={np.mean(loco):.4f} ({time.time() - t0:.0f}s)",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="online_shopping_10_cats.csv.gz")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--bits", type=int, default=20)
    ap.add_argument("--max-n", type=int, default=3)
    ap.add_argument("--c", type=float, default=8.0)
    ap.add_argument(
        "--experiment", action="store_true", help="compare settings by leave-one-category-out accuracy"
    )
    args = ap.parse_args(argv)

    df = load(args.data)
    train, hold = split(df)
    print(f"{len(df)} reviews (hotel left out); train {len(train)}, held out {len(hold)}")
    if args.experiment:
        configs = [
            (20, 3, 2.0),
            (20, 3, 8.0),
            (20, 3, 32.0),
            (20, 2, 8.0),
            (20, 4, 8.0),
            (21, 3, 8.0),
        ]
        experiment(train, configs)
        return 0
    t0 = time.time()
    model = fit(train.review.tolist(), train.label.to_numpy(), args.bits, args.max_n, args.c)
    acc = accuracy(model, hold.review.tolist(), hold.label.to_numpy())
    per_cat = {
        str(cat): round(accuracy(model, g.review.tolist(), g.label.to_numpy()), 4)
        for cat, g in hold.groupby("cat")
    }
    meta = {
        "trained_on": f"{args.data.name} minus {','.join(EXCLUDED_CATS)}; {len(train)} reviews",
        "holdout_accuracy": f"{acc:.4f}",
        "holdout_n": str(len(hold)),
        "holdout_per_category": json.dumps(per_cat, ensure_ascii=False),
        "bits": str(args.bits),
        "max_n": str(args.max_n),
        "C": str(args.c),
        "seed": str(SEED),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_model(args.out, model.v, model.q, model.bias, model.bits, model.max_n, meta)
    print(f"held-out accuracy {acc:.4f} on {len(hold)} reviews; per category {per_cat}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

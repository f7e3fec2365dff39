"""Lexicon files (shipped + workspace overrides, normalisation) and the shipped sentiment model."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from qunkpi.classify.lexicons import LEXICON_FILES, load_lexicons
from qunkpi.classify.model import decode, load_model, ngram_buckets, shipped_model
from qunkpi.classify.normalize import normalize
from qunkpi.classify.rules import classify_text, classify_texts
from qunkpi.classify.sentiment import score_texts
from qunkpi.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_lexicons_load_and_files_exist() -> None:
    lex = load_lexicons(None)
    for name in LEXICON_FILES:
        assert lex.get(name), name
    assert "收到" in lex.words("filler")


def test_workspace_override_add_remove_replace(tmp_path: Path) -> None:
    d = tmp_path / "lex"
    d.mkdir()
    (d / "filler.txt").write_text("# 团队自定义\n收到了收到了\n-冒泡\n", encoding="utf-8")
    (d / "spam.txt").write_text("!replace\n团购秒杀\n", encoding="utf-8")
    (d / "negative.txt").write_text("拉胯 2\n", encoding="utf-8")
    lex = load_lexicons(d)
    assert "收到了收到了" in lex.words("filler") and "冒泡" not in lex.words("filler")
    assert lex.words("spam") == ["团购秒杀"]
    assert classify_text("冒泡", lexicons=lex).cls != "filler"
    assert classify_text("冒泡").cls == "filler"
    assert classify_text("今晚团购秒杀快来", lexicons=lex).cls == "spam"
    assert classify_text("加微信领取", lexicons=lex).cls != "spam"  # shipped spam list replaced
    assert classify_text("这个太拉胯了", lexicons=lex).sentiment == "negative"
    assert lex.digest != load_lexicons(None).digest


def test_bad_workspace_regex_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "spam.txt").write_text("re:(unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="spam"):
        load_lexicons(tmp_path)


@pytest.mark.parametrize(
    "text,cls",
    [
        ("謝謝老師", "filler"),  # traditional
        ("ＯＫ", "filler"),  # full-width
        ("Ok👌", "filler"),  # case + emoji
        ("收到！！！[强]", "filler"),  # punctuation + sticker code
        ("請問這個週末有活動嗎", "question"),
        ("打卡第十二天", "checkin"),
        ("加ＶＸ领取", "spam"),
    ],
)
def test_variants_match(text: str, cls: str) -> None:
    assert classify_text(text).cls == cls


def test_normalize() -> None:
    assert normalize("謝謝ＯＫ　Ａｂ") == "谢谢ok ab"


def test_chars_of_substance() -> None:
    lab = classify_text("今天去了公园😂😂[捂脸]！！！ https://t.cn/abc")
    assert lab.chars == 6
    long_text = "我" * 29 + "😂" * 10 + "[强]" * 5 + "！" * 5
    assert classify_text(long_text).cls == "chat"
    assert classify_text("我" * 30 + "😂").cls == "share"
    assert classify_text("https://t.cn/A6x8Kp2").cls == "share"  # a URL alone is a share, not "no substance"


def test_decode_matches_python() -> None:
    texts = ["abc", "", "中文😂", None, "ｍｉｘ 繁體"]
    cp, off = decode(pa.array(texts, type=pa.string()))
    for i, t in enumerate(texts):
        assert cp[off[i] : off[i + 1]].tolist() == [ord(c) for c in (t or "")]
    sliced = pa.array(["x", "好的呀", "y"]).slice(1, 1)
    cp2, off2 = decode(sliced)
    assert cp2.tolist() == [ord(c) for c in "好的呀"] and off2.tolist() == [0, 3]


def test_ngram_features_are_per_text() -> None:
    doc, b, n = ngram_buckets(["ab", "", "ab"], bits=10)
    assert n == 3
    a = sorted(b[doc == 0].tolist())
    assert (
        a == sorted(b[doc == 2].tolist()) and len(a) == 2 + 3 + 2
    )  # 2 unigrams, 3 bigrams (^a ab b$), ^ab ab$
    assert (doc == 1).sum() == 0


def test_shipped_model_small_and_sane() -> None:
    path = ROOT / "src" / "qunkpi" / "classify" / "models" / "sentiment.npz"
    assert path.stat().st_size < 30 * 1024 * 1024
    m = shipped_model()
    assert "holdout_accuracy" in m.meta and float(m.meta["holdout_accuracy"]) > 0.9
    s = m.score(
        ["质量很好，非常满意，会回购", "太差了，用两天就坏了，退货", "送货很快，包装完好", "味道很难吃，失望"]
    )
    assert s[0] > 0.3 and s[2] > 0.0 and s[1] < -0.3 and s[3] < -0.3
    assert load_model(path).bits == m.bits


def test_score_texts_labels_and_binary() -> None:
    labels, scores = score_texts(["不太好，非常失望", "非常满意，强烈推荐", "我在地铁上", "收到"])
    assert labels == ["negative", "positive", "neutral", "neutral"]
    assert scores.shape == (4,) and np.all(np.abs(scores) <= 1)
    blabels, bscores = score_texts(pa.array(["一般般吧，不会再买", "好吃，分量足"]), binary=True)
    assert blabels == ["negative", "positive"]
    assert bscores[0] < 0 < bscores[1]


@pytest.mark.parametrize(
    "text,sent",
    [
        ("不太好", "negative"),
        ("非常失望", "negative"),
        ("一言难尽", "negative"),
        ("买贵了", "negative"),
        ("又闪退了", "negative"),
        ("不错，挺好用的", "positive"),
        ("不差", "neutral"),
        ("不好意思，来晚了", "neutral"),
        ("谢谢老师", "neutral"),  # filler stays neutral
    ],
)
def test_lexicon_negation_intensifiers(text: str, sent: str) -> None:
    assert classify_text(text).sentiment == sent


def test_lexicon_only_mode() -> None:
    lab = classify_texts(["非常失望"], use_model=False)[0]
    assert lab.sentiment == "negative" and lab.model_score is None


def test_training_script_builds_a_model(tmp_path: Path) -> None:
    """The training script's fit() produces a model the runtime loads and that learns a toy task."""
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("train_sentiment", ROOT / "scripts" / "train_sentiment.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["train_sentiment"] = mod
    spec.loader.exec_module(mod)
    pos = [f"很好用，喜欢{i}" for i in range(40)] + [f"质量不错{i}" for i in range(40)]
    neg = [f"太差了，坏了{i}" for i in range(40)] + [f"垃圾东西{i}" for i in range(40)]
    model = mod.fit(pos + neg, np.array([1] * 80 + [0] * 80), bits=12, max_n=3, c=4.0)
    from qunkpi.classify.model import save_model

    out = tmp_path / "m.npz"
    save_model(out, model.v, model.q, model.bias, model.bits, model.max_n, {"test": "1"})
    loaded = load_model(out)
    p = loaded.prob_positive(["很好用", "太差了"])
    assert p[0] > 0.5 > p[1]

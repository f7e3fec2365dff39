"""Optional transformer classifier: loading code tested on a tiny model built here (skipped without torch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qunkpi.errors import ConfigError


def test_not_a_model_dir(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    from qunkpi.classify.transformer import TransformerSentiment

    with pytest.raises(ConfigError):
        TransformerSentiment(tmp_path)


def test_tiny_model_loads_and_scores(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    chars = [*"好差的很不错太失望了收到", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    (tmp_path / "vocab.txt").write_text("\n".join(chars[-5:] + chars[:-5]) + "\n", encoding="utf-8")
    tok = transformers.BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(chars),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=2,
        id2label={0: "negative", 1: "positive"},
        label2id={"negative": 0, "positive": 1},
    )
    model = transformers.BertForSequenceClassification(config)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)

    from qunkpi.classify.rules import RuleParams, Rules, classify_texts
    from qunkpi.classify.transformer import TransformerSentiment

    ts = TransformerSentiment(tmp_path)
    s = ts.score(["很好", "太差了", None])
    assert s.shape == (3,) and all(-1 <= x <= 1 for x in s)
    rules = Rules(params=RuleParams(use_model=True, model_all=True, transformer_dir=str(tmp_path)))
    labs = classify_texts(["很好", "太失望了"], rules=rules)
    assert labs[0].model_score is not None and labs[1].sentiment == "negative"

"""Optional: a transformer sentiment classifier loaded from a local model directory.

Set ``[classification] transformer_dir = "/path/to/model"`` in qunkpi.toml (or pass
``--transformer DIR`` to ``qunkpi classify``) to use a Hugging Face sequence-classification model
saved with ``save_pretrained`` (config.json, weights, tokenizer files) instead of the shipped n-gram
model. Nothing is downloaded: the directory must hold everything (``local_files_only``). Needs the
optional packages ``transformers`` and ``torch``.

Label mapping: ``config.id2label`` names containing "neg"/"pos" (or 负/正) are used; otherwise two
labels are read as [negative, positive] and three as [negative, neutral, positive]. The score is
P(positive) − P(negative), in [-1, 1], like the shipped model's.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from qunkpi.errors import ConfigError


class TransformerSentiment:
    def __init__(self, model_dir: str | Path, batch_size: int = 64, max_length: int = 128) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as e:  # pragma: no cover - depends on optional packages
            raise ConfigError(
                "transformer sentiment needs the optional packages transformers and torch"
            ) from e
        path = Path(model_dir)
        if not (path / "config.json").is_file():
            raise ConfigError(f"{path}: not a model directory (config.json missing)")
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
        self.model.eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.neg_idx, self.pos_idx = _label_indices(self.model.config)
        self.meta = {"transformer_dir": str(path.resolve()), "labels": str(self.model.config.id2label)}

    def score(self, texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> np.ndarray:
        values = texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray)) else list(texts)
        values = [v or "" for v in values]
        out = np.zeros(len(values))
        with self._torch.no_grad():
            for start in range(0, len(values), self.batch_size):
                batch = values[start : start + self.batch_size]
                enc = self.tokenizer(
                    batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                )
                probs = self._torch.softmax(self.model(**enc).logits, dim=-1).cpu().numpy()
                out[start : start + len(batch)] = probs[:, self.pos_idx] - probs[:, self.neg_idx]
        return out


def _label_indices(config: Any) -> tuple[int, int]:
    id2label = {int(k): str(v).lower() for k, v in getattr(config, "id2label", {}).items()}
    neg = [i for i, name in id2label.items() if "neg" in name or "负" in name]
    pos = [i for i, name in id2label.items() if "pos" in name or "正" in name]
    if neg and pos:
        return neg[0], pos[0]
    n = int(getattr(config, "num_labels", len(id2label) or 2))
    if n == 2:
        return 0, 1
    if n == 3:
        return 0, 2
    raise ConfigError(f"cannot tell the negative/positive labels of this model: {id2label}")


@functools.cache
def load_transformer(model_dir: str) -> TransformerSentiment:
    return TransformerSentiment(model_dir)

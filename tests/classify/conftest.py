"""Fixtures for the classification tests: the labelled evaluation set, classified once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from qunkpi.classify.evaluate import EvalResult, evaluate_rows, load_labelled

EVAL_CSV = Path(__file__).parent / "eval_messages.csv"


@pytest.fixture(scope="session")
def eval_rows() -> list[dict[str, str]]:
    return load_labelled(EVAL_CSV)


@pytest.fixture(scope="session")
def eval_result(eval_rows: list[dict[str, str]]) -> EvalResult:
    return evaluate_rows(eval_rows)

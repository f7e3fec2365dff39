"""Helpers for the export-format importer tests: fixtures live in tests/importers/fixtures/<format>/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qunkpi.i18n import get_lang, set_lang
from qunkpi.importers.base import Converted, ConvertOptions
from qunkpi.importers.formats import FORMATS

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English so assertions can match skip reasons and problems."""
    before = get_lang()
    set_lang("en")
    yield
    set_lang(before)


def convert(fmt: str, rel: str, **kw: Any) -> Converted:
    return FORMATS[fmt](FIX / rel, ConvertOptions(**kw))


def rows(c: Converted, table: str) -> list[dict[str, Any]]:
    t = c.tables.get(table)
    return [] if t is None else t.to_pylist()


def by(rows_: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows_}


def skipped_with(c: Converted, needle: str) -> int:
    return sum(n for reason, n in c.skipped.items() if needle in reason)

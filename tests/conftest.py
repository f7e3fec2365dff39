"""Shared fixtures: a workspace loaded with the hand-checked tiny community (tests/fixtures/tiny)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qunkpi.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace.init(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture
def tiny_ws(ws: Workspace) -> Workspace:
    from qunkpi.importers.canonical import import_path

    import_path(ws, TINY)
    return ws


def values(df, community: str = "c1", period: str | None = None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """metric → value (metrics without breakdown) for one community."""
    sel = df[(df.community_id == community) & df.breakdown.isna()]
    if period is not None:
        sel = sel[sel.period == period]
    return dict(zip(sel.metric, sel.value, strict=True))


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated tiny demo data set (seed 5, last month 2026-10), once per test session: read it, never write."""
    from qunkpi.demo.generator import generate

    d = tmp_path_factory.mktemp("tiny-demo")
    generate(d, scale="tiny", seed=5, end_month="2026-10")
    return d

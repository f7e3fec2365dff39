"""Service functions over a workspace: what the CLI, the web app and the Python API call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from qunkpi.engine.periods import Period, periods_for
from qunkpi.engine.runner import RunOptions, run_metrics

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace


def staff_ids_of(ws: Workspace) -> list[str]:
    return [ws.person_id(s) for s in ws.settings.staff_ids]


def labels_cover(ws: Workspace) -> bool:
    """Whether the stored labels cover exactly the stored messages, so that the metric engine joins only the
    labels of its time window (Ctx.labels_cover)."""
    from qunkpi.classify.engine import labels_cover_messages

    return labels_cover_messages(ws)


def workspace_inputs(ws: Workspace) -> dict[str, Any]:
    """What every engine run over ``ws`` takes from the workspace (RunOptions and Ctx fields alike): its settings,
    staff ids, whether the labels cover the messages, and the stored countable messages when current
    (Ctx.facts; qunkpi.engine.facts)."""
    from qunkpi.engine.facts import facts_table

    return {
        "settings": ws.settings,
        "staff_ids": staff_ids_of(ws),
        "labels_cover": labels_cover(ws),
        "facts": facts_table(ws),
    }


def metrics_for_periods(
    ws: Workspace,
    periods: list[Period],
    *,
    metrics: list[str] | None = None,
    communities: list[str] | None = None,
    as_of: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    opts = RunOptions(
        metrics=metrics,
        communities=communities,
        as_of=as_of,
        progress=progress,
        **workspace_inputs(ws),
    )
    return run_metrics(ws.ibis(), periods, opts)


def metrics_frame(
    ws: Workspace,
    period: str,
    grain: str | None = None,
    communities: list[str] | None = None,
    metrics: list[str] | None = None,
    as_of: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """``qunkpi.open(ws).metrics("2026-10", grain="week")`` → one row per community × period × metric."""
    return metrics_for_periods(
        ws, periods_for(period, grain), metrics=metrics, communities=communities, as_of=as_of, progress=progress
    )

"""The engine context for member-level queries: the same shared blocks (staff, spells, countable messages,
labels) as the metric runner, so member lists and community metrics follow one set of conventions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qunkpi.engine.api import workspace_inputs
from qunkpi.engine.context import Ctx
from qunkpi.engine.periods import Period, parse_period
from qunkpi.engine.runner import LABELS_TABLE, available_tables
from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace


def as_period(period: str | Period) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


def member_ctx(ws: Workspace, periods: list[Period], communities: list[str] | None = None) -> Ctx:
    backend = ws.ibis()
    return Ctx(
        backend=backend,
        periods=periods,
        communities=communities,
        available=available_tables(backend),
        **workspace_inputs(ws),
    )


def require(ctx: Ctx, *tables: str) -> None:
    """Refuse with an actionable message when a list needs data the workspace does not have."""
    missing = [t for t in tables if not ctx.has(t)]
    if not missing:
        return
    if LABELS_TABLE in missing:
        raise QunkpiError(
            tr(
                "这份名单需要消息分类结果（message_labels 为空）：先运行 `qunkpi classify --workspace 工作区`",
                "this list needs the message classes (message_labels is empty): run `qunkpi classify --workspace WS` first",
            )
        )
    raise QunkpiError(
        tr(
            f"这份名单需要数据表 {', '.join(missing)}，工作区里还没有：先用 `qunkpi import` 导入",
            f"this list needs the table(s) {', '.join(missing)}, which the workspace does not have yet: import them with `qunkpi import`",
        )
    )

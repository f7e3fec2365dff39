"""Shared CLI pieces: options, error boundary, progress bars, output formats."""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from qunkpi.errors import QunkpiError, ValidationFailed
from qunkpi.i18n import tr

console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path,
    typer.Option("--workspace", "-w", help=tr("工作区文件夹", "workspace folder"), envvar="QUNKPI_WORKSPACE"),
]
LangOpt = Annotated[str | None, typer.Option("--lang", help=tr("界面语言：zh-CN 或 en", "language: zh-CN or en"))]


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain errors into a clean message and exit code (no traceback for things a user can fix)."""
    try:
        yield
    except ValidationFailed as e:
        err_console.print(f"[bold red]{tr('发现问题，未写入任何数据：', 'problems found; nothing was written:')}[/]")
        for p in e.problems:
            err_console.print(f"  {p.format()}", markup=False, highlight=False, soft_wrap=True)
        if e.total > len(e.problems):
            err_console.print(tr(f"  ……另有 {e.total - len(e.problems)} 个问题", f"  ... and {e.total - len(e.problems)} more problems"))
        raise typer.Exit(e.exit_code) from None
    except QunkpiError as e:
        err_console.print(f"[bold red]{tr('错误', 'error')}:[/] {e}", highlight=False)
        raise typer.Exit(e.exit_code) from None


@contextlib.contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """A Rich progress bar on stderr; yields ``advance(label=None, done=None, total=None)``."""
    prog = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal and not _force_progress(),
    )
    with prog:
        task = prog.add_task(description, total=total)

        def advance(label: str | None = None, done: int | None = None, total_: int | None = None) -> None:
            kw: dict[str, Any] = {}
            if label is not None:
                kw["description"] = f"{description} · {label}"
            if total_ is not None:
                kw["total"] = total_
            if done is not None:
                kw["completed"] = done
            else:
                kw["advance"] = 1
            prog.update(task, **kw)

        yield advance


def _force_progress() -> bool:
    return False


def json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return v


def print_json(records: list[dict[str, Any]]) -> None:
    sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")


def df_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def fmt_value(v: Any, unit: str) -> str:
    """The same reading of a value as on the dashboard and in reports (ratios as percent, n/a for null)."""
    from qunkpi.i18n import get_lang
    from qunkpi.reports.data import fmt_value as page_value

    return page_value(v, unit, get_lang())

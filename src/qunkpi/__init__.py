"""qunkpi (群KPI): KPI and performance appraisal for private-domain communities."""

from __future__ import annotations

from pathlib import Path

from qunkpi.workspace import Workspace

__version__ = "0.1.0"


def open(path: str | Path, read_only: bool = False) -> Workspace:
    """Open a workspace folder for analysis: ``ws = qunkpi.open("demo-workspace"); ws.metrics("2026-10")``."""
    return Workspace.open(path, read_only=read_only)


__all__ = ["Workspace", "__version__", "open"]

"""One hierarchy of domain errors; the CLI turns them into clean exits, the web layer into error pages."""

from __future__ import annotations

from dataclasses import dataclass


class QunkpiError(Exception):
    """Base class of every error a user can act on."""

    exit_code = 1


class WorkspaceError(QunkpiError):
    """The workspace is missing, not initialised, locked or damaged."""


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace's write lock."""

    exit_code = 75


class PeriodError(QunkpiError, ValueError):
    """A period label could not be parsed."""

    exit_code = 2


class ConfigError(QunkpiError):
    """A configuration or definition file is invalid."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is, what was expected, what to do."""

    file: str
    row: int | None  # 1-based line/row number in the file as a user sees it (header = row 1)
    column: str | None
    message: str
    hint: str = ""

    def format(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.column:
            where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


class ValidationFailed(QunkpiError):
    """A file (or definition set) had problems; nothing was written."""

    exit_code = 3

    def __init__(self, problems: list[Problem], total: int | None = None, what: str = "") -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        self.what = what
        lines = [p.format() for p in problems]
        if self.total > len(problems):
            lines.append(f"... and {self.total - len(problems)} more problems")
        super().__init__("\n".join(lines))

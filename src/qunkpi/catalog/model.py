"""Metric definitions as validated data (SPEC §3).

A metric is one YAML record (``catalog/defs/<family>.yaml``) with its metadata and either
``impl`` — the name of a registered Ibis implementation (``catalog/impl/*.py``) — or ``expr`` — a formula over
other metrics of the same grain (``ratio(joins - leaves, members_start)``). Loading validates in stages
(schema → cross references → cycles) and reports every problem at once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qunkpi import yamlio
from qunkpi.errors import Problem, ValidationFailed
from qunkpi.workspace.schema import TABLES

Family = Literal["growth", "engagement", "value", "service", "content"]
Kind = Literal["process", "result"]
Unit = Literal["count", "ratio", "yuan", "points", "seconds", "per_member_day", "per_100_day", "score", "state"]
Direction = Literal["higher", "lower", "neutral"]
Level = Literal["community", "activity", "post", "account", "staff", "member"]
Fill = Literal["zero", "null"]

DERIVED_FUNCS = {"ratio", "abs", "min", "max"}


class Benchmark(BaseModel):
    """A reference value from the seeds, for a purpose/stage/account type (any of them may be open)."""

    model_config = ConfigDict(extra="forbid")
    op: Literal[">=", "<=", ">", "<", "~"]
    value: float
    unit: Unit
    purpose: str | None = None
    stage: str | None = None
    account_type: str | None = None
    source: str = Field(..., description="seed file or SPEC section the value comes from")
    note_zh: str = ""
    note_en: str = ""

    def applies(self, purpose: str | None, stage: str | None, account_type: str | None = None) -> bool:
        return (
            (self.purpose is None or self.purpose == purpose)
            and (self.stage is None or self.stage == stage)
            and (self.account_type is None or self.account_type == account_type)
        )

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        v = self.value
        if self.op == ">=":
            return value >= v
        if self.op == "<=":
            return value <= v
        if self.op == ">":
            return value > v
        if self.op == "<":
            return value < v
        return abs(value - v) <= 0.25 * abs(v)

    def text(self) -> str:
        shown = f"{self.value:.0%}" if self.unit == "ratio" else f"{self.value:g}"
        return f"{self.op} {shown}"


class MetricDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    zh: str
    en: str
    family: Family
    kind: Kind
    unit: Unit
    direction: Direction
    tables: list[str]
    optional_tables: list[str] = Field(default_factory=list)
    needs_labels: bool = False
    grain: str = "month"
    level: Level = "community"
    definition_zh: str
    definition_en: str
    formula: str
    impl: str | None = None
    expr: str | None = None
    breakdown: str | None = None
    fill: Fill = "null"
    auxiliary: bool = False
    benchmarks: list[Benchmark] = Field(default_factory=list)

    @property
    def derived(self) -> bool:
        return self.expr is not None

    def depends(self) -> list[str]:
        if self.expr is None:
            return []
        tree = ast.parse(self.expr, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        return sorted(names - DERIVED_FUNCS)

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def definition(self, lang: str) -> str:
        return self.definition_en if lang == "en" else self.definition_zh


class Catalog:
    def __init__(self, metrics: list[MetricDef], impls: dict[str, Callable[..., Any]]) -> None:
        self.metrics = {m.id: m for m in metrics}
        self.impls = impls

    def __getitem__(self, mid: str) -> MetricDef:
        return self.metrics[mid]

    def __contains__(self, mid: object) -> bool:
        return mid in self.metrics

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.metrics.values())

    def ids(self, family: str | None = None, level: str | None = None) -> list[str]:
        return [m.id for m in self.metrics.values() if (family is None or m.family == family) and (level is None or m.level == level)]

    def closure(self, ids: list[str]) -> list[str]:
        """``ids`` plus everything they depend on, dependencies first."""
        out: list[str] = []
        seen: set[str] = set()

        def visit(mid: str) -> None:
            if mid in seen:
                return
            seen.add(mid)
            for d in self.metrics[mid].depends():
                visit(d)
            out.append(mid)

        for mid in ids:
            visit(mid)
        return out

    def tables_needed(self, mid: str) -> set[str]:
        m = self.metrics[mid]
        need = set(m.tables)
        for d in m.depends():
            need |= self.tables_needed(d)
        return need


def validate_definitions(raw: list[tuple[str, dict[str, Any]]], impls: dict[str, Callable[..., Any]]) -> list[MetricDef]:
    """Stage 1 schema, stage 2 cross references, stage 3 cycles; all problems at once."""
    problems: list[Problem] = []
    metrics: list[MetricDef] = []
    seen: dict[str, str] = {}
    for where, rec in raw:
        try:
            m = MetricDef.model_validate(rec)
        except ValidationError as e:
            for err in e.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append(Problem(where, None, loc, f"metric {rec.get('id', '?')}: {err['msg']}", "fix the definition"))
            continue
        if m.id in seen:
            problems.append(Problem(where, None, "id", f"metric {m.id} is defined twice (also in {seen[m.id]})", "rename one"))
        seen[m.id] = where
        metrics.append(m)
    ids = {m.id for m in metrics}
    for m in metrics:
        where = seen[m.id]
        for t in [*m.tables, *m.optional_tables]:
            if t not in TABLES:
                problems.append(Problem(where, None, "tables", f"metric {m.id}: unknown table {t}", f"use one of {', '.join(TABLES)}"))
        if (m.impl is None) == (m.expr is None):
            problems.append(Problem(where, None, "impl", f"metric {m.id}: give exactly one of impl or expr", ""))
        if m.impl is not None and m.impl not in impls:
            problems.append(Problem(where, None, "impl", f"metric {m.id}: no implementation named {m.impl}", "register it in catalog/impl"))
        if m.expr is not None:
            try:
                deps = m.depends()
            except SyntaxError as e:
                problems.append(Problem(where, None, "expr", f"metric {m.id}: formula does not parse: {e.msg}", ""))
                continue
            for d in deps:
                if d not in ids:
                    problems.append(Problem(where, None, "expr", f"metric {m.id}: formula names unknown metric {d}", ""))
    # cycles
    graph = {m.id: [d for d in (m.depends() if m.expr else []) if d in ids] for m in metrics if _parses(m)}
    state: dict[str, int] = {}

    def dfs(n: str, path: list[str]) -> None:
        state[n] = 1
        for d in graph.get(n, []):
            if state.get(d) == 1:
                cyc = [*path[path.index(d):], d] if d in path else [n, d]
                problems.append(Problem(seen.get(n, "?"), None, "expr", f"cycle in derived metrics: {' → '.join(cyc)}", "break the cycle"))
            elif state.get(d) is None:
                dfs(d, [*path, d])
        state[n] = 2

    for n in graph:
        if state.get(n) is None:
            dfs(n, [n])
    if problems:
        raise ValidationFailed(problems, what="catalog")
    return metrics


def _parses(m: MetricDef) -> bool:
    try:
        m.depends()
    except SyntaxError:
        return False
    return True


def read_yaml_defs(paths: list[Path]) -> list[tuple[str, dict[str, Any]]]:
    """Parse every definition file; YAML syntax errors of all files are reported together."""
    out: list[tuple[str, dict[str, Any]]] = []
    problems: list[Problem] = []
    for p in paths:
        try:
            data = yamlio.safe_load(p.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            problems.append(Problem(p.name, mark.line + 1 if mark else None, None, f"YAML syntax error: {getattr(e, 'problem', e)}",
                                    "quote values that contain ': ' or '#'"))
            continue
        if not isinstance(data, list):
            problems.append(Problem(p.name, None, None, "expected a list of metric definitions", ""))
            continue
        for rec in data:
            if not isinstance(rec, dict):
                problems.append(Problem(p.name, None, None, f"expected a mapping, got {rec!r:.40}", ""))
                continue
            out.append((p.name, rec))
    if problems:
        raise ValidationFailed(problems, what="catalog")
    return out

"""The metric catalog: the single source of truth for metric definitions (SPEC §3)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from qunkpi.catalog.model import Benchmark, Catalog, MetricDef, read_yaml_defs, validate_definitions

DEFS_DIR = Path(__file__).parent / "defs"


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    from qunkpi.catalog.impl import load_all

    impls = load_all()
    raw = read_yaml_defs(sorted(DEFS_DIR.glob("*.yaml")))
    return Catalog(validate_definitions(raw, impls), impls)


__all__ = ["Benchmark", "Catalog", "MetricDef", "load_catalog"]

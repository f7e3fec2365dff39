"""Registry of metric implementations: Ibis expressions over the canonical tables (no engine-specific SQL).

An implementation takes a :class:`qunkpi.engine.context.Ctx` and returns an Ibis table with columns
``community_id``, ``period``, ``value`` (and ``breakdown`` for breakdown metrics). Rows may be missing for
community × period pairs with no data: the engine fills them with 0 or null according to the metric's ``fill``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

IMPLS: dict[str, Callable[..., Any]] = {}


def impl(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in IMPLS:
            raise RuntimeError(f"metric implementation {name} registered twice")
        IMPLS[name] = fn
        return fn

    return deco


def load_all() -> dict[str, Callable[..., Any]]:
    """Import every implementation module (each registers itself)."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return IMPLS

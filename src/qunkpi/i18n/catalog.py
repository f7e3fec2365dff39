"""Catalog of shared user-facing messages: key → (zh-CN, en)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "na": ("不适用", "n/a"),
    "unavailable": ("缺少数据表", "tables missing"),
    "done": ("完成", "done"),
}

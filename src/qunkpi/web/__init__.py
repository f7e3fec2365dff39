"""The web dashboard (SPEC §8, §9): ``qunkpi serve``; see docs/dashboard.md."""

from __future__ import annotations

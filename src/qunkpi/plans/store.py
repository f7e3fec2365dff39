"""Plans stored in the workspace as YAML: ``<ws>/plans/<community_id>.yaml``, ``team__<team>.yaml``, ``company.yaml``."""

from __future__ import annotations

import re
from pathlib import Path

from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr
from qunkpi.plans.model import Issue, Plan, read_plan_file

PLANS_DIR = "plans"


def _safe(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", name).strip("._") or "_"


def plan_path(ws_path: Path, key: str) -> Path:
    return ws_path / PLANS_DIR / f"{_safe(key)}.yaml"


def key_for(community_id: str | None = None, team: str | None = None) -> str:
    if community_id:
        return community_id
    if team:
        return f"team__{team}"
    return "company"


def save_plan(ws_path: Path, plan: Plan) -> Path:
    path = plan_path(ws_path, plan.key())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(plan.to_yaml(), encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a plan
    return path


def load_stored(ws_path: Path, key: str) -> tuple[Plan, list[Issue]]:
    path = plan_path(ws_path, key)
    if not path.exists():
        raise QunkpiError(tr(
            f"{key} 还没有计划（{path}）：先运行 `qunkpi plan suggest ... --save` 或 `qunkpi plan set 文件`",
            f"{key} has no plan yet ({path}): run `qunkpi plan suggest ... --save` or `qunkpi plan set FILE` first",
        ))
    plan, issues = read_plan_file(path)
    if plan is None:
        from qunkpi.plans.model import raise_errors

        raise_errors(issues, "plan")
        raise QunkpiError(str(path))
    return plan, issues


def list_stored(ws_path: Path) -> list[Path]:
    d = ws_path / PLANS_DIR
    return sorted(d.glob("*.yaml")) if d.is_dir() else []

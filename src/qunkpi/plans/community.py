"""What a plan needs to know about a community: purpose, lifecycle stage (SPEC §2) and team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

STARTUP_MONTHS = 3
GROWTH_MONTHS = 6


@dataclass(frozen=True)
class CommunityInfo:
    community_id: str
    name: str
    platform: str
    purpose: str | None
    created_at: datetime | None
    stage_set: str | None  # communities.stage as stored (None = derive)
    owner_staff_id: str | None
    team: str | None

    def stage_at(self, t: datetime) -> str | None:
        """The stored stage, else derived at ``t`` (the end of the period): <3 months startup, 3–6 growth, ≥6 mature."""
        if self.stage_set:
            return self.stage_set
        if self.created_at is None:
            return None
        return derive_stage(self.created_at, t)


def add_months(t: datetime, n: int) -> datetime:
    k = t.year * 12 + (t.month - 1) + n
    y, m = k // 12, k % 12 + 1
    last_day = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    return t.replace(year=y, month=m, day=min(t.day, last_day))


def derive_stage(created_at: datetime, at: datetime) -> str:
    """Calendar months: created 2026-01-15 is startup until 2026-04-15, growth until 2026-07-15, then mature."""
    if at < add_months(created_at, STARTUP_MONTHS):
        return "startup"
    if at < add_months(created_at, GROWTH_MONTHS):
        return "growth"
    return "mature"


def _s(v: object) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    text = str(v).strip()
    return text or None


def community_infos(ws: Workspace, ids: list[str] | None = None, include_accounts: bool = False) -> dict[str, CommunityInfo]:
    """Every community (or ``ids``) with its owner's team from the staff table when there is one.

    ``include_accounts`` adds content accounts (posts / account_daily ids) that have no communities row, with
    platform ``account`` and no purpose: account-level metrics use the account id as their community id."""
    df = ws.con.execute(
        """SELECT c.community_id, c.name, c.platform, c.purpose, c.created_at, c.stage, c.owner_staff_id, s.team
           FROM communities c LEFT JOIN (SELECT staff_id, any_value(team) AS team FROM staff GROUP BY staff_id) s
             ON s.staff_id = c.owner_staff_id
           ORDER BY c.community_id"""
    ).df()
    out: dict[str, CommunityInfo] = {}
    for r in df.itertuples(index=False):
        cid = str(r.community_id)
        if ids is not None and cid not in ids:
            continue
        created = None if pd.isna(r.created_at) else pd.Timestamp(r.created_at).to_pydatetime()
        out[cid] = CommunityInfo(
            community_id=cid,
            name=str(r.name),
            platform=str(r.platform),
            purpose=_s(r.purpose),
            created_at=created,
            stage_set=_s(r.stage),
            owner_staff_id=_s(r.owner_staff_id),
            team=_s(r.team),
        )
    if include_accounts:
        rows = ws.con.execute("SELECT DISTINCT account_id FROM posts UNION SELECT DISTINCT account_id FROM account_daily").fetchall()
        for (aid,) in rows:
            a = str(aid)
            if a not in out and (ids is None or a in ids):
                out[a] = CommunityInfo(a, a, "account", None, None, None, None, None)
    return dict(sorted(out.items()))


def community_info(ws: Workspace, community_id: str) -> CommunityInfo:
    infos = community_infos(ws, [community_id], include_accounts=True)
    if community_id not in infos:
        known = ", ".join(list(community_infos(ws))[:10])
        raise QunkpiError(
            tr(
                f"工作区里没有社群 {community_id}（已有：{known or '无'}）",
                f"no community {community_id} in the workspace (known: {known or 'none'})",
            )
        )
    return infos[community_id]


def communities_of_team(ws: Workspace, team: str | None) -> list[str]:
    """The communities a team plan rolls up: those whose owner is in ``team`` (None = the whole company)."""
    infos = community_infos(ws)
    if team is None:
        return sorted(infos)
    ids = sorted(c for c, i in infos.items() if i.team == team)
    if not ids:
        teams = sorted({i.team for i in infos.values() if i.team})
        raise QunkpiError(
            tr(
                f"没有负责人属于团队 {team!r} 的社群（已知团队：{', '.join(teams) or '无；需要 staff 表'}）",
                f"no community is owned by someone in team {team!r} (known teams: {', '.join(teams) or 'none; needs the staff table'})",
            )
        )
    return ids

"""Hand-built workspaces for plan and alert tests: rows inserted with SQL (no importer, no classifier needed).

The "g" fixture (community g1, purpose service, created 2026-01-01, no stored stage; owner s1 in team T):
  base members b00–b19 joined 2026-01-10
  joins:  August 10 (2026-08-05), September 20 (2026-09-05), October 30 (2026-10-05)
  leaves: b00, b01 on 2026-08-20; b02–b05 on 2026-10-20
  → members_start Aug 20, Sep 28 (20 − 2 + 10), Oct 48 (28 + 20)
  → churn Aug 2/20 = 0.10, Sep 0/28 = 0, Oct 4/48 = 0.083333
  → net growth Aug (10 − 2)/20 = 0.40, Sep 20/28 = 0.714286, Oct (30 − 4)/48 = 0.541667
Community g2 (same team T): base members c00–c09 joined 2026-01-10, c00 leaves 2026-10-20.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qunkpi.workspace import Workspace


def insert(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        cols = list(r)
        ws.con.execute(
            f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" for _ in cols)})', [r[c] for c in cols]
        )


def community(cid: str, purpose: str | None = "service", created: str = "2026-01-01", stage: str | None = None,
              owner: str | None = "s1", platform: str = "wecom_group", name: str | None = None) -> dict[str, Any]:
    return {"community_id": cid, "name": name or f"群{cid}", "platform": platform, "purpose": purpose,
            "created_at": datetime.fromisoformat(created), "owner_staff_id": owner, "stage": stage, "archive_consent": True}


def member(cid: str, mid: str, joined: str, left: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"community_id": cid, "member_id": mid, "joined_at": datetime.fromisoformat(joined),
            "left_at": datetime.fromisoformat(left) if left else None, "is_staff": kw.pop("is_staff", False),
            "role": kw.pop("role", "member"), **kw}


def build_g(ws: Workspace) -> None:
    insert(ws, "communities", [community("g1"), community("g2", purpose="sales")])
    insert(ws, "staff", [{"staff_id": "s1", "name": "王芳", "role": "specialist", "team": "T"}])
    rows = []
    leave = {0: "2026-08-20", 1: "2026-08-20", 2: "2026-10-20", 3: "2026-10-20", 4: "2026-10-20", 5: "2026-10-20"}
    for i in range(20):
        rows.append(member("g1", f"b{i:02d}", "2026-01-10", leave.get(i)))
    for month, n in (("08", 10), ("09", 20), ("10", 30)):
        for i in range(n):
            rows.append(member("g1", f"j{month}_{i:02d}", f"2026-{month}-05"))
    for i in range(10):
        rows.append(member("g2", f"c{i:02d}", "2026-01-10", "2026-10-20" if i == 0 else None))
    insert(ws, "members", rows)

"""``qunkpi import PATH --format FMT``: convert real exports, reconcile them with the workspace, store them.

Conversion is pure (:mod:`qunkpi.importers.formats`); this module is the part that needs the workspace:

* every file of the import is converted first; if any has problems (a truncated JSON line, an unreadable
  date ...) the import stops before writing anything and lists all of them;
* rows that are guesses (a community seen only in messages, a staff member seen only as a sender) are added
  only when absent, so they never overwrite what a group list or a canonical file said;
* ``--as-of`` closes the stored open spells of members missing from a member-list snapshot;
* leaves from group-change callbacks close the stored open spell of that member;
* account_daily rows are completed with the follower totals already stored;
* one-to-one conversation ids (built from person ids) are pseudonymised like the person columns.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from qunkpi.errors import ValidationFailed
from qunkpi.i18n import tr
from qunkpi.importers.base import DEFAULT_TIMEZONE, ROW_COL, Converted, ConvertOptions, rows_to_table
from qunkpi.importers.formats import UNKNOWN, convert_path, fill_account_daily
from qunkpi.importers.sniff import parse_time, zone
from qunkpi.workspace.schema import TABLES

if TYPE_CHECKING:
    from qunkpi.importers.canonical import ImportReport
    from qunkpi.workspace import Workspace

MAX_PROBLEMS = 200

#: Required columns of export-number tables whose value an export may simply not know: such a row is
#: skipped with its reason rather than failing the whole import.
UNKNOWABLE = {
    "posts": ("read_users", "published_at"),
    "account_daily": ("followers_total", "new_followers", "unfollows"),
}


def with_workspace_defaults(ws: Workspace, opts: ConvertOptions) -> ConvertOptions:
    s = ws.settings
    extra = s.model_extra or {}
    return dataclasses.replace(
        opts,
        timezone=s.timezone if opts.timezone == DEFAULT_TIMEZONE else opts.timezone,
        staff_ids=frozenset(opts.staff_ids) | frozenset(str(x) for x in s.staff_ids),
        account=opts.account or (str(extra["default_account"]) if extra.get("default_account") else None),
        self_is_member=opts.self_is_member or bool(extra.get("self_is_member", False)),
    )


def import_with_format(
    ws: Workspace, path: Path, fmt: str | None, opts: ConvertOptions
) -> list[ImportReport]:
    """Convert ``path`` (a file or a folder of exports) and store it; one report per file."""
    from qunkpi.importers.canonical import load_tables

    opts = with_workspace_defaults(ws, opts)
    results = convert_path(Path(path), fmt, opts)
    problems = [p for _f, _fmt, c in results for p in c.problems]
    if problems:
        raise ValidationFailed(problems[:MAX_PROBLEMS], total=len(problems), what="import")
    reports: list[ImportReport] = []
    for file, got, conv in results:
        tables = reconcile(ws, conv, opts)
        report = load_tables(
            ws,
            tables,
            source=str(file),
            fmt=got if got != UNKNOWN else "unknown",
            recalls=_resolve_recalls(ws, conv.recalls),
            service_messages=_pseudonymise_conversations(ws, conv.service_messages),
            skipped=conv.skipped,
        )
        # Rows read from the file itself (a group list's members, an archive's records), beside the per-table
        # counts the loader reports.
        report.file_rows_read = conv.rows_read
        report.file = str(file)
        report.format = got
        reports.append(report)
    return reports


# -- reconciliation with the workspace ---------------------------------------------------------------------


def _local_naive(ws: Workspace, value: Any) -> datetime | None:
    dt = parse_time(value, ws.settings.timezone)
    return None if dt is None else dt.astimezone(zone(ws.settings.timezone)).replace(tzinfo=None)


def _stored_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, datetime):
            out[k] = v.isoformat(sep=" ")
        else:
            out[k] = v
    return out


def reconcile(ws: Workspace, conv: Converted, opts: ConvertOptions) -> dict[str, pa.Table]:
    tables = dict(conv.tables)
    for name in conv.insert_only:
        if name in tables:
            tables[name] = _drop_existing(ws, name, tables[name], conv)
    extra_members: list[dict[str, Any]] = []
    leaves = [] if conv.leaves is None else conv.leaves.to_pylist()
    if "members" in tables and not conv.snapshot_communities:
        tables["members"], moved = _drop_repeated_joins(ws, tables["members"], conv)
        leaves += moved
    if opts.as_of is not None and conv.snapshot_communities:
        extra_members += _close_missing(ws, conv, opts.as_of)
    if leaves:
        extra_members += _apply_leaves(ws, leaves, conv)
    if extra_members:
        tables["members"] = _append_members(tables.get("members"), extra_members)
    if "account_daily" in tables:
        tables["account_daily"] = _complete_account_daily(ws, tables["account_daily"])
    for name in UNKNOWABLE:
        if name in tables:
            tables[name] = _settle_unknowns(name, tables[name], conv.skipped)
    return {k: v for k, v in tables.items() if v.num_rows}


def _drop_existing(ws: Workspace, name: str, t: pa.Table, conv: Converted) -> pa.Table:
    table = TABLES[name]
    keys = [k for k in table.key if k in t.column_names]
    if len(keys) != len(table.key) or t.num_rows == 0:
        return t
    cols = ", ".join(f'"{k}"' for k in keys)
    stored = {tuple(str(v) for v in row) for row in ws.con.execute(f'SELECT {cols} FROM "{name}"').fetchall()}
    if not stored:
        return t
    pseudo = ws.pseudonymizer
    keep = []
    for row in t.to_pylist():
        key = tuple(pseudo.one(str(row[k])) if table.column(k).person else str(row[k]) for k in keys)
        keep.append(key not in stored)
    dropped = keep.count(False)
    if dropped:
        conv.skipped[tr(f"{name}：已有记录，不覆盖", f"{name}: already stored, not overwritten")] += dropped
    return t.filter(pa.array(keep, pa.bool_()))


_MEMBER_COLS = [
    "community_id",
    "member_id",
    "joined_at",
    "left_at",
    "source_channel",
    "inviter_id",
    "is_staff",
    "role",
]


class _OpenSpells:
    """The stored open membership spells of some communities, loaded once (one query, not one per row)."""

    def __init__(self, ws: Workspace, communities: set[str]) -> None:
        self.by_member: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.by_community: dict[str, list[dict[str, Any]]] = {}
        if not communities:
            return
        cols = ", ".join(f'"{c}"' for c in [*_MEMBER_COLS, "profile_filled", "profile_total"])
        marks = ", ".join("?" for _ in communities)
        cur = ws.con.execute(
            f"SELECT {cols} FROM members WHERE left_at IS NULL AND community_id IN ({marks}) ORDER BY joined_at DESC",
            sorted(communities),
        )
        names = [d[0] for d in cur.description]
        for r in cur.fetchall():
            spell = dict(zip(names, r, strict=True))
            self.by_member.setdefault((spell["community_id"], spell["member_id"]), []).append(spell)
            self.by_community.setdefault(spell["community_id"], []).append(spell)

    def open(self, community: str, member: str | None, before: datetime) -> list[dict[str, Any]]:
        """Open spells that began at or before ``before``, latest first (all members when ``member`` is None)."""
        pool = (
            self.by_community.get(community, [])
            if member is None
            else self.by_member.get((community, member), [])
        )
        return [s for s in pool if s["joined_at"] <= before]

    def close(self, spell: dict[str, Any]) -> None:
        key = (spell["community_id"], spell["member_id"])
        self.by_member[key] = [s for s in self.by_member.get(key, []) if s is not spell]
        pool = self.by_community.get(spell["community_id"], [])
        self.by_community[spell["community_id"]] = [s for s in pool if s is not spell]


def _close_missing(ws: Workspace, conv: Converted, as_of: datetime) -> list[dict[str, Any]]:
    """Members of a snapshot community whose stored spell is open but who are not in the snapshot: left at
    ``as_of``."""
    when = _local_naive(ws, as_of)
    if when is None:
        return []
    pseudo = ws.pseudonymizer
    present: dict[str, set[str]] = {}
    members = conv.tables.get("members")
    for r in [] if members is None else members.select(["community_id", "member_id"]).to_pylist():
        present.setdefault(str(r["community_id"]), set()).add(pseudo.one(str(r["member_id"])))
    out = []
    spells = _OpenSpells(ws, set(conv.snapshot_communities))
    for community in sorted(conv.snapshot_communities):
        here = present.get(community, set())
        for spell in spells.open(community, None, when):
            if spell["member_id"] in here:
                continue
            out.append({**_stored_row(spell), "left_at": when.isoformat(sep=" ")})
    return out


def _drop_repeated_joins(
    ws: Workspace, t: pa.Table, conv: Converted
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Join events of members whose stored spell is still open: the member is already in the group, so no
    second spell is opened; a leave recorded on the dropped spell closes the stored one instead."""
    pseudo = ws.pseudonymizer
    keep: list[bool] = []
    moved: list[dict[str, Any]] = []
    rows = t.to_pylist()
    index = _OpenSpells(ws, {str(r["community_id"]) for r in rows})
    for r in rows:
        joined = _local_naive(ws, r.get("joined_at"))
        member = pseudo.one(str(r["member_id"]))
        stored = [] if joined is None else index.open(str(r["community_id"]), member, joined)
        repeated = any(s["joined_at"] != joined for s in stored)
        keep.append(not repeated)
        if repeated:
            conv.skipped[
                tr("重复的入群事件（成员已在群中）", "repeated join (member already in the group)")
            ] += 1
            if r.get("left_at"):
                moved.append(
                    {
                        "community_id": r["community_id"],
                        "member_id": r["member_id"],
                        "left_at": r["left_at"],
                        "quit_scene": r.get("quit_scene"),
                    }
                )
    if all(keep):
        return t, moved
    return t.filter(pa.array(keep, pa.bool_())), moved


def _apply_leaves(ws: Workspace, leaves: list[dict[str, Any]], conv: Converted) -> list[dict[str, Any]]:
    pseudo = ws.pseudonymizer
    out = []
    index = _OpenSpells(ws, {str(lv["community_id"]) for lv in leaves})
    leaves = sorted(leaves, key=lambda lv: _local_naive(ws, lv["left_at"]) or datetime.max)
    for lv in leaves:
        when = _local_naive(ws, lv["left_at"])
        if when is None:
            continue
        member = None if lv["member_id"] is None else pseudo.one(str(lv["member_id"]))
        spells = index.open(str(lv["community_id"]), member, when)
        if member is not None:
            spells = spells[:1]
            if not spells:
                # Re-importing the same callbacks: the spell is already closed at this time.
                row = ws.con.execute(
                    "SELECT count(*) FROM members WHERE community_id = ? AND member_id = ? AND left_at = ?",
                    [lv["community_id"], member, when],
                ).fetchall()
                if row and row[0][0]:
                    continue
                conv.skipped[
                    tr(
                        "退群成员没有已知的入群记录（无法关闭）",
                        "leave of a member with no known join (nothing to close)",
                    )
                ] += 1
                continue
        for spell in spells:
            index.close(spell)
            out.append(
                {**_stored_row(spell), "left_at": when.isoformat(sep=" "), "quit_scene": lv.get("quit_scene")}
            )
    return out


def _append_members(current: pa.Table | None, extra: list[dict[str, Any]]) -> pa.Table:
    # Stored spells have no line in this file, so line numbers are dropped for the whole table.
    rows = (
        [] if current is None else [{k: v for k, v in r.items() if k != ROW_COL} for r in current.to_pylist()]
    )
    cols = [c for c in (current.column_names if current is not None else _MEMBER_COLS) if c != ROW_COL]
    seen = {(str(r["community_id"]), str(r["member_id"]), str(r["joined_at"])) for r in rows}
    for r in extra:
        key = (str(r["community_id"]), str(r["member_id"]), str(r["joined_at"]))
        if key not in seen:
            seen.add(key)
            rows.append(r)
    return rows_to_table(rows, cols)


def _complete_account_daily(ws: Workspace, t: pa.Table) -> pa.Table:
    rows = t.to_pylist()
    if not any(r.get("followers_total") in (None, "") for r in rows):
        return t
    accounts = sorted({str(r["account_id"]) for r in rows})
    placeholders = ", ".join("?" for _ in accounts)
    stored = ws.con.execute(
        f"SELECT account_id, CAST(day AS VARCHAR), max(followers_total) FROM account_daily "
        f"WHERE account_id IN ({placeholders}) GROUP BY 1, 2",
        accounts,
    ).fetchall()
    totals = {(str(a), str(d)): str(v) for a, d, v in stored if v is not None}
    if not totals:
        return t
    filled, _ = fill_account_daily(rows, totals, set())
    return rows_to_table(filled, t.column_names)


def _settle_unknowns(name: str, t: pa.Table, skipped: Counter[str]) -> pa.Table:
    """Rows an export cannot complete: skipped (counted, with the reason); posts.is_original, which no export
    states, is stored as false while the schema requires it."""
    table = TABLES[name]
    rows = t.to_pylist()
    changed = False
    if name == "posts" and "is_original" in t.column_names and not table.column("is_original").nullable:
        n = 0
        for r in rows:
            if r.get("is_original") in (None, ""):
                r["is_original"] = "false"
                n += 1
        if n:
            changed = True
            skipped[
                tr(
                    "导出文件没有“是否原创”：记为非原创（可用标准格式的 posts 文件更正）",
                    "originality not in the export: stored as not original (correct it with a canonical posts file)",
                )
            ] += n
    keep = []
    for r in rows:
        missing = [
            c
            for c in UNKNOWABLE[name]
            if c in t.column_names and r.get(c) in (None, "") and not table.column(c).nullable
        ]
        if missing:
            changed = True
            if name == "account_daily" and "followers_total" in missing:
                skipped[
                    tr(
                        "没有当日累积关注人数（请同时导入 getusercumulate 或用户分析表格）",
                        "no follower total for the day (import getusercumulate or the user-analysis table too)",
                    )
                ] += 1
            else:
                skipped[
                    tr(
                        f'{name}：导出中缺少 {", ".join(missing)}（"-" 或空）',
                        f"{name}: {', '.join(missing)} unknown in the export ('-' or empty)",
                    )
                ] += 1
            continue
        keep.append(r)
    return rows_to_table(keep, t.column_names) if changed else t


def _resolve_recalls(ws: Workspace, t: pa.Table | None) -> pa.Table | None:
    """A recall whose original was imported earlier under the same id with or without the ``_external``
    suffix points at that stored id."""
    if t is None or t.num_rows == 0:
        return t
    rows = t.to_pylist()
    suffix = "_external"
    alt = {
        r["message_id"]: (
            r["message_id"][: -len(suffix)] if r["message_id"].endswith(suffix) else r["message_id"] + suffix
        )
        for r in rows
        if r.get("message_id")
    }
    wanted = sorted(set(alt) | set(alt.values()))
    marks = ", ".join("?" for _ in wanted)
    stored = {
        r[0]
        for r in ws.con.execute(
            f"SELECT message_id FROM messages WHERE message_id IN ({marks})", wanted
        ).fetchall()
    }
    changed = False
    for r in rows:
        mid = r.get("message_id")
        if mid and mid not in stored and alt.get(mid) in stored:
            r["message_id"] = alt[mid]
            changed = True
    return rows_to_table(rows, t.column_names) if changed else t


def _pseudonymise_conversations(ws: Workspace, t: pa.Table | None) -> pa.Table | None:
    if t is None or "conversation_id" not in t.column_names:
        return t
    pseudo = ws.pseudonymizer
    if not pseudo.enabled:
        return t
    i = t.column_names.index("conversation_id")
    return t.set_column(i, "conversation_id", pseudo.array(t.column("conversation_id")))

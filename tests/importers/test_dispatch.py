"""End to end: converters → reconciliation with the workspace → the canonical loader (load_tables)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from tests.importers.conftest import FIX

from qunkpi.errors import ValidationFailed
from qunkpi.importers import canonical
from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.dispatch import import_with_format
from qunkpi.workspace import Workspace

ROOM = "wrjc7bDwYAOAhf9quEwRRxyyoMm0QAAA"
CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
E1 = "wmGAgeDQAAvQeaTqWwkMTxGMkvI7OOuQ"
E2 = "wmJYSuBgAAFXR9UdLD_YJhs2657hRedQ"
E3 = "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA"


def run(ws: Workspace, rel: str | Path, fmt: str | None = None, **kw: object) -> list:
    path = rel if isinstance(rel, Path) else FIX / rel
    return import_with_format(ws, path, fmt, ConvertOptions(**kw))  # type: ignore[arg-type]


def one(ws: Workspace, sql: str, params: list | None = None) -> object:
    rows = ws.con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def counts(ws: Workspace) -> dict[str, int]:
    out = ws.table_counts()
    for t in ("recall_audit", "service_messages"):
        out[t] = int(one(ws, f"SELECT count(*) FROM {t}") or 0)
    return out


def test_archive_end_to_end_and_idempotent(ws: Workspace) -> None:
    (rep,) = run(ws, "wecom-archive/archive.jsonl")
    assert rep.rows_stored()["messages"] == 19
    assert rep.file_rows_read == 26
    assert any("switch record" in k for k in rep.skipped)
    assert one(ws, "SELECT count(*) FROM messages") == 19
    assert (
        one(
            ws,
            "SELECT recalled FROM messages WHERE message_id = ?",
            ["9732089160923053207_1790856900_external"],
        )
        is True
    )
    assert one(ws, "SELECT count(*) FROM messages WHERE recalled") == 1
    assert one(ws, "SELECT count(*) FROM recall_audit") == 2
    # person ids are pseudonymised, the one-to-one conversation id too
    assert one(ws, "SELECT count(*) FROM messages WHERE sender_id NOT LIKE 'u_%'") == 0
    convs = {r[0] for r in ws.con.execute("SELECT conversation_id FROM service_messages").fetchall()}
    assert len(convs) == 1 and next(iter(convs)).startswith("u_")
    assert one(ws, "SELECT count(*) FROM service_messages") == 2
    assert one(ws, "SELECT platform FROM communities WHERE community_id = ?", [ROOM]) == "wecom_group"
    assert one(ws, "SELECT count(*) FROM staff") == 2
    assert (
        str(one(ws, "SELECT sent_at FROM messages WHERE message_id = '1001_1790856960'"))
        == "2026-10-01 20:16:00"
    )
    before = counts(ws)
    (again,) = run(ws, "wecom-archive/archive.jsonl")
    assert counts(ws) == before
    assert again.rows_stored().get("messages") == 19  # updated in place, nothing doubled
    assert one(ws, "SELECT count(*) FROM messages WHERE recalled") == 1


def test_guessed_rows_never_overwrite(ws: Workspace, tmp_path: Path) -> None:
    """A group list names the community; an archive seen later must not rename it or reset its staff."""
    run(ws, "wecom-groups/groupchat_get.json")
    canonical.load_tables(
        ws,
        {"staff": pa.table({"staff_id": ["zhangsan"], "name": ["张三"], "role": ["manager"]})},
        source="staff.csv",
        fmt="canonical",
    )
    text = (FIX / "wecom-archive/archive.jsonl").read_text(encoding="utf-8").replace(ROOM, CHAT)
    f = tmp_path / "archive.jsonl"
    f.write_text(text, encoding="utf-8")
    (rep,) = run(ws, f)
    assert one(ws, "SELECT name FROM communities WHERE community_id = ?", [CHAT]) == "秋冬护肤交流群"
    assert (
        str(one(ws, "SELECT created_at FROM communities WHERE community_id = ?", [CHAT]))
        == "2026-09-20 10:00:00"
    )
    assert (
        one(ws, "SELECT name || '/' || role FROM staff WHERE staff_id = ?", [ws.person_id("zhangsan")])
        == "张三/manager"
    )
    assert any("already stored, not overwritten" in k for k in rep.skipped)


def test_group_snapshot_as_of_and_reimport(ws: Workspace, tmp_path: Path) -> None:
    run(ws, "wecom-groups/groupchat_get.json")
    assert one(ws, "SELECT count(*) FROM members WHERE left_at IS NULL") == 5
    assert one(ws, "SELECT count(*) FROM members WHERE is_staff") == 2
    assert (
        one(ws, "SELECT source_channel FROM members WHERE member_id = ?", [ws.person_id(E3)]) == "双十一海报"
    )
    before = counts(ws)
    run(ws, "wecom-groups/groupchat_get.json")
    assert counts(ws) == before  # the same snapshot again changes nothing
    # a later snapshot without E1: without --as-of nobody is closed ...
    data = json.loads((FIX / "wecom-groups/groupchat_get.json").read_text(encoding="utf-8"))
    data["group_chat"]["member_list"] = [m for m in data["group_chat"]["member_list"] if m["userid"] != E1]
    f = tmp_path / "later.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run(ws, f)
    assert one(ws, "SELECT count(*) FROM members WHERE left_at IS NULL") == 5
    # ... with --as-of, E1 is treated as having left then
    run(ws, f, as_of=datetime(2026, 10, 10, 9, 0))
    assert (
        str(one(ws, "SELECT left_at FROM members WHERE member_id = ?", [ws.person_id(E1)]))
        == "2026-10-10 09:00:00"
    )
    assert one(ws, "SELECT count(*) FROM members WHERE left_at IS NULL") == 4
    assert one(ws, "SELECT count(*) FROM members") == 5


def test_group_events_close_stored_spells(ws: Workspace) -> None:
    run(ws, "wecom-groups/groupchat_get.json")
    (rep,) = run(ws, "wecom-group-events/events.xml")
    # E3 joined in the snapshot and was removed by the owner in a callback
    row = ws.con.execute(
        "SELECT left_at, extra FROM members WHERE member_id = ?", [ws.person_id(E3)]
    ).fetchall()
    assert str(row[0][0]) == "2026-09-25 09:33:20" and json.loads(row[0][1])["quit_scene"] == "removed"
    # E1 was already in the group (snapshot): no second spell; its leave closes the stored one
    spells = ws.con.execute(
        "SELECT joined_at, left_at FROM members WHERE member_id = ?", [ws.person_id(E1)]
    ).fetchall()
    assert len(spells) == 1 and str(spells[0][1]) == "2026-09-24 05:46:40"
    assert any("repeated join" in k for k in rep.skipped)
    # a member only the callbacks know about gets a spell
    assert (
        one(
            ws,
            "SELECT count(*) FROM members WHERE member_id = ?",
            [ws.person_id("wmNNNNBgAAFXR9UdLD_YJhs2657hNNNN")],
        )
        == 1
    )
    before = counts(ws)
    run(ws, "wecom-group-events/events.xml")
    assert counts(ws) == before
    # the JSON callbacks: a dismissal closes everyone still in the group
    run(ws, "wecom-group-events/events.json")
    assert one(ws, "SELECT count(*) FROM members WHERE community_id = ? AND left_at IS NULL", [CHAT]) == 0


def test_leave_without_known_join_is_counted(ws: Workspace) -> None:
    (rep,) = run(ws, "wecom-group-events/events.xml")
    assert any("no known join" in k for k in rep.skipped)


def test_datacube_folder(ws: Workspace, tmp_path: Path) -> None:
    for name in ("getusersummary.json", "getusercumulate.json", "getarticletotal.json"):
        shutil.copy(FIX / "mp-datacube" / name, tmp_path / name)
    reports = run(ws, tmp_path, account="gh_skincare")
    rows = ws.con.execute(
        "SELECT CAST(day AS VARCHAR), source, followers_total, new_followers, unfollows FROM account_daily ORDER BY 1, 2"
    ).fetchall()
    assert ("2026-10-01", "qr_scan", 10520, 20, 2) in rows
    assert ("2026-10-01", "search", 10520, 12, 0) in rows
    assert all(r[0] != "2026-10-02" for r in rows)  # unfollows "-": not stored as 0
    assert all(r[0] != "2026-10-03" for r in rows)  # total only, new followers unknown
    skipped = {k: v for rep in reports for k, v in rep.skipped.items()}
    assert any("unknown in the export" in k for k in skipped)
    post = ws.con.execute(
        "SELECT read_users, reads_from_share, delivered, is_original, extra FROM posts"
    ).fetchall()
    assert post[0][:4] == (1180, 360, 10500, None)  # the export does not say whether a post is original
    assert len(json.loads(json.loads(post[0][4])["daily"])) == 3
    assert (
        one(ws, "SELECT platform FROM communities WHERE community_id = 'gh_skincare'") == "official_account"
    )


def test_account_from_workspace_setting(ws: Workspace) -> None:
    cfg = ws.path / "qunkpi.toml"
    cfg.write_text('default_account = "gh_default"\n' + cfg.read_text(encoding="utf-8"), encoding="utf-8")
    w2 = Workspace.open(ws.path)
    try:
        run(w2, "mp-excel/user_analysis_ole.xls")
        assert (
            one(w2, "SELECT count(DISTINCT account_id) FROM account_daily WHERE account_id = 'gh_default'")
            == 1
        )
    finally:
        w2.close()


def test_mp_excel_and_channels(ws: Workspace) -> None:
    run(ws, "mp-excel/user_analysis_gbk.csv", account="gh_skincare")
    assert one(ws, "SELECT count(*) FROM account_daily") == 2  # 10-02 has "-" unfollows
    run(ws, "mp-excel/articles.xlsx", account="gh_skincare")
    run(ws, "mp-excel/articles_html.xls", account="gh_skincare")
    assert one(ws, "SELECT count(*) FROM posts WHERE account_id = 'gh_skincare'") == 3
    assert one(ws, "SELECT is_original FROM posts WHERE title = '秋冬护肤的五个误区'") is True
    run(ws, "channels/works.csv", account="sph_beauty")
    row = ws.con.execute(
        "SELECT kind, read_users, completion_rate, avg_watch_seconds FROM posts WHERE account_id = 'sph_beauty' ORDER BY published_at"
    ).fetchall()
    assert row[0] == ("video", 12000, pytest.approx(0.352), 42.0)


def test_wechat_history(ws: Workspace) -> None:
    run(ws, "wechat-history/12345678901@chatroom_0_500.csv")
    run(ws, "wechat-history/wxid_friend9_0_100.csv")
    run(ws, "wechat-history/skincare_group_old.csv")
    assert one(ws, "SELECT count(*) FROM messages WHERE community_id = '12345678901@chatroom'") == 7
    assert one(ws, "SELECT count(*) FROM service_messages") == 2
    assert one(ws, "SELECT count(*) FROM staff") == 1
    reply = one(ws, "SELECT reply_to FROM messages WHERE message_id = 'skincare_group_old:5'")
    assert reply == "skincare_group_old:2"


def test_problems_stop_the_import_before_anything_is_written(ws: Workspace, tmp_path: Path) -> None:
    shutil.copy(FIX / "wecom-groups/groupchat_get.json", tmp_path / "a_groups.json")
    shutil.copy(FIX / "wecom-archive/archive_truncated.jsonl", tmp_path / "b_archive.jsonl")
    with pytest.raises(ValidationFailed) as e:
        run(ws, tmp_path)
    lines = {(Path(p.file).name, p.row) for p in e.value.problems}
    assert lines == {("b_archive.jsonl", 2), ("b_archive.jsonl", 4), ("b_archive.jsonl", 6)}
    assert "b_archive.jsonl:2" in str(e.value)
    assert counts(ws)["members"] == 0 and counts(ws)["messages"] == 0


def test_mixed_folder_end_to_end(ws: Workspace, tmp_path: Path) -> None:
    from tests.importers.test_formats import _mixed_folder

    reports = run(ws, _mixed_folder(tmp_path), account="gh_x")
    assert len(reports) == 8
    assert one(ws, "SELECT count(*) FROM messages") == 19 + 11 + 6
    assert one(ws, "SELECT count(*) FROM members") == 5
    assert any("file format not recognised" in k for rep in reports for k in rep.skipped)


def test_recall_in_a_later_file_finds_the_original_across_the_suffix(ws: Workspace, tmp_path: Path) -> None:
    lines = (FIX / "wecom-archive/archive.jsonl").read_text(encoding="utf-8").splitlines()
    first = tmp_path / "day1.jsonl"
    first.write_text(lines[0] + "\n", encoding="utf-8")  # the message, with its _external suffix
    recall = tmp_path / "day2.jsonl"
    recall.write_text(next(x for x in lines if '"action":"recall"' in x) + "\n", encoding="utf-8")
    run(ws, first)
    (rep,) = run(ws, recall)
    assert rep.recalls_applied == 1
    assert (
        one(
            ws,
            "SELECT recalled FROM messages WHERE message_id = ?",
            ["9732089160923053207_1790856900_external"],
        )
        is True
    )

"""WeCom customer groups (groupchat/get) and group-change callbacks (XML and JSON)."""

from __future__ import annotations

from pathlib import Path

from tests.importers.conftest import FIX, by, convert, rows, skipped_with

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.wecom_groups import convert_events, convert_groups

CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
E1 = "wmGAgeDQAAvQeaTqWwkMTxGMkvI7OOuQ"
E2 = "wmJYSuBgAAFXR9UdLD_YJhs2657hRedQ"
E3 = "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA"


def test_group_becomes_community_and_member_spells() -> None:
    c = convert("wecom-groups", "wecom-groups/groupchat_get.json")
    assert not c.problems
    (comm,) = rows(c, "communities")
    assert comm == {
        "community_id": CHAT,
        "name": "秋冬护肤交流群",
        "platform": "wecom_group",
        "purpose": None,
        "created_at": "2026-09-20T10:00:00+08:00",
        "owner_staff_id": "zhangsan",
    }
    members = by(rows(c, "members"), "member_id")
    assert set(members) == {"zhangsan", "lisi", E1, E2, E3}
    assert members[E2]["joined_at"] == "2026-09-21T22:13:20+08:00"
    assert all(m["left_at"] is None for m in members.values())
    assert c.snapshot_communities == frozenset({CHAT})


def test_source_channel_state_tag_else_join_scene() -> None:
    members = by(rows(convert("wecom-groups", "wecom-groups/groupchat_get.json"), "members"), "member_id")
    assert members[E2]["source_channel"] == "group_qr"
    assert members[E1]["source_channel"] == "invite_link"
    assert members["lisi"]["source_channel"] == "invite_direct"
    assert members[E3]["source_channel"] == "双十一海报"  # the channel-QR state tag wins
    assert members[E2]["inviter_id"] == "zhangsan"


def test_staff_from_member_type_and_admins() -> None:
    c = convert("wecom-groups", "wecom-groups/groupchat_get.json")
    members = by(rows(c, "members"), "member_id")
    assert members["zhangsan"]["is_staff"] == "true" and members["zhangsan"]["role"] == "staff"
    assert members["lisi"]["is_staff"] == "true"
    assert members[E1]["is_staff"] == "false" and members[E1]["role"] == "member"
    assert {s["staff_id"] for s in rows(c, "staff")} == {"zhangsan", "lisi"}
    assert "staff" in c.insert_only and "communities" not in c.insert_only
    # an external contact the workspace lists as staff
    c2 = convert_groups(FIX / "wecom-groups/groupchat_get.json", ConvertOptions(staff_ids=frozenset({E1})))
    assert by(rows(c2, "members"), "member_id")[E1]["is_staff"] == "true"


def test_ms_join_time_unknown_codes_and_api_errors() -> None:
    c = convert("wecom-groups", "wecom-groups/groups.jsonl")
    members = {(m["community_id"], m["member_id"]): m for m in rows(c, "members")}
    g1 = "wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAA"
    assert members[(g1, "lisi")]["joined_at"] == "2026-09-21T22:13:20+08:00"  # milliseconds
    assert members[(g1, E2)]["source_channel"] == "other"  # join_scene 9
    assert skipped_with(c, "unknown join_scene code 9 kept as other") == 1
    assert skipped_with(c, "unknown member type 3") == 1
    # unnamed group: its id is its name
    assert by(rows(c, "communities"), "community_id")[g1]["name"] == g1
    problems = {(p.row, p.column) for p in c.problems}
    assert (2, "member_list[1].join_time") in problems  # a member without join_time
    assert (3, "errcode") in problems  # an error response, line 3


def test_xml_callbacks_build_spells_with_quit_scene() -> None:
    c = convert("wecom-group-events", "wecom-group-events/events.xml")
    assert not c.problems
    spells = by(rows(c, "members"), "member_id")
    assert spells[E1]["joined_at"] == "2026-09-23T02:00:00+08:00"
    assert spells[E1]["left_at"] == "2026-09-24T05:46:40+08:00"
    assert spells[E1]["quit_scene"] == "left"
    assert spells[E1]["source_channel"] == "group_qr"
    assert spells[E2]["left_at"] is None
    assert spells["wmNNNNBgAAFXR9UdLD_YJhs2657hNNNN"]["source_channel"] == "other"
    assert skipped_with(c, "unknown JoinScene code 7") == 1
    assert skipped_with(c, "change_name") == 1
    # the leave of a member who joined before this file closes the stored spell at import
    assert c.leaves is not None
    (leave,) = c.leaves.to_pylist()
    assert leave == {
        "community_id": CHAT,
        "member_id": E3,
        "left_at": "2026-09-25T09:33:20+08:00",
        "quit_scene": "removed",
    }
    (comm,) = rows(c, "communities")
    assert comm["created_at"] == "2026-09-21T22:13:20+08:00" and "communities" in c.insert_only


def test_json_callbacks_snake_and_pascal_case_and_dismiss() -> None:
    c = convert("wecom-group-events", "wecom-group-events/events.json")
    assert not c.problems
    (spell,) = rows(c, "members")
    assert spell["member_id"] == "zhangsan" and spell["is_staff"] == "true"
    assert spell["source_channel"] == "invite_direct"  # JoinScene 0
    assert spell["left_at"] == "2026-09-27T17:06:40+08:00" and spell["quit_scene"] == "left"
    assert c.leaves is not None
    leaves = c.leaves.to_pylist()
    assert {
        "community_id": CHAT,
        "member_id": E2,
        "left_at": "2026-09-27T17:06:40+08:00",
        "quit_scene": "left",
    } in leaves
    assert {
        "community_id": CHAT,
        "member_id": None,
        "left_at": "2026-09-28T20:53:20+08:00",
        "quit_scene": "dismissed",
    } in leaves


def test_cut_off_xml_is_reported_with_its_line() -> None:
    c = convert("wecom-group-events", "wecom-group-events/events_cut.xml")
    assert [p.row for p in c.problems] == [2]
    assert len(rows(c, "members")) == 1


def test_member_count_above_list(tmp_path: Path) -> None:
    f = tmp_path / "ev.json"
    f.write_text(
        '{"Event":"change_external_chat","CreateTime":1790100000,"ChatId":"wrX","ChangeType":"update",'
        '"UpdateDetail":"add_member","JoinScene":3,"MemChangeCnt":5,"MemChangeList":{"Item":"wmAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}',
        encoding="utf-8",
    )
    c = convert_events(f, ConvertOptions())
    assert len(rows(c, "members")) == 1
    assert skipped_with(c, "MemChangeCnt above the listed members") == 4

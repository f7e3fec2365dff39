"""Canonical import: encodings, all-problems-at-once validation, idempotency, atomicity, pseudonymisation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import TINY

from qunkpi.errors import ValidationFailed
from qunkpi.importers.canonical import import_path
from qunkpi.workspace import Workspace

MEMBERS_HEADER = "community_id,member_id,joined_at,left_at,source_channel,inviter_id,is_staff,role,profile_filled,profile_total\n"


def _counts(ws: Workspace) -> dict[str, int]:
    return ws.table_counts()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_encodings_round_trip(ws: Workspace, tmp_path: Path, encoding: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "communities.csv").write_text(
        "community_id,name,platform,purpose,created_at\nc1,宝妈育儿交流群,wechat_group,service,2026-01-01\n", encoding=encoding
    )
    (folder / "members.csv").write_text(MEMBERS_HEADER + "c1,张三,2026-02-01 08:00,,海报,,false,member,,\n", encoding=encoding)
    rep = import_path(ws, folder)
    assert {t.table: t.encoding for t in rep.tables} == {"communities": encoding if encoding != "gbk" else "gb18030",
                                                         "members": encoding if encoding != "gbk" else "gb18030"}
    name, channel = ws.con.execute("SELECT name, source_channel FROM communities JOIN members USING (community_id)").fetchall()[0]
    assert (name, channel) == ("宝妈育儿交流群", "海报")


def test_broken_file_reports_every_problem_with_row_and_column(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(TINY / "communities.csv", folder)
    (folder / "members.csv").write_text(
        MEMBERS_HEADER
        + "c1,m1,2026-02-01 08:00,,poster,,false,member,3,5\n"  # row 2 fine
        + "c1,m2,not-a-time,,poster,,false,member,3,5\n"  # row 3: bad timestamp
        + "c1,m3,2026-02-01,,poster,,maybe,member,x,5\n"  # row 4: bad bool, bad int
        + "c1,m4,2026-02-01,,poster,,false,boss,3,5\n",  # row 5: bad enum
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, folder)
    got = {(p.row, p.column) for p in exc.value.problems}
    assert got == {(3, "joined_at"), (4, "is_staff"), (4, "profile_filled"), (5, "role")}
    assert all(p.file.endswith("members.csv") and p.hint for p in exc.value.problems)
    # nothing written, not even the valid communities file
    assert _counts(ws)["communities"] == 0 and _counts(ws)["members"] == 0


def test_missing_column_is_named(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "members.csv"
    f.write_text("community_id,member_id\nc1,m1\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, f)
    assert [(p.row, p.column) for p in exc.value.problems] == [(1, "joined_at")]


def test_duplicate_keys_in_a_file(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS_HEADER + "c1,m1,2026-02-01,,,,false,member,,\n" * 2, encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, f)
    assert exc.value.problems[0].row == 3 and "row 2" in exc.value.problems[0].message + " row 2"


def test_reimport_is_idempotent(tiny_ws: Workspace) -> None:
    before = _counts(tiny_ws)
    m1 = tiny_ws.metrics("2026-10").value.tolist()
    rep = import_path(tiny_ws, TINY)
    assert _counts(tiny_ws) == before
    assert all(t.inserted == 0 and t.updated == t.rows_read for t in rep.tables)
    assert tiny_ws.metrics("2026-10").value.tolist() == m1


def test_overlapping_import_adds_only_new_rows(tiny_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS_HEADER + "c1,m1,2026-09-01 00:00:00,,poster,,false,member,3,5\nc1,m10,2026-10-09,,poster,,false,member,,\n",
                 encoding="utf-8")
    before = _counts(tiny_ws)["members"]
    rep = import_path(tiny_ws, f)
    assert (rep.tables[0].inserted, rep.tables[0].updated) == (1, 1)
    assert _counts(tiny_ws)["members"] == before + 1


def test_failed_import_leaves_workspace_unchanged(tiny_ws: Workspace, tmp_path: Path) -> None:
    before = _counts(tiny_ws)
    snapshot = tiny_ws.con.execute("SELECT * FROM members ORDER BY ALL").fetchall()
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS_HEADER + "c1,m1,2026-09-01,,,,false,member,,\nc1,m2,yesterday,,,,false,member,,\n", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        import_path(tiny_ws, f)
    assert _counts(tiny_ws) == before
    assert tiny_ws.con.execute("SELECT * FROM members ORDER BY ALL").fetchall() == snapshot


def test_person_ids_are_pseudonymised_consistently(tiny_ws: Workspace) -> None:
    ids = {r[0] for r in tiny_ws.con.execute("SELECT member_id FROM members UNION SELECT sender_id FROM messages").fetchall()}
    assert "m1" not in ids and tiny_ws.person_id("m1") in ids
    senders = {r[0] for r in tiny_ws.con.execute("SELECT sender_id FROM messages").fetchall()}
    members = {r[0] for r in tiny_ws.con.execute("SELECT member_id FROM members").fetchall()}
    assert senders <= members  # the same person maps to the same pseudonym in both tables
    key_file = tiny_ws.path / ".secret" / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_timestamps_with_offsets_become_local_time(tiny_ws: Workspace) -> None:
    row = tiny_ws.con.execute("SELECT joined_at FROM members WHERE member_id = ?", [tiny_ws.person_id("m6")]).fetchall()
    assert str(row[0][0]) == "2026-11-01 00:30:00"  # 2026-10-31T16:30Z in Asia/Shanghai


def test_extra_columns_are_kept(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "communities.csv"
    f.write_text("community_id,name,platform,created_at,区域\nc1,群,wechat_group,2026-01-01,华东\n", encoding="utf-8")
    import_path(ws, f)
    extra = ws.con.execute("SELECT extra FROM communities").fetchall()[0][0]
    assert "华东" in extra


def test_xlsx_and_jsonl(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["community_id", "name", "platform", "created_at"])
    sh.append(["c1", "读书会", "wechat_group", "2026-01-01 00:00:00"])
    wb.save(tmp_path / "communities.xlsx")
    (tmp_path / "staff.jsonl").write_text('{"staff_id": "s1", "name": "王芳", "role": "specialist"}\n', encoding="utf-8")
    import_path(ws, tmp_path / "communities.xlsx")
    import_path(ws, tmp_path / "staff.jsonl")
    assert _counts(ws)["communities"] == 1 and _counts(ws)["staff"] == 1


def test_truncated_json_line_is_reported_with_its_number(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "staff.jsonl"
    f.write_text('{"staff_id": "s1", "name": "王芳", "role": "specialist"}\n{"staff_id": "s2", "na\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, f)
    assert [p.row for p in exc.value.problems] == [2]


def test_header_only_file_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "communities.csv"
    f.write_text("community_id,name,platform,created_at\n", encoding="utf-8")
    rep = import_path(ws, f)
    assert rep.tables[0].rows_read == 0 and _counts(ws)["communities"] == 0


def test_no_consent_keeps_class_and_length_but_no_text(ws: Workspace, tmp_path: Path) -> None:
    import json

    from qunkpi.classify.engine import classify_workspace

    (tmp_path / "communities.csv").write_text(
        "community_id,name,platform,created_at,archive_consent\nc9,未授权群,wechat_group,2026-01-01,false\n", encoding="utf-8"
    )
    (tmp_path / "messages.csv").write_text(
        "message_id,community_id,sender_id,sent_at,msg_type,text\n"
        "x1,c9,u1,2026-10-01 10:00,text,请问这个怎么退款？我的手机 13812345678\n",
        encoding="utf-8",
    )
    import_path(ws, tmp_path)
    text, extra = ws.con.execute("SELECT text, extra FROM messages").fetchall()[0]
    assert text is None
    info = json.loads(extra)
    assert info["consent"] is False and info["text_cls"] == "question" and info["chars"] > 0
    assert "13812345678" not in extra
    classify_workspace(ws, full=True)
    assert ws.con.execute("SELECT cls FROM message_labels").fetchall() == [("question",)]


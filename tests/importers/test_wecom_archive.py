"""WeCom session archive: every msgtype of the field notes and its quirks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.importers.conftest import FIX, by, convert, rows, skipped_with

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.wecom_archive import convert as convert_archive

ROOM = "wrjc7bDwYAOAhf9quEwRRxyyoMm0QAAA"
E1 = "wmGAgeDQAAvQeaTqWwkMTxGMkvI7OOuQ"
E2 = "wmJYSuBgAAFXR9UdLD_YJhs2657hRedQ"


def _archive() -> tuple[dict, object]:
    c = convert("wecom-archive", "wecom-archive/archive.jsonl")
    return by(rows(c, "messages"), "message_id"), c


def test_types_map_to_canonical_msg_types() -> None:
    msgs, c = _archive()
    assert not c.problems
    kinds = {mid.split("_")[0]: m["msg_type"] for mid, m in msgs.items()}
    assert kinds == {
        "9732089160923053207": "text",
        "1001": "text",
        "1002": "image",
        "1003": "voice",
        "1004": "link",  # docmsg
        "1005": "text",  # markdown
        "1006": "link",  # news
        "1007": "vote",
        "1008": "link",  # chatrecord
        "1009": "text",  # mixed with text
        "1010": "link",
        "1011": "link",  # weapp
        "1012": "file",
        "1013": "emotion",
        "1014": "redpacket",
        "1015": "link",  # sphfeed
        "1016": "other",  # unknown msgtype
        "1021": "other",  # location
        "1022": "system",  # agree
    }
    assert c.rows_read == 26


def test_payload_keys_that_differ_from_msgtype() -> None:
    msgs, _ = _archive()
    assert msgs["1004_1790857140"]["text"] == "直播课讲义"  # docmsg -> doc
    assert msgs["1005_1790857200"]["text"] == "**本周活动**：连续打卡7天赢好礼"  # markdown -> info
    assert msgs["1006_1790857260"]["text"] == "十月会员日福利\n满199减50"  # news -> info.item


def test_vote_fields_at_top_level() -> None:
    msgs, _ = _archive()
    assert msgs["1007_1790857320"]["text"] == "下次直播主题\n秋冬护肤\n通勤彩妆"


def test_json_in_a_string_inside_chatrecord_and_mixed() -> None:
    msgs, _ = _archive()
    assert msgs["1008_1790857380"]["text"] == "群聊的聊天记录\n这个面霜真的好用"
    assert msgs["1009_1790857440"]["text"] == "第3天打卡，今日5公里"


def test_seconds_milliseconds_and_string_timestamps() -> None:
    msgs, _ = _archive()
    assert msgs["9732089160923053207_1790856900_external"]["sent_at"] == "2026-10-01T20:15:00+08:00"  # ms
    assert msgs["1001_1790856960"]["sent_at"] == "2026-10-01T20:16:00+08:00"  # seconds
    assert msgs["1002_1790857020"]["sent_at"] == "2026-10-01T20:17:00+08:00"  # numeric string (ms)
    arr = by(rows(convert("wecom-archive", "wecom-archive/archive_array.json"), "messages"), "message_id")
    assert arr["2002_1790902860"]["sent_at"] == "2026-10-02T09:01:00+08:00"  # "YYYY-MM-DD HH:MM:SS"


def test_other_time_zone() -> None:
    c = convert("wecom-archive", "wecom-archive/archive_array.json", timezone="UTC")
    assert by(rows(c, "messages"), "message_id")["2001_1790902800"]["sent_at"] == "2026-10-02T01:00:00+00:00"


def test_message_ids_kept_exactly_and_duplicates_skipped() -> None:
    msgs, c = _archive()
    assert "9732089160923053207_1790856900_external" in msgs
    assert skipped_with(c, "duplicate message id") == 1


def test_recall_marks_original_across_external_suffix() -> None:
    msgs, c = _archive()
    assert msgs["9732089160923053207_1790856900_external"]["recalled"] == "true"
    assert sum(1 for m in msgs.values() if m["recalled"] == "true") == 1
    assert c.recalls is not None
    audit = by(c.recalls.to_pylist(), "message_id")
    assert audit["9732089160923053207_1790856900_external"]["community_id"] == ROOM
    assert audit["9732089160923053207_1790856900_external"]["recalled_at"] == "2026-10-01T20:32:00+08:00"
    # a recall whose original is not in the file is kept for the audit only
    assert "14822339130656386894_1790000000" in audit
    assert skipped_with(c, "original not in this file") == 1
    # the recall records themselves are not messages
    assert "1017_1790857920" not in msgs and "1018_1790857980" not in msgs


def test_switch_records_and_unknown_msgtypes_are_counted() -> None:
    _, c = _archive()
    assert skipped_with(c, "switch record") == 1
    assert skipped_with(c, "unknown msgtype hologram kept as other") == 1


def test_one_to_one_chats_are_service_conversations() -> None:
    msgs, c = _archive()
    assert all(m["community_id"] == ROOM for m in msgs.values())
    assert [r["community_id"] for r in rows(c, "communities")] == [ROOM]
    assert c.service_messages is not None
    svc = by(c.service_messages.to_pylist(), "message_id")
    assert set(svc) == {"1019_1790858040", "1020_1790858100"}
    assert svc["1019_1790858040"]["from_staff"] == "false"
    assert svc["1020_1790858100"]["from_staff"] == "true"
    assert {s["staff_id"] for s in svc.values()} == {"zhangsan"}
    assert len({s["conversation_id"] for s in svc.values()}) == 1
    assert skipped_with(c, "internal one-to-one chat") == 1


def test_staff_from_id_shapes_and_config() -> None:
    _, c = _archive()
    assert {r["staff_id"] for r in rows(c, "staff")} == {"zhangsan", "lisi"}
    assert c.insert_only >= {"communities", "staff"}
    # a customer the user lists as staff (e.g. a partner's external account) becomes staff too
    c2 = convert_archive(FIX / "wecom-archive/archive.jsonl", ConvertOptions(staff_ids=frozenset({E2})))
    assert E2 in {r["staff_id"] for r in rows(c2, "staff")}


def test_community_is_provisional_with_first_message_time() -> None:
    _, c = _archive()
    (comm,) = rows(c, "communities")
    assert comm["platform"] == "wecom_group" and comm["purpose"] is None
    assert comm["created_at"] == "2026-10-01T20:15:00+08:00"


def test_truncated_line_reports_line_and_converts_the_rest() -> None:
    c = convert("wecom-archive", "wecom-archive/archive_truncated.jsonl")
    got = {p.row: p for p in c.problems}
    assert set(got) == {2, 4, 6}
    assert "line 2" in got[2].message and "not valid JSON" in got[2].message
    assert got[4].column == "msgtime"
    assert {m["message_id"] for m in rows(c, "messages")} == {
        "3001_1790902800",
        "3003_1790902920",
        "3005_1790903040",
    }
    # line numbers travel with the rows so the loader can name them
    assert {m["__row"] for m in rows(c, "messages")} == {1, 3, 5}


def test_json_array_with_a_broken_element(tmp_path: Path) -> None:
    good = {
        "msgid": "a1",
        "from": E1,
        "roomid": ROOM,
        "msgtime": 1790902800,
        "msgtype": "text",
        "text": {"content": "x"},
    }
    text = (
        "[\n"
        + json.dumps(good)
        + ",\n"
        + '{"msgid": "a2", "from": \n'
        + ",\n"
        + json.dumps({**good, "msgid": "a3"})
        + "\n]\n"
    )
    f = tmp_path / "arr.json"
    f.write_text(text, encoding="utf-8")
    c = convert_archive(f, ConvertOptions())
    assert [p.row for p in c.problems] == [3]
    assert {m["message_id"] for m in rows(c, "messages")} == {"a1", "a3"}


def test_wrapper_and_bom_and_gbk(tmp_path: Path) -> None:
    msg = {
        "msgid": "w1",
        "action": "send",
        "from": "zhangsan",
        "tolist": [E1],
        "roomid": ROOM,
        "msgtime": 1790902800000,
        "msgtype": "text",
        "text": {"content": "中文内容"},
    }
    f = tmp_path / "wrapped.json"
    f.write_bytes(json.dumps({"errcode": 0, "chatdata": [msg]}, ensure_ascii=False).encode("gb18030"))
    c = convert_archive(f, ConvertOptions())
    assert rows(c, "messages")[0]["text"] == "中文内容"
    g = tmp_path / "bom.jsonl"
    g.write_bytes(b"\xef\xbb\xbf" + json.dumps(msg, ensure_ascii=False).encode())
    assert rows(convert_archive(g, ConvertOptions()), "messages")[0]["message_id"] == "w1"

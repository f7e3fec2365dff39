"""Personal WeChat chat-history exports: 留痕 old/new, PyWxDump, wxpy-style."""

from __future__ import annotations

from tests.importers.conftest import FIX, by, convert, rows, skipped_with

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.wechat_history import convert as convert_history


def test_liuhen_old_columns() -> None:
    c = convert("wechat-history", "wechat-history/skincare_group_old.csv")
    assert not c.problems
    msgs = by(rows(c, "messages"), "message_id")
    # no room id in the export: the file name is the community id; local ids are prefixed with it
    assert set(m["community_id"] for m in msgs.values()) == {"skincare_group_old"}
    m1 = msgs["skincare_group_old:1"]
    assert m1["sent_at"] == "2026-10-01T20:15:00+08:00" and m1["msg_type"] == "text"
    assert msgs["skincare_group_old:3"]["msg_type"] == "image"
    assert msgs["skincare_group_old:4"]["msg_type"] == "voice"
    assert msgs["skincare_group_old:6"]["msg_type"] == "link"
    assert msgs["skincare_group_old:6"]["text"] == "秋季护肤指南\n换季干货"
    assert (
        msgs["skincare_group_old:7"]["msg_type"] == "system"
        and msgs["skincare_group_old:7"]["sender_id"] == "system"
    )
    assert msgs["skincare_group_old:8"]["msg_type"] == "emotion"
    assert msgs["skincare_group_old:9"]["msg_type"] == "other"
    assert skipped_with(c, "unknown message type 9999") == 1
    # CreateTime empty: StrTime is used
    assert msgs["skincare_group_old:10"]["sent_at"] == "2026-10-01T20:24:00+08:00"
    # old group rows carry the sender as a "wxid:\n" prefix
    assert msgs["skincare_group_old:11"]["sender_id"] == "wxid_zhao004"
    assert msgs["skincare_group_old:11"]["text"] == "这个怎么买？"


def test_quoted_reply_keeps_text_and_links_reply_to() -> None:
    msgs = by(
        rows(convert("wechat-history", "wechat-history/skincare_group_old.csv"), "messages"), "message_id"
    )
    q = msgs["skincare_group_old:5"]
    assert q["text"] == "几点开始？" and q["msg_type"] == "text"
    assert q["reply_to"] == "skincare_group_old:2"


def test_exporting_account_is_staff_unless_member() -> None:
    c = convert("wechat-history", "wechat-history/skincare_group_old.csv")
    assert rows(c, "staff") == [{"staff_id": "wxid_op_zhang", "name": "运营小张", "role": "specialist"}]
    c = convert_history(FIX / "wechat-history/skincare_group_old.csv", ConvertOptions(self_is_member=True))
    assert rows(c, "staff") == []
    assert by(rows(c, "messages"), "message_id")["skincare_group_old:2"]["sender_id"] == "wxid_op_zhang"


def test_community_option_and_platform() -> None:
    c = convert_history(FIX / "wechat-history/skincare_group_old.csv", ConvertOptions(community="grp-skin"))
    assert {m["community_id"] for m in rows(c, "messages")} == {"grp-skin"}
    (comm,) = rows(c, "communities")
    assert comm["community_id"] == "grp-skin" and comm["platform"] == "wechat_group"
    assert comm["created_at"] == "2026-10-01T20:15:00+08:00" and "communities" in c.insert_only


def test_liuhen_new_columns_and_staff_from_config() -> None:
    c = convert("wechat-history", "wechat-history/live_group_new.csv", staff_ids=frozenset({"wxid_op_zhang"}))
    msgs = by(rows(c, "messages"), "message_id")
    assert msgs["live_group_new:8002"]["msg_type"] == "image" and msgs["live_group_new:8002"]["text"] is None
    assert msgs["live_group_new:8004"]["msg_type"] == "system"  # 拍一拍
    assert msgs["live_group_new:8005"]["msg_type"] == "other"
    assert skipped_with(c, "unknown message type 全息投影") == 1
    assert [s["staff_id"] for s in rows(c, "staff")] == ["wxid_op_zhang"]
    # without a sender flag or config, nobody is staff
    assert rows(convert("wechat-history", "wechat-history/live_group_new.csv"), "staff") == []


def test_pywxdump_group_file() -> None:
    c = convert("wechat-history", "wechat-history/12345678901@chatroom_0_500.csv")
    assert not c.problems
    msgs = by(rows(c, "messages"), "message_id")
    assert "7350001112223334441" in msgs  # MsgSvrID kept exactly
    assert {m["community_id"] for m in msgs.values()} == {"12345678901@chatroom"}
    assert msgs["7350001112223334444"]["msg_type"] == "text"  # 引用回复
    assert msgs["7350001112223334446"]["sent_at"] == "2026-10-03T10:05:00+08:00"  # epoch string
    assert msgs["7350001112223334447"]["msg_type"] == "link"
    assert [s["staff_id"] for s in rows(c, "staff")] == ["wxid_op_zhang"]


def test_pywxdump_one_to_one_is_a_service_conversation() -> None:
    c = convert("wechat-history", "wechat-history/wxid_friend9_0_100.csv")
    assert "messages" not in c.tables and "communities" not in c.tables
    assert c.service_messages is not None
    svc = c.service_messages.to_pylist()
    assert [s["from_staff"] for s in svc] == ["false", "true"]
    assert {s["staff_id"] for s in svc} == {"wxid_op_zhang"}


def test_wxpy_log_in_gb18030() -> None:
    c = convert("wechat-history", "wechat-history/wxpy_log.csv")
    assert not c.problems
    msgs = rows(c, "messages")
    assert (
        len(msgs) == 6 and len({m["message_id"] for m in msgs}) == 6
    )  # identical rows still get distinct ids
    assert {m["community_id"] for m in msgs} == {"@@a1b2c3"}
    assert [m["msg_type"] for m in msgs] == ["text", "image", "link", "text", "text", "voice"]
    (comm,) = rows(c, "communities")
    assert comm["name"] == "读书打卡群"
    # ids are stable: converting again gives the same ones
    again = rows(convert("wechat-history", "wechat-history/wxpy_log.csv"), "messages")
    assert [m["message_id"] for m in again] == [m["message_id"] for m in msgs]


def test_wxpy_session_ids_can_be_replaced() -> None:
    c = convert_history(FIX / "wechat-history/wxpy_log.csv", ConvertOptions(community="reading-club"))
    assert {m["community_id"] for m in rows(c, "messages")} == {"reading-club"}
    (comm,) = rows(c, "communities")
    assert comm["name"] == "读书打卡群"

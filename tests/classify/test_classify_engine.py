"""Workspace-level classification: staff, answers, flooding, coordination, system, no-text, incremental runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qunkpi.classify.engine import DIRTY_KEY, LABELS_TABLE, RULES_KEY, classify_workspace, labels_fresh
from qunkpi.workspace import Workspace

T0 = datetime(2025, 5, 6, 9, 0)


@pytest.fixture
def cws(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path / "ws")
    ws.settings.pseudonymize = False  # raw ids in settings.staff_ids map to themselves
    con = ws.con
    con.execute(
        "INSERT INTO communities VALUES ('c1', '群一', 'wecom_group', 'sales', ?, NULL, NULL, true, NULL),"
        " ('c2', '群二', 'wechat_group', 'service', ?, NULL, NULL, false, NULL)",
        [T0 - timedelta(days=200), T0 - timedelta(days=200)],
    )
    members = [
        ("c1", "u1", False, "member", None),
        ("c1", "u2", False, "member", None),
        ("c1", "s_flag", True, "member", None),
        ("c1", "s_role", False, "staff", None),
        ("c1", "kol", False, "kol", None),
        ("c1", "nick", False, "member", json.dumps({"group_nickname": "官方客服-小美"}, ensure_ascii=False)),
        ("c2", "s_flag", False, "member", None),  # staff only in c1 ... but see the staff table below
        ("c2", "u1", False, "member", None),
    ]
    for cid, mid, is_staff, role, extra in members:
        con.execute(
            "INSERT INTO members VALUES (?, ?, ?, NULL, NULL, NULL, ?, ?, NULL, NULL, ?)",
            [cid, mid, T0 - timedelta(days=100), is_staff, role, extra],
        )
    con.execute("INSERT INTO staff VALUES ('s_table', '小王', 'specialist', NULL, NULL)")
    yield ws
    ws.close()


def add(
    ws: Workspace,
    mid: str,
    sender: str,
    minutes: float,
    text: str | None,
    *,
    cid: str = "c1",
    msg_type: str = "text",
    reply_to: str | None = None,
    recalled: bool = False,
    extra: str | None = None,
) -> None:
    ws.con.execute(
        "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [mid, cid, sender, T0 + timedelta(minutes=minutes), msg_type, text, reply_to, recalled, extra],
    )
    ws.messages_changed()  # what every writer of messages does (the importer in the product)


def labels(ws: Workspace) -> dict[str, tuple[str, str, str]]:
    rows = ws.con.execute(f"SELECT message_id, cls, reason, sentiment FROM {LABELS_TABLE}").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_context_classes(cws: Workspace) -> None:
    ws = cws
    add(ws, "q1", "u1", 0, "请问这个怎么退款")
    add(ws, "a1", "u2", 1, "在订单页面点申请售后就行", reply_to="q1")
    add(ws, "a2", "s_flag", 2, "亲，我私聊您处理", reply_to="q1")
    add(ws, "r1", "u2", 3, "哈哈哈", reply_to="q1")  # filler stays filler even as a reply
    add(ws, "c1", "u1", 4, "今天天气真好")
    add(ws, "r2", "u2", 5, "是啊，适合出去玩", reply_to="c1")  # reply to chat: not an answer
    add(ws, "sq", "s_role", 6, "大家觉得这次活动怎么样？")
    add(ws, "r3", "u1", 7, "挺好的，下次还来", reply_to="sq")  # reply to a staff question: not an answer
    add(ws, "st1", "s_table", 8, "今晚8点直播")
    add(ws, "st2", "s_table", 8, "大家好", cid="c2")  # staff table: staff everywhere
    add(ws, "n1", "nick", 9, "欢迎新朋友")
    add(ws, "k1", "kol", 10, "我来分享一下我的经验：先做好准备工作，再一步一步来，坚持三十天效果非常明显")
    add(ws, "sys", "u1", 11, "u3加入了群聊", msg_type="system")
    add(ws, "rec", "u1", 12, "发错了", recalled=True)
    add(ws, "img", "u1", 13, None, msg_type="image")
    add(ws, "emo", "u1", 14, None, msg_type="emotion")
    add(ws, "c2u", "s_flag", 15, "在群二我是普通成员吗", cid="c2")
    res = classify_workspace(ws)
    assert res["full"] == 1 and res["classified"] == res["total"] == 17
    lab = labels(ws)
    assert lab["q1"][0] == "question"
    assert lab["a1"][:2] == ("answer", "reply_to_question")
    assert lab["a2"][:2] == ("staff", "staff:members")
    assert lab["r1"][0] == "filler"
    assert lab["r2"][0] == "chat"
    assert lab["sq"][:2] == ("staff", "staff:members")
    assert lab["r3"][0] == "chat"
    assert lab["st1"][:2] == ("staff", "staff:staff_table")
    assert lab["st2"][:2] == ("staff", "staff:staff_table")
    assert lab["n1"][:2] == ("staff", "staff:nickname")
    assert lab["k1"][0] == "share"
    assert lab["sys"][0] == "system" and lab["rec"][:2] == ("system", "recalled")
    assert lab["img"][0] == "share" and lab["emo"][0] == "filler"
    assert lab["c2u"][0] == "question"  # a staff spell in c1 does not make s_flag staff in c2
    row = ws.con.execute(
        f"SELECT is_effective, is_ugc, chars FROM {LABELS_TABLE} WHERE message_id = 'a1'"
    ).fetchone()
    assert row is not None and row[0] is True and row[1] is True and row[2] == 12
    assert ws.get_kv(RULES_KEY)  # the rules hash of the stored labels
    eff = dict(ws.con.execute(f"SELECT message_id, is_effective FROM {LABELS_TABLE}").fetchall())
    assert eff["st1"] is False and eff["r1"] is False and eff["r2"] is True and eff["sys"] is False


def test_settings_staff_ids(cws: Workspace) -> None:
    cws.settings.staff_ids = ["boss"]
    add(cws, "b1", "boss", 0, "大家加油")
    classify_workspace(cws)
    assert labels(cws)["b1"][:2] == ("staff", "staff:settings")


def test_flooding_and_coordination(cws: Workspace) -> None:
    ws = cws
    # same text 3x by one sender within 10 minutes → every copy is spam; punctuation around it ignored
    add(ws, "f1", "u1", 0, "大家快来看看")
    add(ws, "f2", "u1", 4, "大家快来看看！")
    add(ws, "f3", "u1", 9.5, "大家快来看看")
    add(ws, "f4", "u1", 30, "大家快来看看")  # 20 minutes later: alone
    # twice only: not flooding
    add(ws, "g1", "u2", 0, "有人在吗")
    add(ws, "g2", "u2", 3, "有人在吗")
    # coordinated: the same praise from 4 different senders within 30 minutes
    for i, s in enumerate(["p1", "p2", "p3", "p4"]):
        add(ws, f"co{i}", s, 40 + 5 * i, "这个产品真的太好用了，强烈推荐大家入手！")
    add(ws, "co_far", "p5", 300, "这个产品真的太好用了，强烈推荐大家入手")
    classify_workspace(ws)
    lab = labels(ws)
    assert [lab[m][0] for m in ("f1", "f2", "f3")] == ["spam"] * 3
    assert lab["f1"][1].startswith("flood")
    assert lab["f4"][0] == "chat"
    assert lab["g1"][0] == lab["g2"][0] == "question"
    assert all(lab[f"co{i}"][0] == "spam" and lab[f"co{i}"][1].startswith("coordinated") for i in range(4))
    assert lab["co_far"][0] == "share" or lab["co_far"][0] == "chat"
    assert lab["f1"][2] == "neutral"  # spam is neutral unless plainly negative


def test_no_text_messages(cws: Workspace) -> None:
    ws = cws
    add(ws, "x1", "u1", 0, None, cid="c2")
    add(ws, "x2", "u1", 1, None, cid="c2", extra=json.dumps({"chars": 45}))
    add(
        ws,
        "x3",
        "u1",
        2,
        None,
        cid="c2",
        extra=json.dumps(
            {
                "chars": 5,
                "text_cls": "question",
                "text_reason": "question_mark",
                "sentiment": "negative",
                "sentiment_score": -0.6,
            }
        ),
    )
    add(ws, "x4", "u1", 3, None, cid="c2", msg_type="voice")
    classify_workspace(ws)
    lab = labels(ws)
    assert lab["x1"][:2] == ("chat", "no_text")
    assert lab["x2"][0] == "share"
    assert lab["x3"][0] == "question" and lab["x3"][2] == "negative"
    assert lab["x4"][0] == "chat"
    chars = dict(ws.con.execute(f"SELECT message_id, chars FROM {LABELS_TABLE}").fetchall())
    assert chars["x2"] == 45 and chars["x1"] == 0


def test_no_text_summary_for_importers() -> None:
    from qunkpi.classify.engine import no_text_summary

    out = no_text_summary(["请问几点开始？", None])
    assert out[1] is None
    d = json.loads(out[0] or "{}")
    assert d["text_cls"] == "question" and d["chars"] == 6


def test_incremental_and_full_runs(cws: Workspace, tmp_path: Path) -> None:
    ws = cws
    add(ws, "m1", "u1", 0, "怎么报名")
    add(ws, "m2", "u2", 1, "在小程序里", reply_to="m1")
    calls: list[tuple[int, int]] = []
    r1 = classify_workspace(ws, progress=lambda d, t: calls.append((d, t)))
    assert r1["full"] == 1 and calls[-1] == (2, 2)
    assert labels_fresh(ws)
    r2 = classify_workspace(ws)
    assert r2["full"] == 0 and r2["classified"] == 0
    # a new message days later: only its neighbourhood is classified
    add(ws, "m3", "u1", 60 * 24 * 5, "收到")
    add(ws, "m4", "u2", 60 * 24 * 5 + 1, "好的", reply_to="m1")
    r3 = classify_workspace(ws)
    assert r3["full"] == 0 and r3["classified"] == 2
    assert labels(ws)["m3"][0] == "filler" and labels(ws)["m2"][0] == "answer"
    # content change (recall arrives later) is noticed through input_hash
    ws.con.execute("UPDATE messages SET recalled = true WHERE message_id = 'm3'")
    ws.messages_changed()
    assert not labels_fresh(ws)
    r4 = classify_workspace(ws)
    assert r4["classified"] >= 1 and labels(ws)["m3"][:2] == ("system", "recalled")
    # members changed: the importer sets labels_dirty → everything again, flag reset
    ws.con.execute("UPDATE members SET is_staff = true WHERE member_id = 'u2' AND community_id = 'c1'")
    ws.set_kv(DIRTY_KEY, "1")
    r5 = classify_workspace(ws)
    assert r5["full"] == 1 and ws.get_kv(DIRTY_KEY) == "0"
    assert labels(ws)["m2"][0] == "staff"
    # a lexicon change in the workspace changes rules_hash → reclassified, and counted as changed
    lexdir = ws.path / ws.settings.classification.lexicon_dir
    lexdir.mkdir(exist_ok=True)
    (lexdir / "question_cues.txt").write_text("-怎么\n", encoding="utf-8")
    r6 = classify_workspace(ws, compare=True)
    assert r6["classified"] == 4 and r6["changed"] >= 1
    assert labels(ws)["m1"][0] == "chat"
    # orphan labels disappear when their message does
    ws.con.execute("DELETE FROM messages WHERE message_id = 'm4'")
    ws.messages_changed()
    classify_workspace(ws)
    assert "m4" not in labels(ws)
    r7 = classify_workspace(ws, full=True)
    assert r7["full"] == 1 and r7["classified"] == 3


def test_ids_that_collide_under_duckdb_hash(cws: Workspace) -> None:
    """DuckDB's 64-bit hash() collides on ids like these; labels must still be one per message."""
    ws = cws
    add(ws, "m_soft09_00000001", "u1", 0, "请问几点开始")
    add(ws, "m_soft02_00000051", "u2", 1, "今天天气不错")
    add(ws, "m_soft02_00000001", "u2", 2, "八点", reply_to="m_soft09_00000001")
    add(ws, "m_soft09_00000051", "u1", 3, "是啊，挺适合出门的", reply_to="m_soft02_00000051")
    res = classify_workspace(ws)
    assert res["total"] == 4 == sum(v for k, v in res.items() if k.startswith("cls_"))
    lab = labels(ws)
    assert lab["m_soft02_00000001"][0] == "answer"
    assert lab["m_soft09_00000051"][0] == "chat"


def test_flooding_and_coordination_window_edges(cws: Workspace) -> None:
    """Windows by hand: inclusive at exactly W minutes, per sender and community, every copy of a burst only."""
    ws = cws
    for i, m in enumerate((0.0, 5.0, 10.0)):  # 3 copies in [0, 10] (inclusive) → all flooding
        add(ws, f"a{i}", "u1", m, "今天好热")
    add(ws, "a_c2", "u1", 2, "今天好热", cid="c2")  # another community: a group of its own (1 copy)
    for i, m in enumerate((0, 5, 10 + 1 / 60)):  # the third copy 10 min 1 s after the first: 2 per window
        add(ws, f"b{i}", "u2", m, "明天见面聊")
    for i, m in enumerate((0, 6, 12, 18)):  # a steady stream, never 3 within 10 minutes
        add(ws, f"c{i}", "kol", m, "冲冲冲一起冲")
    for i, m in enumerate((0, 20, 25, 29)):  # the burst is 20–29: the copy at 0 stays
        add(ws, f"d{i}", "u1", 100 + m, "天气不错出去走走")
    for i in range(3):  # staff repeating themselves: staff, not spam
        add(ws, f"s{i}", "s_flag", 200 + i, "天气不错出去走走")
    # coordination: p1, p2, p3 (p1 twice) within minutes — 3 senders; p4 at 31 min makes 4 within [1, 31]
    for i, (s, m) in enumerate((("p1", 0), ("p2", 1), ("p3", 2), ("p1", 3), ("p4", 31))):
        add(ws, f"k{i}", s, 300 + m, "这家店的服务态度真的很好")
    classify_workspace(ws)
    lab = labels(ws)
    assert [lab[f"a{i}"][:2] for i in range(3)] == [("spam", "flood:3x/10min")] * 3
    assert lab["a_c2"][0] != "spam"
    assert all(lab[f"b{i}"][0] != "spam" for i in range(3))
    assert all(lab[f"c{i}"][0] != "spam" for i in range(4))
    assert lab["d0"][0] != "spam" and [lab[f"d{i}"][0] for i in (1, 2, 3)] == ["spam"] * 3
    assert [lab[f"s{i}"][0] for i in range(3)] == ["staff"] * 3
    assert lab["k0"][0] != "spam"
    assert [lab[f"k{i}"][:2] for i in (1, 2, 3, 4)] == [("spam", "coordinated:4senders/30min")] * 4


def test_exact_text_join_gives_the_same_labels(cws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts join by their 64-bit hash only when it has no collision in scope; the string join is the fallback."""
    import qunkpi.classify.engine as engine

    ws = cws
    add(ws, "q1", "u1", 0, "请问这个怎么退款")
    add(ws, "a1", "u2", 1, "在订单页面点申请售后就行", reply_to="q1")
    add(ws, "n1", "u1", 2, None, cid="c2", extra=json.dumps({"chars": 45}))
    add(ws, "i1", "u2", 3, None, msg_type="image")
    for i, m in enumerate((4, 6, 8)):
        add(ws, f"f{i}", "u1", m, "大家快来看看")
    classify_workspace(ws, full=True)
    by_hash = labels(ws)
    monkeypatch.setattr(engine, "TEXT_HASH_UNIQUE_SQL", "SELECT false")  # as if two texts collided
    classify_workspace(ws, full=True)
    assert labels(ws) == by_hash
    assert by_hash["a1"][0] == "answer" and by_hash["n1"][0] == "share" and by_hash["i1"][0] == "share"
    assert by_hash["f0"][:2] == ("spam", "flood:3x/10min")

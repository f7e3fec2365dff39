"""Engagement and service items read from the real metric catalog, and the fairness guard against flooding.

Community c1 (owner s1 张伟, specialist; s2 李娜 manages the same team), October 2026, labels stored by hand:
  10-10 20:00 s1 posts a topic; 20:05–20:25 five effective member messages from a, b, c → 1 topic burst
  10-12 10:00 a asks a question; s1 answers 10:20 (20 min ≤ 30) → responded within 30 minutes
  10-13 10:00 b asks a question; s1 answers 11:00 (60 min) → not within 30 minutes
  → topic bursts 1 / (31/7 weeks) = 0.2258 per week; 30-minute response rate 1/2
Flood (added in the second test): 10-11 20:00 s1 posts, then 5 staff messages and 10 filler messages (收到, 好的)
from a..e within the hour: filler is not effective and staff never count, so no new burst.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qunkpi.appraisal import appraise_workspace
from qunkpi.workspace import Workspace

FILES = {
    "staff.csv": "staff_id,name,role,team\ns1,张伟,specialist,华东组\ns2,李娜,manager,华东组\n",
    "communities.csv": (
        "community_id,name,platform,purpose,created_at,owner_staff_id,stage,archive_consent\n"
        "c1,轻食打卡营,wecom_group,content,2026-01-01 00:00:00,s1,,true\n"
    ),
    "members.csv": "community_id,member_id,joined_at\n" + "".join(f"c1,{m},2026-09-01 00:00:00\n" for m in "abcde"),
}


class _Msgs:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.n = 0

    def add(self, sender: str, at: datetime, cls: str, text: str, reply_to: str | None = None) -> str:
        self.n += 1
        mid = f"msg{self.n}"
        effective = cls in ("question", "answer", "checkin", "share", "chat")
        self.ws.con.execute("INSERT INTO messages VALUES (?, 'c1', ?, ?, 'text', ?, ?, false, NULL)",
                            [mid, self.ws.person_id(sender), at, text, reply_to])
        self.ws.con.execute("INSERT INTO message_labels (message_id, cls, reason, sentiment, sentiment_score, chars, is_effective, is_ugc) "
                            "VALUES (?, ?, 'test', 'neutral', 0.0, ?, ?, ?)",
                            [mid, cls, len(text), effective, cls in ("question", "answer", "checkin", "share")])
        return mid


@pytest.fixture
def cws(ws: Workspace, tmp_path: Path) -> tuple[Workspace, _Msgs]:
    from qunkpi.importers.canonical import import_path

    src = tmp_path / "data"
    src.mkdir()
    for name, text in FILES.items():
        (src / name).write_text(text, encoding="utf-8")
    import_path(ws, src)
    m = _Msgs(ws)
    t = datetime(2026, 10, 10, 20, 0)
    m.add("s1", t, "staff", "今晚聊聊减脂餐怎么搭配")
    for i, who in enumerate("abcab"):
        m.add(who, t + timedelta(minutes=5 * (i + 1)), "chat" if i % 2 else "share", f"我的做法是第{i}种，鸡胸肉配西兰花")
    q1 = m.add("a", datetime(2026, 10, 12, 10, 0), "question", "燕麦晚上吃会胖吗？")
    m.add("s1", datetime(2026, 10, 12, 10, 20), "staff", "不会，控制好量就行")
    q2 = m.add("b", datetime(2026, 10, 13, 10, 0), "question", "有没有推荐的代餐？")
    m.add("s1", datetime(2026, 10, 13, 11, 0), "staff", "可以看看群公告里的清单")
    assert q1 and q2
    return ws, m


def _zhang(ws: Workspace) -> dict[str, object]:
    r = next(x for x in appraise_workspace(ws, "2026-10") if x.name == "张伟")
    return {it.id: it for it in r.items}


def test_bursts_and_response_from_the_catalog(cws: tuple[Workspace, _Msgs]) -> None:
    ws, _ = cws
    by = _zhang(ws)
    bursts, resp = by["topic_bursts"], by["response_30m"]
    assert bursts.value == pytest.approx(1 / (31 / 7))  # type: ignore[attr-defined]
    assert bursts.points == 0  # type: ignore[attr-defined]  # 0.2258 / 2 = 0.11 is below every tier
    assert resp.value == pytest.approx(0.5)  # type: ignore[attr-defined]
    assert resp.points == pytest.approx(10 * 0.5 / 0.95)  # type: ignore[attr-defined]
    # the manager's KOC count: nobody has 4 days with an effective message → 0 KOCs, a measured 0
    li = next(x for x in appraise_workspace(ws, "2026-10") if x.name == "李娜")
    koc = next(it for it in li.items if it.id == "koc")
    assert koc.value == 0 and koc.points == 0


def test_filler_and_staff_flooding_do_not_raise_engagement(cws: tuple[Workspace, _Msgs]) -> None:
    ws, m = cws
    before = _zhang(ws)["topic_bursts"].value  # type: ignore[attr-defined]
    t = datetime(2026, 10, 11, 20, 0)
    m.add("s1", t, "staff", "今天的打卡话题来啦大家冲")
    for i in range(5):
        m.add("s1", t + timedelta(minutes=2 * i + 1), "staff", f"快来回复{i}")
    for i, who in enumerate("abcdeabcde"):
        m.add(who, t + timedelta(minutes=3 * i + 2), "filler", "收到" if i % 2 else "好的")
    after = _zhang(ws)["topic_bursts"].value  # type: ignore[attr-defined]
    assert before == after == pytest.approx(1 / (31 / 7))

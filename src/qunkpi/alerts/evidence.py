"""Evidence queries: the rows behind an alert (SPEC §6 "the rows behind them").

Each query is registered by name (rules refer to it with ``evidence: [name]``), reads the stored tables of one
community (or account) for one period, and returns at most ``limit`` rows plus the total count. Member ids are the
stored pseudonyms and message text is shown as stored (already PII-redacted at import).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from qunkpi.alerts.model import Evidence, Rule
from qunkpi.engine.periods import Period
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

Query = Callable[["Workspace", str, Period, Rule, float, int], Evidence]
EVIDENCE: dict[str, Query] = {}


def evidence(name: str) -> Callable[[Query], Query]:
    def deco(fn: Query) -> Query:
        EVIDENCE[name] = fn
        return fn

    return deco


def _staff_cte(ws: Workspace) -> tuple[str, list[Any]]:
    """People who are staff in a community (SPEC §3): a staff spell there, or listed in the staff table / settings."""
    extra = [ws.person_id(s) for s in ws.settings.staff_ids]
    sql = (
        "staff_people AS (SELECT community_id, member_id AS pid FROM members WHERE coalesce(is_staff, false) OR role = 'staff' "
        "UNION SELECT c.community_id, s.staff_id FROM communities c CROSS JOIN staff s"
    )
    params: list[Any] = []
    if extra:
        sql += " UNION SELECT c.community_id, x.pid FROM communities c CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS pid) x"
        params.append(extra)
    return sql + ")", params


def _run(ws: Workspace, name: str, title: str, sql: str, params: list[Any], limit: int) -> Evidence:
    cur = ws.con.execute(f"SELECT *, count(*) OVER () AS __total FROM ({sql}) q LIMIT {int(limit)}", params)
    cols = [d[0] for d in cur.description]
    rows = cur.fetchall()
    total = int(rows[0][-1]) if rows else 0
    return Evidence(name, title, cols[:-1], [list(r[:-1]) for r in rows], total)


@evidence("leavers")
def leavers(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    cte, params = _staff_cte(ws)
    sql = f"""WITH {cte}
        SELECT m.member_id, m.joined_at, m.left_at, m.source_channel FROM members m
        WHERE m.community_id = ? AND m.left_at >= ? AND m.left_at < ?
          AND NOT EXISTS (SELECT 1 FROM staff_people s WHERE s.community_id = m.community_id AND s.pid = m.member_id)
        ORDER BY m.left_at"""
    start = p.start
    if rule.persistence is not None:  # the weeks the rule looked at
        start = min(p.start, p.end - timedelta(days=7 * rule.persistence.count))
    return _run(ws, "leavers", tr("退群成员", "members who left"), sql, [*params, cid, start, p.end], limit)


@evidence("silent_members")
def silent_members(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    n = int(ws.settings.metrics.silent_days)
    cte, params = _staff_cte(ws)
    since = p.end - timedelta(days=n)
    sql = f"""WITH {cte}
        SELECT m.member_id, max(m.joined_at) AS joined_at, m.source_channel,
               (SELECT max(x.sent_at) FROM messages x WHERE x.community_id = m.community_id AND x.sender_id = m.member_id
                  AND NOT coalesce(x.recalled, false) AND x.msg_type <> 'system' AND x.sent_at < ?) AS last_message_at
        FROM members m
        WHERE m.community_id = ? AND m.joined_at <= ? AND (m.left_at IS NULL OR m.left_at > ?)
          AND m.joined_at <= ?
          AND NOT EXISTS (SELECT 1 FROM staff_people s WHERE s.community_id = m.community_id AND s.pid = m.member_id)
          AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.community_id = m.community_id AND x.sender_id = m.member_id
                AND NOT coalesce(x.recalled, false) AND x.msg_type <> 'system' AND x.sent_at >= ? AND x.sent_at < ?)
          AND NOT EXISTS (SELECT 1 FROM activity_participants ap JOIN activities a USING (activity_id)
                WHERE a.community_id = m.community_id AND ap.member_id = m.member_id
                  AND ap.participated_at >= ? AND ap.participated_at < ?)
        GROUP BY m.member_id, m.source_channel, m.community_id
        ORDER BY last_message_at NULLS FIRST, m.member_id"""
    args = [*params, p.end, cid, p.end, p.end, p.end - timedelta(days=n), since, p.end, since, p.end]
    return _run(ws, "silent_members", tr(f"沉默成员（{n} 天无发言、无活动）：可定向唤醒", f"silent members (no message or activity for {n} days): wake-up list"),
                sql, args, limit)


def _member_messages(cte: str) -> str:
    return f"""WITH {cte}, mm AS (
        SELECT x.*, l.cls, l.sentiment, l.sentiment_score, l.is_effective FROM messages x
        LEFT JOIN message_labels l ON l.message_id = x.message_id
        WHERE x.community_id = ? AND x.sent_at >= ? AND x.sent_at < ?
          AND NOT coalesce(x.recalled, false) AND x.msg_type <> 'system'
          AND NOT EXISTS (SELECT 1 FROM staff_people s WHERE s.community_id = x.community_id AND s.pid = x.sender_id))"""


@evidence("negative_messages")
def negative_messages(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    cte, params = _staff_cte(ws)
    sql = _member_messages(cte) + """
        SELECT message_id, sender_id, sent_at, text, cls, sentiment_score FROM mm WHERE sentiment = 'negative'
        ORDER BY sent_at"""
    return _run(ws, "negative_messages", tr("负面消息（文本为脱敏后存储的内容）", "negative messages (text as stored, PII-redacted)"),
                sql, [*params, cid, p.start, p.end], limit)


@evidence("filler_only_members")
def filler_only_members(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    cte, params = _staff_cte(ws)
    sql = _member_messages(cte) + """
        SELECT sender_id, count(*) AS messages, any_value(text) AS sample_text FROM mm
        GROUP BY sender_id HAVING NOT bool_or(coalesce(is_effective, false))
        ORDER BY messages DESC, sender_id"""
    return _run(ws, "filler_only_members", tr("只发无效消息的活跃成员", "active members who sent only filler"),
                sql, [*params, cid, p.start, p.end], limit)


@evidence("filler_senders")
def filler_senders(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    sql = """SELECT x.sender_id, count(*) AS filler_or_spam, any_value(x.text) AS sample_text FROM messages x
        JOIN message_labels l ON l.message_id = x.message_id
        WHERE x.community_id = ? AND x.sent_at >= ? AND x.sent_at < ? AND NOT coalesce(x.recalled, false)
          AND x.msg_type <> 'system' AND l.cls IN ('filler', 'spam', 'staff') AND NOT coalesce(l.is_effective, false)
        GROUP BY x.sender_id ORDER BY filler_or_spam DESC, x.sender_id"""
    return _run(ws, "filler_senders", tr("无效/员工消息最多的发送者", "senders of the most non-effective messages"),
                sql, [cid, p.start, p.end], limit)


@evidence("staff_senders")
def staff_senders(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    cte, params = _staff_cte(ws)
    sql = f"""WITH {cte}, msgs AS (
            SELECT x.sender_id, EXISTS (SELECT 1 FROM staff_people s WHERE s.community_id = x.community_id AND s.pid = x.sender_id) AS staff
            FROM messages x WHERE x.community_id = ? AND x.sent_at >= ? AND x.sent_at < ?
              AND NOT coalesce(x.recalled, false) AND x.msg_type <> 'system')
        SELECT sender_id, count(*) AS messages, round(count(*) / (SELECT count(*) FROM msgs), 4) AS share_of_all
        FROM msgs WHERE staff GROUP BY sender_id ORDER BY messages DESC, sender_id"""
    return _run(ws, "staff_senders", tr("员工发送者与消息数", "staff senders and their messages"), sql, [*params, cid, p.start, p.end], limit)


@evidence("low_activities")
def low_activities(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    cte, params = _staff_cte(ws)
    sql = f"""WITH {cte}, part AS (
            SELECT ap.activity_id, count(DISTINCT ap.member_id) AS n FROM activity_participants ap
            JOIN activities a ON a.activity_id = ap.activity_id
            WHERE NOT EXISTS (SELECT 1 FROM staff_people s WHERE s.community_id = a.community_id AND s.pid = ap.member_id)
            GROUP BY ap.activity_id)
        SELECT a.activity_id, a.name, a.kind, a.start_at, a.notified_count, coalesce(part.n, 0) AS participants,
               round(coalesce(part.n, 0) / nullif(a.notified_count, 0), 4) AS participation
        FROM activities a LEFT JOIN part ON part.activity_id = a.activity_id
        WHERE a.community_id = ? AND a.start_at >= ? AND a.start_at < ?
        ORDER BY participation NULLS FIRST, a.start_at"""
    return _run(ws, "low_activities", tr("本期活动的参与率（低的在前）", "activities of the period by participation (lowest first)"),
                sql, [*params, cid, p.start, p.end], limit)


@evidence("low_open_posts")
def low_open_posts(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    sql = """SELECT post_id, title, published_at, delivered, read_users, round(read_users / delivered, 4) AS open_rate
        FROM posts WHERE account_id = ? AND published_at >= ? AND published_at < ? AND delivered > 0
          AND read_users / delivered < ? ORDER BY open_rate, published_at"""
    return _run(ws, "low_open_posts", tr("打开率低于阈值的作品", "posts with an open rate below the threshold"),
                sql, [cid, p.start, p.end, threshold], limit)


@evidence("quality_posts")
def quality_posts(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    sql = """SELECT post_id, title, published_at, read_users, reads_from_share,
               round(reads_from_share / read_users, 4) AS secondary_share
        FROM posts WHERE account_id = ? AND published_at >= ? AND published_at < ? AND read_users > 0
          AND reads_from_share / read_users > ? ORDER BY secondary_share DESC, published_at"""
    return _run(ws, "quality_posts", tr("二次传播占比高的优质内容", "quality posts by secondary-read share"),
                sql, [cid, p.start, p.end, threshold], limit)


@evidence("low_csat")
def low_csat(ws: Workspace, cid: str, p: Period, rule: Rule, threshold: float, limit: int) -> Evidence:
    cte, params = _staff_cte(ws)
    sql = f"""WITH {cte}
        SELECT v.response_id, v.member_id, v.score, v.answered_at, v.comment FROM surveys v
        WHERE v.community_id = ? AND v.kind = 'csat' AND v.score < 4 AND v.answered_at >= ? AND v.answered_at < ?
          AND NOT EXISTS (SELECT 1 FROM staff_people s WHERE s.community_id = v.community_id AND s.pid = v.member_id)
        ORDER BY v.score, v.answered_at"""
    return _run(ws, "low_csat", tr("不满意的满意度回答（1–3 分）", "dissatisfied csat answers (scores 1–3)"),
                sql, [*params, cid, p.start, p.end], limit)

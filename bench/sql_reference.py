"""Hand-written DuckDB SQL for three representative metrics: the near-limit reference for the engine.

engaged_rate, silent_ratio (N = 14) and response_30m_rate per community and month, in one query each, straight
on the workspace tables (same conventions as the catalog: staff excluded, recalled/system messages ignored).
"""

from __future__ import annotations

from typing import Any

PERIODS_CTE = """periods AS (
  SELECT strftime(m, '%Y-%m') AS period, m AS p_start, m + INTERVAL 1 MONTH AS p_end
  FROM (SELECT unnest(?::TIMESTAMP[]) AS m))"""

STAFF_CTE = """staff AS (
  SELECT community_id, member_id AS pid FROM members WHERE is_staff OR role = 'staff'
  UNION SELECT c.community_id, s.staff_id FROM communities c, staff s)"""

ENGAGED_RATE = f"""
WITH {PERIODS_CTE}, {STAFF_CTE},
msg AS (SELECT m.community_id, m.sender_id, m.sent_at, l.is_effective FROM messages m
        JOIN message_labels l USING (message_id)
        WHERE NOT m.recalled AND m.msg_type <> 'system'
          AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.community_id = m.community_id AND s.pid = m.sender_id)),
eng AS (SELECT community_id, period, count(DISTINCT sender_id) AS n FROM msg JOIN periods ON sent_at >= p_start AND sent_at < p_end
        WHERE is_effective GROUP BY ALL),
pres AS (SELECT community_id, period, count(DISTINCT member_id) AS n FROM members mb JOIN periods
           ON mb.joined_at < p_end AND coalesce(mb.left_at, TIMESTAMP '2999-01-01') > p_start
         WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.community_id = mb.community_id AND s.pid = mb.member_id) GROUP BY ALL)
SELECT pres.community_id, pres.period, coalesce(eng.n, 0) / pres.n AS value
FROM pres LEFT JOIN eng USING (community_id, period)
"""

SILENT_RATIO = f"""
WITH {PERIODS_CTE}, {STAFF_CTE},
base AS (SELECT DISTINCT mb.community_id, period, mb.member_id, p_end FROM members mb JOIN periods
           ON mb.joined_at <= p_end - INTERVAL 14 DAY AND coalesce(mb.left_at, TIMESTAMP '2999-01-01') > p_end
         WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.community_id = mb.community_id AND s.pid = mb.member_id)),
spoke AS (SELECT DISTINCT b.community_id, b.period, b.member_id FROM base b JOIN messages m
            ON m.community_id = b.community_id AND m.sender_id = b.member_id
           AND m.sent_at >= b.p_end - INTERVAL 14 DAY AND m.sent_at < b.p_end
          WHERE NOT m.recalled AND m.msg_type <> 'system'
          UNION
          SELECT DISTINCT b.community_id, b.period, b.member_id FROM base b JOIN activity_participants ap ON ap.member_id = b.member_id
          JOIN activities a ON a.activity_id = ap.activity_id AND a.community_id = b.community_id
          WHERE ap.participated_at >= b.p_end - INTERVAL 14 DAY AND ap.participated_at < b.p_end)
SELECT b.community_id, b.period, 1 - count(s.member_id) / count(*) AS value
FROM base b LEFT JOIN spoke s USING (community_id, period, member_id) GROUP BY ALL
"""

RESPONSE_30M = f"""
WITH {PERIODS_CTE}, {STAFF_CTE},
m AS (SELECT m.community_id, m.message_id, m.sent_at, m.reply_to, l.cls,
             EXISTS (SELECT 1 FROM staff s WHERE s.community_id = m.community_id AND s.pid = m.sender_id) AS by_staff
      FROM messages m JOIN message_labels l USING (message_id) WHERE NOT m.recalled AND m.msg_type <> 'system'),
q AS (SELECT community_id, message_id, sent_at FROM m WHERE cls = 'question' AND NOT by_staff),
-- the next staff message replying to nothing, strictly after the question: one ordered scan per community
stream AS (SELECT community_id, message_id, sent_at AS ts, 1 AS kind, NULL::TIMESTAMP AS s_ts FROM q
           UNION ALL
           SELECT community_id, NULL, sent_at, 0, sent_at FROM m WHERE by_staff AND reply_to IS NULL),
nxt AS (SELECT message_id, min(s_ts) OVER (PARTITION BY community_id ORDER BY ts, kind
                                            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS free_at
        FROM stream QUALIFY kind = 1),
direct AS (SELECT s.reply_to AS message_id, min(s.sent_at) AS direct_at FROM m s JOIN q ON q.message_id = s.reply_to
           WHERE s.by_staff AND s.sent_at > q.sent_at GROUP BY ALL),
horizon AS (SELECT greatest((SELECT max(joined_at) FROM members), (SELECT max(left_at) FROM members),
                            (SELECT max(sent_at) FROM messages), (SELECT max(paid_at) FROM orders),
                            (SELECT max(published_at) FROM posts)) AS as_of),
r AS (SELECT q.community_id, q.sent_at, least(free_at, direct_at) - q.sent_at <= INTERVAL 30 MINUTE AS ok
      FROM q JOIN nxt USING (message_id) LEFT JOIN direct USING (message_id))
-- a question unanswered at the as-of time and asked less than 30 minutes before it is pending: left out
SELECT community_id, period, avg(CASE WHEN coalesce(ok, false) THEN 1.0 ELSE 0.0 END) AS value
FROM r, horizon JOIN periods ON sent_at >= p_start AND sent_at < p_end
WHERE coalesce(ok, false) OR as_of - sent_at >= INTERVAL 30 MINUTE GROUP BY ALL
"""

QUERIES = {"engaged_rate": ENGAGED_RATE, "silent_ratio": SILENT_RATIO, "response_30m_rate": RESPONSE_30M}


def _swap(sql: str, old: str, new: str) -> str:
    assert old in sql, old
    return sql.replace(old, new)


# The same three queries over ``message_facts`` (the engine's stored countable messages, with the staff flag and
# the labels): what a hand-writer would read once the workspace has it. Only the message part differs.
FACTS_QUERIES = {
    "engaged_rate": _swap(
        ENGAGED_RATE,
        """msg AS (SELECT m.community_id, m.sender_id, m.sent_at, l.is_effective FROM messages m
        JOIN message_labels l USING (message_id)
        WHERE NOT m.recalled AND m.msg_type <> 'system'
          AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.community_id = m.community_id AND s.pid = m.sender_id)),""",
        """msg AS (SELECT community_id, sender_id, sent_at, is_effective FROM message_facts WHERE NOT is_staff_person),""",
    ),
    "silent_ratio": _swap(
        SILENT_RATIO,
        """FROM base b JOIN messages m
            ON m.community_id = b.community_id AND m.sender_id = b.member_id
           AND m.sent_at >= b.p_end - INTERVAL 14 DAY AND m.sent_at < b.p_end
          WHERE NOT m.recalled AND m.msg_type <> 'system'""",
        """FROM base b JOIN message_facts m
            ON m.community_id = b.community_id AND m.sender_id = b.member_id
           AND m.sent_at >= b.p_end - INTERVAL 14 DAY AND m.sent_at < b.p_end""",
    ),
    "response_30m_rate": _swap(
        RESPONSE_30M,
        """m AS (SELECT m.community_id, m.message_id, m.sent_at, m.reply_to, l.cls,
             EXISTS (SELECT 1 FROM staff s WHERE s.community_id = m.community_id AND s.pid = m.sender_id) AS by_staff
      FROM messages m JOIN message_labels l USING (message_id) WHERE NOT m.recalled AND m.msg_type <> 'system'),""",
        """m AS (SELECT community_id, message_id, sent_at, reply_to, cls, is_staff_person AS by_staff FROM message_facts),""",
    ),
}


def run(con: Any, months: list[str], facts: bool = False) -> dict[str, list[tuple[str, str, float | None]]]:
    """The three metrics per community and month; ``facts``: the queries over ``message_facts``."""
    starts = [f"{m}-01 00:00:00" for m in months]
    queries = FACTS_QUERIES if facts else QUERIES
    return {k: [tuple(r) for r in con.execute(q, [starts]).fetchall()] for k, q in queries.items()}

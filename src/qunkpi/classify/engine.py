"""Bulk classification inside DuckDB: the stored table ``message_labels``.

``classify_workspace(ws)`` labels every message once and stores the result, so that metrics never
recompute it. Everything runs as set-based SQL (RE2 regexes, joins, window functions); the only
Python step is the numpy sentiment model over the distinct texts that need it.

Pipeline per batch of communities:

1. ``_qk_m`` — the messages in scope, with ``tid = md5_number(text, msg_type)``.
2. Text level (:mod:`qunkpi.classify.rules`) on each distinct ``tid`` once per run.
3. Context: staff (SPEC §3: a staff spell in that community, the ``staff`` table, or
   ``settings.staff_ids``; members whose nickname in ``members.extra`` matches ``staff_names``),
   flooding (the same text ≥ ``flood_repeats`` times by one sender within
   ``flood_window_minutes``, every copy in the burst), coordinated posting (the same substance of
   ≥ ``coord_min_chars`` characters from ≥ ``coord_senders`` distinct non-staff senders within
   ``coord_window_minutes``), answers (a reply to a message that is a member question).
4. Insert into ``message_labels``.

Incremental by default: only messages with no label, a different ``rules_hash`` (lexicons,
settings, model) or changed content (``input_hash``) are relabelled, together with the rest of
their community-days ±1 (flooding and coordination windows may change) and the replies to them;
windows see ±2 days of context. When the importer sets kv ``labels_dirty`` = '1' (members,
staff or communities changed) everything is relabelled and the flag reset; ``full=True`` forces it.

Messages without text (communities without archive consent): the class comes from ``msg_type``;
``extra`` JSON keys are used when the importer left them: ``chars`` (characters of substance,
then ≥ ``share_min_chars`` → share), ``text_cls``/``text_reason``/``sentiment``/``sentiment_score``
(a text-level label computed before the text was dropped, see :func:`no_text_summary`). Otherwise a
member's text message with unknown text is ``chat`` (reason ``no_text``), sentiment neutral.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from qunkpi.classify.lexicons import load_lexicons, workspace_lexicon_dir
from qunkpi.classify.rules import EFFECTIVE, UGC, RuleParams, Rules, label_text_table, sql_str

LABELS_TABLE = "message_labels"
LABEL_COLUMNS = (
    "message_id VARCHAR, community_id VARCHAR, cls VARCHAR, reason VARCHAR, sentiment VARCHAR, "
    "sentiment_score DOUBLE, chars INTEGER, is_effective BOOLEAN, is_ugc BOOLEAN, rules_hash VARCHAR, "
    "input_hash UBIGINT"
)
# The same columns with their compression chosen up front: DuckDB's per-segment analysis of the best
# method (FSST for unique ids, ALP for doubles) costs more than the write itself; the result is as small.
LABEL_COLUMNS_COMPRESSED = (
    "message_id VARCHAR USING COMPRESSION 'fsst', community_id VARCHAR USING COMPRESSION 'dictionary', "
    "cls VARCHAR USING COMPRESSION 'dictionary', reason VARCHAR USING COMPRESSION 'dictionary', "
    "sentiment VARCHAR USING COMPRESSION 'dictionary', sentiment_score DOUBLE USING COMPRESSION 'alp', "
    "chars INTEGER, is_effective BOOLEAN, is_ugc BOOLEAN, rules_hash VARCHAR USING COMPRESSION 'dictionary', "
    "input_hash UBIGINT"
)
DIRTY_KEY = "labels_dirty"
# must equal the input_hash computed in _prepare_sql (same arguments, same order)
INPUT_HASH = (
    "hash(md5_number(coalesce(m.msg_type, '') || chr(31) || coalesce(m.text, chr(0))), m.community_id, m.sender_id, m.sent_at, m.reply_to, "
    "coalesce(m.recalled, false), CASE WHEN m.text IS NULL THEN m.extra END)"
)
NICKNAME_KEYS = ("group_nickname", "nickname", "NickName", "name", "群昵称", "昵称", "sender_name")
INCREMENTAL_MAX_SHARE = 0.5  # above this share of stale messages, relabel everything


def workspace_rules(ws: Any) -> Rules:
    lex = load_lexicons(workspace_lexicon_dir(ws))
    return Rules(lex, RuleParams.from_settings(ws.settings))


def _rules_hash(ws: Any, rules: Rules) -> str:
    h = hashlib.sha256(rules.digest.encode())
    h.update(json.dumps(sorted(ws.settings.staff_ids)).encode())
    return h.hexdigest()[:16]


def ensure_labels_table(con: duckdb.DuckDBPyConnection) -> None:
    cols = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main'",
        [LABELS_TABLE],
    ).fetchall()
    names = {c[0] for c in cols}
    if names and "input_hash" not in names:
        con.execute(f"DROP TABLE {LABELS_TABLE}")
    if not names or "input_hash" not in names:
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS {LABELS_TABLE} ({LABEL_COLUMNS_COMPRESSED})")
        except duckdb.Error:  # an engine without per-column compression
            con.execute(f"CREATE TABLE IF NOT EXISTS {LABELS_TABLE} ({LABEL_COLUMNS})")


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _build_staff(con: duckdb.DuckDBPyConnection, ws: Any, rules: Rules) -> None:
    staff_ids = [ws.person_id(str(x)) for x in ws.settings.staff_ids]
    names = "(?i)" + rules.lex.pattern("staff_names")
    nick = (
        "coalesce("
        + ", ".join(f"json_extract_string(extra, {sql_str('$.' + k)})" for k in NICKNAME_KEYS)
        + ")"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _qk_staff_pair AS
        SELECT community_id, member_id, min(why) AS why FROM (
          SELECT community_id, member_id, 'members' AS why FROM members WHERE coalesce(is_staff, false) OR role = 'staff'
          UNION ALL
          SELECT community_id, member_id, 'nickname' AS why FROM members
          WHERE extra IS NOT NULL AND json_valid(extra) AND regexp_matches(coalesce({nick}, ''), {sql_str(names)})
        ) GROUP BY ALL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _qk_staff_global AS
        SELECT sender_id, min(why) AS why FROM (
          SELECT staff_id AS sender_id, 'staff_table' AS why FROM staff
          UNION ALL SELECT unnest(?::VARCHAR[]) AS sender_id, 'settings' AS why
        ) WHERE sender_id IS NOT NULL GROUP BY ALL""",
        [staff_ids],
    )


def _community_batches(
    con: duckdb.DuckDBPyConnection, total: int, max_rows: int = 12_000_000
) -> list[list[str]]:
    """Communities grouped so that one batch holds at most ``max_rows`` messages (one batch below that).

    Every batch scans the messages table once per step, so fewer batches are faster; batching only
    bounds the memory of the temporary tables for very large workspaces.
    """
    rows = con.execute("SELECT community_id, count(*) FROM messages GROUP BY 1 ORDER BY 1").fetchall()
    n_batches = max(1, -(-total // max_rows))
    target = -(-total // n_batches)
    batches: list[list[str]] = []
    cur: list[str] = []
    size = 0
    for cid, n in rows:
        cur.append(cid)
        size += int(n)
        if size >= target:
            batches.append(cur)
            cur, size = [], 0
    if cur:
        batches.append(cur)
    return batches


def _scope_view(con: duckdb.DuckDBPyConnection, join: str, extra_ids: str | None = None) -> None:
    """(Re)define the view ``_qk_scope``: the messages to look at, with a ``write`` flag."""
    base = f"SELECT m.*, s.write FROM messages m {join}"
    if extra_ids:
        base += f" UNION ALL SELECT m.*, true AS write FROM messages m JOIN {extra_ids} x USING (message_id)"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _qk_scope AS {base}")


_X = "CASE WHEN m.extra IS NOT NULL AND json_valid(m.extra) THEN json_extract_string(m.extra, '$.{k}') END"
TL_COLUMNS = "tid, cls_t, reason_t, chars, lex, ckey, tk, score, sentiment"


def _prepare_sql() -> list[str]:
    """One narrow pass over the messages in scope (integer keys, staff, input hash), then the text counts.

    Texts are keyed by a 128-bit MD5 (DuckDB's 64-bit ``hash`` collides far too often on ids); ids join as strings.
    """
    return [
        """CREATE OR REPLACE TEMP TABLE _qk_m AS
        SELECT m.message_id, m.community_id, m.sender_id, m.sent_at, m.msg_type, m.reply_to, m.recalled, m.write, m.tid,
               coalesce(sp.why, sg.why) AS staff_why,
               hash(m.tid, m.community_id, m.sender_id, m.sent_at, m.reply_to, m.recalled, m.extra) AS input_hash, m.extra
        FROM (SELECT message_id, community_id, sender_id, sent_at, msg_type, reply_to,
                     coalesce(recalled, false) AS recalled, write, md5_number(coalesce(msg_type, '') || chr(31) || coalesce(text, chr(0))) AS tid,
                     CASE WHEN text IS NULL THEN extra END AS extra
              FROM _qk_scope) m
        LEFT JOIN _qk_staff_pair sp ON sp.community_id = m.community_id AND sp.member_id = m.sender_id
        LEFT JOIN _qk_staff_global sg ON sg.sender_id = m.sender_id""",
        "CREATE OR REPLACE TEMP TABLE _qk_cnt AS SELECT tid, count(*) AS n FROM _qk_m GROUP BY tid",
    ]


def _label_texts(con: duckdb.DuckDBPyConnection, rules: Rules) -> int:
    """Text-level labels for the distinct (text, msg_type) in scope not labelled earlier in this run."""
    new = _count(
        con,
        "SELECT count(*) FROM _qk_cnt c WHERE NOT EXISTS (SELECT 1 FROM _qk_tl_all t WHERE t.tid = c.tid)",
    )
    if not new:
        return 0
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _qk_src AS
        SELECT tid, any_value(text) AS text, any_value(msg_type) AS msg_type
        FROM (SELECT md5_number(coalesce(msg_type, '') || chr(31) || coalesce(text, chr(0))) AS tid, text, msg_type FROM _qk_scope) m
        WHERE tid IN (SELECT tid FROM _qk_cnt c WHERE NOT EXISTS (SELECT 1 FROM _qk_tl_all t WHERE t.tid = c.tid))
        GROUP BY tid"""
    )
    scored = label_text_table(con, rules, "_qk_src", "_qk_tl_new")
    con.execute(f"INSERT INTO _qk_tl_all SELECT {TL_COLUMNS} FROM _qk_tl_new")
    con.execute("DROP TABLE IF EXISTS _qk_tl_new")
    return scored


def _context_sql(rules: Rules, rules_hash: str, use_old: bool) -> list[str]:
    p = rules.params
    eff = ", ".join(sql_str(c) for c in EFFECTIVE)
    ugc = ", ".join(sql_str(c) for c in UGC)
    fr, fw = int(p.flood_repeats), int(p.flood_window_minutes)
    cs, cwin = int(p.coord_senders), int(p.coord_window_minutes)
    smin = int(p.share_min_chars)
    old_join = "LEFT JOIN _qk_oldq oq ON oq.message_id = m.reply_to" if use_old else ""
    old_q = "OR oq.message_id IS NOT NULL" if use_old else ""
    x = _X
    return [
        # flooding: the same text (ignoring surrounding spaces and ! 。 . ~ …) ≥ R times by one sender
        # within W minutes — every copy in the burst. Only texts seen ≥ R times in scope are candidates.
        f"""CREATE OR REPLACE TEMP TABLE _qk_fcand AS
        WITH t AS (SELECT t.tid, t.tk, c.n FROM _qk_tl_all t JOIN _qk_cnt c USING (tid) WHERE t.tk IS NOT NULL)
        SELECT tid, tk FROM t WHERE tk IN (SELECT tk FROM t GROUP BY tk HAVING sum(n) >= {fr})""",
        f"""CREATE OR REPLACE TEMP TABLE _qk_flood AS
        WITH r AS (
          SELECT m.message_id, m.community_id, m.sender_id, c.tk, m.sent_at, hash(m.community_id, m.sender_id, c.tk) AS h,
                 CAST(epoch(m.sent_at) // {fw * 60} AS BIGINT) AS b
          FROM _qk_m m JOIN _qk_fcand c ON c.tid = m.tid WHERE NOT m.recalled),
        -- cheap prefilter (a superset): R copies within W minutes lie in two consecutive W-minute buckets
        -- of the same 64-bit hash key; the exact groups are then windowed below
        gb AS (SELECT h, b, count(*) AS n FROM r GROUP BY ALL),
        gq AS (SELECT g.h, g.b FROM gb g LEFT JOIN gb g2 ON g2.h = g.h AND g2.b = g.b + 1 WHERE g.n + coalesce(g2.n, 0) >= {fr}),
        r2 AS (SELECT r.* FROM r SEMI JOIN (SELECT h, b FROM gq UNION SELECT h, b + 1 FROM gq) q USING (h, b)),
        fwd AS (
          SELECT r2.*, count(*) OVER (PARTITION BY community_id, sender_id, tk ORDER BY sent_at
            RANGE BETWEEN CURRENT ROW AND INTERVAL {fw} MINUTE FOLLOWING) AS n_fwd
          FROM r2)
        SELECT message_id FROM (
          SELECT message_id, max(CASE WHEN n_fwd >= {fr} THEN 1 ELSE 0 END) OVER (
            PARTITION BY community_id, sender_id, tk ORDER BY sent_at
            RANGE BETWEEN INTERVAL {fw} MINUTE PRECEDING AND CURRENT ROW) AS fl FROM fwd)
        WHERE fl = 1""",
        # coordinated posting: the same substance from ≥ S distinct non-staff senders within W minutes
        f"""CREATE OR REPLACE TEMP TABLE _qk_ccand AS
        WITH t AS (SELECT t.tid, t.ckey, c.n FROM _qk_tl_all t JOIN _qk_cnt c USING (tid) WHERE t.ckey IS NOT NULL)
        SELECT tid, ckey FROM t WHERE ckey IN (SELECT ckey FROM t GROUP BY ckey HAVING sum(n) >= {cs})""",
        f"""CREATE OR REPLACE TEMP TABLE _qk_coord AS
        WITH r AS (
          SELECT m.message_id, m.sender_id, m.community_id, c.ckey, m.sent_at, hash(m.community_id, c.ckey) AS h,
                 CAST(epoch(m.sent_at) // {cwin * 60} AS BIGINT) AS b
          FROM _qk_m m JOIN _qk_ccand c ON c.tid = m.tid
          WHERE m.staff_why IS NULL AND NOT m.recalled),
        -- prefilter (a superset): ≥ S messages of the same hash key in two consecutive W-minute buckets;
        -- then ≥ S distinct senders exactly, then the windows
        gb AS (SELECT h, b, count(*) AS n FROM r GROUP BY ALL),
        gq AS (SELECT g.h, g.b FROM gb g LEFT JOIN gb g2 ON g2.h = g.h AND g2.b = g.b + 1 WHERE g.n + coalesce(g2.n, 0) >= {cs}),
        r2 AS (SELECT r.* FROM r SEMI JOIN (SELECT h, b FROM gq UNION SELECT h, b + 1 FROM gq) q USING (h, b)),
        r3 AS (
          SELECT r2.* FROM r2 SEMI JOIN (
            SELECT community_id, ckey FROM r2 GROUP BY ALL HAVING count(DISTINCT sender_id) >= {cs}) g
          USING (community_id, ckey)),
        fwd AS (
          SELECT r3.*, count(DISTINCT sender_id) OVER (PARTITION BY community_id, ckey ORDER BY sent_at
            RANGE BETWEEN CURRENT ROW AND INTERVAL {cwin} MINUTE FOLLOWING) AS n_fwd
          FROM r3)
        SELECT message_id FROM (
          SELECT message_id, max(CASE WHEN n_fwd >= {cs} THEN 1 ELSE 0 END) OVER (
            PARTITION BY community_id, ckey ORDER BY sent_at
            RANGE BETWEEN INTERVAL {cwin} MINUTE PRECEDING AND CURRENT ROW) AS fl FROM fwd)
        WHERE fl = 1""",
        f"""CREATE OR REPLACE TEMP TABLE _qk_flag AS
        SELECT message_id, min(why) AS why FROM (
          SELECT message_id, 'flood:{fr}x/{fw}min' AS why FROM _qk_flood
          UNION ALL SELECT message_id, 'coordinated:{cs}senders/{cwin}min' AS why FROM _qk_coord) GROUP BY 1""",
        # member questions that have replies (answers need their parent's class)
        """CREATE OR REPLACE TEMP TABLE _qk_qpar AS
        SELECT DISTINCT m.message_id FROM _qk_m m
        JOIN (SELECT DISTINCT reply_to FROM _qk_m WHERE reply_to IS NOT NULL) r ON r.reply_to = m.message_id
        JOIN _qk_tl_all t ON t.tid = m.tid
        WHERE t.cls_t = 'question' AND m.msg_type <> 'system' AND NOT m.recalled AND m.staff_why IS NULL
          AND m.message_id NOT IN (SELECT message_id FROM _qk_flag)""",
        f"""INSERT INTO {LABELS_TABLE}
        SELECT message_id, community_id, cls, reason, {Rules.sentiment_label_sql("score0")} AS sentiment,
               round(score0, 4) AS sentiment_score, chars, cls IN ({eff}) AS is_effective, cls IN ({ugc}) AS is_ugc,
               {sql_str(rules_hash)} AS rules_hash, input_hash
        FROM (
          SELECT *,
            CASE WHEN cls0 IN ('checkin', 'share', 'chat') AND is_answer THEN 'answer' ELSE cls0 END AS cls,
            CASE WHEN cls0 IN ('checkin', 'share', 'chat') AND is_answer THEN 'reply_to_question' ELSE reason0 END AS reason
          FROM (
            SELECT message_id, community_id, input_hash, is_answer,
              coalesce(x_chars, chars_t) AS chars,
              CASE WHEN msg_type = 'system' OR recalled THEN 'system'
                   WHEN staff_why IS NOT NULL THEN 'staff'
                   WHEN cls_t = 'spam' OR flag IS NOT NULL THEN 'spam'
                   WHEN x_cls IN ('spam', 'filler', 'question', 'checkin', 'share', 'chat') THEN x_cls
                   WHEN reason_t = 'no_text' AND x_chars >= {smin} THEN 'share'
                   ELSE cls_t END AS cls0,
              CASE WHEN msg_type = 'system' THEN 'type:system'
                   WHEN recalled THEN 'recalled'
                   WHEN staff_why IS NOT NULL THEN 'staff:' || staff_why
                   WHEN cls_t = 'spam' THEN reason_t
                   WHEN flag IS NOT NULL THEN flag
                   WHEN x_cls IN ('spam', 'filler', 'question', 'checkin', 'share', 'chat')
                     THEN 'extra:' || coalesce(x_reason, x_cls)
                   WHEN reason_t = 'no_text' AND x_chars >= {smin} THEN 'length>={smin}(extra.chars)'
                   ELSE reason_t END AS reason0,
              CASE WHEN msg_type = 'system' OR recalled THEN 0.0
                   WHEN x_score IS NOT NULL THEN x_score
                   WHEN staff_why IS NULL AND cls_t <> 'spam' AND flag IS NOT NULL
                     THEN CASE WHEN lex <= -2 THEN lex / (1.0 + abs(lex)) ELSE 0.0 END
                   ELSE score END AS score0
            FROM (
              SELECT m.message_id, m.community_id, m.input_hash, m.msg_type, m.recalled, m.staff_why,
                     t.cls_t, t.reason_t, t.chars AS chars_t, t.lex, t.score, f.why AS flag,
                     (q.message_id IS NOT NULL {old_q}) AS is_answer,
                     TRY_CAST({x.format(k="chars")} AS INTEGER) AS x_chars, {x.format(k="text_cls")} AS x_cls,
                     {x.format(k="text_reason")} AS x_reason, TRY_CAST({x.format(k="sentiment_score")} AS DOUBLE) AS x_score
              FROM _qk_m m
              JOIN _qk_tl_all t ON t.tid = m.tid
              LEFT JOIN _qk_flag f ON f.message_id = m.message_id
              LEFT JOIN _qk_qpar q ON q.message_id = m.reply_to
              {old_join}
              WHERE m.write)))""",
    ]


def _run_batch(
    con: duckdb.DuckDBPyConnection,
    rules: Rules,
    rules_hash: str,
    use_old: bool,
    step: Callable[[float], None] | None = None,
) -> tuple[int, int]:
    for sql in _prepare_sql():
        con.execute(sql)
    if step:
        step(0.2)
    scored = _label_texts(con, rules)
    if step:
        step(0.35)
    if use_old:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _qk_oldq AS SELECT DISTINCT message_id FROM {LABELS_TABLE} WHERE cls = 'question'"
        )
    sqls = _context_sql(rules, rules_hash, use_old)
    for i, sql in enumerate(sqls):
        con.execute(sql)
        if step:
            step(0.35 + 0.65 * (i + 1) / len(sqls))
    n = _count(con, "SELECT count(*) FROM _qk_m WHERE write")
    return n, scored


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS _qk_scope")
    for t in (
        "_qk_src",
        "_qk_flood",
        "_qk_coord",
        "_qk_qpar",
        "_qk_tl_all",
        "_qk_batch",
        "_qk_stale",
        "_qk_days",
        "_qk_extra",
        "_qk_staff_pair",
        "_qk_staff_global",
    ):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def classify_workspace(
    ws: Any,
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
    *,
    compare: bool = False,
) -> dict[str, int]:
    """Create/update ``message_labels``; returns counts (total, classified, full, changed, model_scored, per class)."""
    con = ws.con
    t0 = time.perf_counter()
    rules = workspace_rules(ws)
    rules_hash = _rules_hash(ws, rules)
    ensure_labels_table(con)
    total = _count(con, "SELECT count(*) FROM messages")
    dirty = (ws.get_kv(DIRTY_KEY) or "0") == "1"
    have = _count(con, f"SELECT count(*) FROM {LABELS_TABLE}")
    do_full = full or dirty or have == 0
    # One transaction: a crash (even SIGKILL) leaves either every old label or every new one, never a mix
    # or an empty table (DuckDB rolls an uncommitted transaction back when the database is next opened).
    con.execute("BEGIN TRANSACTION")
    try:
        _drop_temps(con)
        _build_staff(con, ws, rules)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _qk_tl_all (tid UHUGEINT, cls_t VARCHAR, reason_t VARCHAR, chars INTEGER, lex DOUBLE, "
            "ckey UHUGEINT, tk UHUGEINT, score DOUBLE, sentiment VARCHAR)"
        )
        stale = 0
        if not do_full:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _qk_stale AS
                SELECT m.community_id, CAST(m.sent_at AS DATE) AS day, count(*) AS n
                FROM messages m LEFT JOIN {LABELS_TABLE} l USING (message_id)
                WHERE l.message_id IS NULL OR l.rules_hash IS DISTINCT FROM ? OR l.input_hash IS DISTINCT FROM {INPUT_HASH}
                GROUP BY ALL""",
                [rules_hash],
            )
            stale = _count(con, "SELECT sum(n) FROM _qk_stale")
            orphans = _count(
                con,
                f"SELECT count(*) FROM {LABELS_TABLE} l WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = l.message_id)",
            )
            if orphans:
                con.execute(
                    f"DELETE FROM {LABELS_TABLE} l WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = l.message_id)"
                )
            if stale > INCREMENTAL_MAX_SHARE * total:
                do_full = True
        classified = scored = changed = 0
        if progress:
            progress(0, total)
        if do_full:
            prev = None
            if compare and have:
                prev = "_qk_prev_labels"
                con.execute(f"CREATE OR REPLACE TEMP TABLE {prev} AS SELECT message_id, cls FROM {LABELS_TABLE}")
            # a full run rewrites the table: dropping it is much cheaper than deleting millions of rows
            con.execute(f"DROP TABLE IF EXISTS {LABELS_TABLE}")
            ensure_labels_table(con)
            done = 0
            batches = _community_batches(con, total)
            for batch in batches:
                if len(batches) == 1:
                    _scope_view(con, "CROSS JOIN (SELECT true AS write) s")
                else:
                    con.execute(
                        "CREATE OR REPLACE TEMP TABLE _qk_batch AS SELECT unnest(?::VARCHAR[]) AS community_id, true AS write",
                        [batch],
                    )
                    _scope_view(con, "JOIN _qk_batch s USING (community_id)")
                size = (
                    _count(
                        con,
                        "SELECT count(*) FROM messages WHERE community_id IN (SELECT unnest(?::VARCHAR[]))",
                        [batch],
                    )
                    if len(batches) > 1
                    else total
                )

                def step(frac: float, base: int = done, size: int = size) -> None:
                    if progress:
                        progress(min(total, base + int(size * frac)), total)

                n, sc = _run_batch(con, rules, rules_hash, use_old=False, step=step)
                classified += n
                scored += sc
                done += n
                if progress:
                    progress(done, total)
            if prev:
                changed = _count(
                    con,
                    f"SELECT count(*) FROM {LABELS_TABLE} l JOIN {prev} p USING (message_id) WHERE l.cls <> p.cls",
                )
                con.execute(f"DROP TABLE IF EXISTS {prev}")
            if dirty:
                ws.set_kv(DIRTY_KEY, "0")
        elif stale:
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _qk_days AS
                SELECT community_id, CAST(day + o AS DATE) AS day, min(abs(o)) <= 1 AS write
                FROM _qk_stale, (SELECT unnest([-2, -1, 0, 1, 2]) AS o) GROUP BY ALL"""
            )
            join = "JOIN _qk_days s ON s.community_id = m.community_id AND s.day = CAST(m.sent_at AS DATE)"
            _scope_view(con, join)
            # replies to rewritten messages are rewritten too (their parent's class may have changed)
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _qk_extra AS
                SELECT m.message_id FROM messages m
                WHERE m.reply_to IN (SELECT message_id FROM _qk_scope WHERE write)
                  AND m.message_id NOT IN (SELECT message_id FROM _qk_scope)"""
            )
            _scope_view(con, join, "_qk_extra")
            prev = "_qk_prev_labels"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {prev} AS SELECT l.message_id, l.cls FROM {LABELS_TABLE} l "
                "WHERE l.message_id IN (SELECT message_id FROM _qk_scope WHERE write)"
            )
            con.execute(f"DELETE FROM {LABELS_TABLE} WHERE message_id IN (SELECT message_id FROM {prev})")
            classified, scored = _run_batch(con, rules, rules_hash, use_old=True)
            changed = _count(
                con,
                f"SELECT count(*) FROM {LABELS_TABLE} l JOIN {prev} p USING (message_id) WHERE l.cls <> p.cls",
            )
            con.execute(f"DROP TABLE IF EXISTS {prev}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if progress:
        progress(total, total)
    _drop_temps(con)
    out: dict[str, int] = {
        "total": total,
        "classified": classified,
        "full": int(do_full),
        "changed": changed,
        "model_scored": scored,
        "stale": stale,
        "elapsed_ms": int((time.perf_counter() - t0) * 1000),
    }
    for cls, n in con.execute(f"SELECT cls, count(*) FROM {LABELS_TABLE} GROUP BY 1").fetchall():
        out[f"cls_{cls}"] = int(n)
    return out


def labels_fresh(ws: Any) -> bool:
    """True when every message has a current label (no reclassification needed)."""
    con = ws.con
    ensure_labels_table(con)
    if (ws.get_kv(DIRTY_KEY) or "0") == "1":
        return False
    rules_hash = _rules_hash(ws, workspace_rules(ws))
    n = _count(
        con,
        f"""SELECT count(*) FROM messages m LEFT JOIN {LABELS_TABLE} l USING (message_id)
        WHERE l.message_id IS NULL OR l.rules_hash IS DISTINCT FROM ? OR l.input_hash IS DISTINCT FROM {INPUT_HASH}""",
        [rules_hash],
    )
    return n == 0


def no_text_summary(
    texts: pa.Array | pa.ChunkedArray | list[str | None], msg_types: list[str] | None = None
) -> list[str | None]:
    """JSON for the ``extra`` column of messages whose text will not be stored (no archive consent).

    The importer may call this on the (already redacted) texts before dropping them; the engine then
    uses ``chars``, ``text_cls``, ``text_reason``, ``sentiment`` and ``sentiment_score`` from it.
    """
    from qunkpi.classify.rules import classify_texts

    values = texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray)) else list(texts)
    labels = classify_texts(values, msg_types, redact_first=False)
    out: list[str | None] = []
    for v, lab in zip(values, labels, strict=True):
        if v is None:
            out.append(None)
            continue
        out.append(
            json.dumps(
                {
                    "chars": lab.chars,
                    "text_cls": lab.cls,
                    "text_reason": lab.reason,
                    "sentiment": lab.sentiment,
                    "sentiment_score": lab.sentiment_score,
                },
                ensure_ascii=False,
            )
        )
    return out


def activity_table(ws: Any, start: Any = None, end: Any = None, community_id: str | None = None) -> Any:
    """Per community and day: messages, staff share, spam (cues, flooding, coordination), effective share.

    A high ``staff_share`` with a low ``effective_share`` is the "fake activity" pattern (SPEC §6):
    staff or shill accounts carrying the conversation. Returns a pandas DataFrame.
    """
    con = ws.con
    ensure_labels_table(con)
    where = ["NOT coalesce(m.recalled, false)", "m.msg_type <> 'system'"]
    params: list[Any] = []
    if start is not None:
        where.append("m.sent_at >= ?")
        params.append(start)
    if end is not None:
        where.append("m.sent_at < ?")
        params.append(end)
    if community_id is not None:
        where.append("m.community_id = ?")
        params.append(community_id)
    return con.execute(
        f"""SELECT m.community_id, CAST(m.sent_at AS DATE) AS day, count(*) AS messages,
                   count(*) FILTER (WHERE l.cls = 'staff') AS staff_messages,
                   count(*) FILTER (WHERE l.cls = 'staff') / count(*) AS staff_share,
                   count(*) FILTER (WHERE l.cls = 'spam') AS spam_messages,
                   count(*) FILTER (WHERE l.reason LIKE 'flood:%') AS flood_messages,
                   count(*) FILTER (WHERE l.reason LIKE 'coordinated:%') AS coordinated_messages,
                   count(*) FILTER (WHERE l.is_effective) / count(*) AS effective_share
            FROM messages m JOIN {LABELS_TABLE} l USING (message_id)
            WHERE {" AND ".join(where)}
            GROUP BY ALL ORDER BY 1, 2""",
        params,
    ).df()

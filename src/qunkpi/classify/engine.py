"""Bulk classification inside DuckDB: the stored table ``message_labels``.

``classify_workspace(ws)`` labels every message once and stores the result, so that metrics never
recompute it. Everything runs as set-based SQL (RE2 regexes, joins, window functions); the only
Python step is the numpy sentiment model over the distinct texts that need it.

Pipeline per batch of communities:

1. ``_qk_tx`` — the distinct ``(msg_type, text)`` in scope with their counts; ``tid`` = MD5 of the pair.
2. Text level (:mod:`qunkpi.classify.rules`) on each distinct ``tid`` once per run → ``_qk_tj``.
3. Context: staff (SPEC §3: a staff spell in that community, the ``staff`` table, or
   ``settings.staff_ids``; members whose nickname in ``members.extra`` matches ``staff_names``),
   flooding (the same text ≥ ``flood_repeats`` times by one sender within
   ``flood_window_minutes``, every copy in the burst), coordinated posting (the same substance of
   ≥ ``coord_min_chars`` characters from ≥ ``coord_senders`` distinct non-staff senders within
   ``coord_window_minutes``), answers (a reply to a message that is a member question). One narrow
   pass (``_qk_c``) keeps the member messages that may flood, coordinate or be asked; 64-bit hashes
   of the groups find the hot groups (a superset), whose rows are windowed exactly (``_qk_flag``).
4. One ``INSERT … SELECT`` into ``message_labels``: messages ⋈ text labels ⋈ staff ⋈ flags ⋈ questions.

Incremental by default: only messages with no label or changed content (``input_hash``) are
relabelled (labels made under another rules hash — lexicons, settings, model, staff ids; kv
``labels_rules_hash`` — make the run full), together with the rest of
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
import uuid
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from qunkpi.classify.lexicons import load_lexicons, workspace_lexicon_dir
from qunkpi.classify.rules import EFFECTIVE, UGC, RuleParams, Rules, label_text_table, sql_str
from qunkpi.workspace.schema import LABEL_COLUMNS, LABEL_COLUMNS_COMPRESSED, LABEL_TYPES_SQL
from qunkpi.workspace.workspace import (
    LABEL_DELTA_BASE_KEY,
    LABEL_DELTA_RESULT_KEY,
    LABEL_DELTA_TABLE,
    LABELS_VERSION_KEY,
    LABELS_WRITE_KEY,
    MESSAGES_TOUCHED_TABLE,
    MESSAGES_VERSION_KEY,
    TOUCHED_BASE_KEY,
    TOUCHED_RESULT_KEY,
    min_max,
    scalar_int,
)

LABELS_TABLE = "message_labels"
DIRTY_KEY = "labels_dirty"
RULES_KEY = "labels_rules_hash"  # the rules hash every stored label was made under
# must equal the input_hash computed in _insert_sql (same arguments, same order; ``th`` = hash(msg_type, text)).
# A change detector, so DuckDB's 64-bit hash of the text does (an MD5 per message made the stale check 2x slower).
INPUT_HASH = (
    "hash(hash(m.msg_type, m.text), m.community_id, m.sender_id, m.sent_at, m.reply_to, "
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


def _layout_ok(con: duckdb.DuckDBPyConnection) -> tuple[bool, bool]:
    """(the labels table exists, it has the current layout)."""
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main'",
        [LABELS_TABLE],
    ).fetchall()
    names = {c[0] for c in cols}
    types = dict(cols)
    current = {c.split()[0] for c in LABEL_COLUMNS.split(", ")}
    return bool(names), names == current and str(types.get("cls", "")).upper().startswith("ENUM")


def labels_cover_messages(ws: Any) -> bool:
    """True when the stored labels were made from exactly the stored messages, in the current layout.

    Then every message has exactly one label, whose ``sent_at`` is its message's, and the metric engine joins
    only the labels of its time window (:class:`qunkpi.engine.context.Ctx`). Every writer of
    ``messages`` renews kv ``messages_version`` (:meth:`Workspace.messages_changed`); a classification run
    records the token it labelled under. Stale labels under other rules still cover the messages: metrics use
    the stored classes as they are, as they always have.
    """
    return _same_version(ws) and _layout_ok(ws.con)[1]


def _same_version(ws: Any) -> bool:
    """The labels were made from the messages as they are (kv tokens equal; the row counts too, a cheap guard
    against a writer that did not renew the token)."""
    if ws.get_kv(LABELS_VERSION_KEY) != (ws.get_kv(MESSAGES_VERSION_KEY) or "0"):
        return False
    row = ws.con.execute(f"SELECT (SELECT count(*) FROM messages) = (SELECT count(*) FROM {LABELS_TABLE})").fetchone()
    return bool(row and row[0])


def ensure_labels_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``message_labels`` (and its ENUM types); a table of an earlier layout is dropped, so the next run is full."""
    exists, layout_ok = _layout_ok(con)
    if exists and not layout_ok:
        con.execute(f"DROP TABLE {LABELS_TABLE}")
    if not layout_ok:
        for sql in LABEL_TYPES_SQL:
            con.execute(sql)
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS {LABELS_TABLE} ({LABEL_COLUMNS_COMPRESSED})")
        except duckdb.Error:  # an engine without per-column compression
            con.execute(f"CREATE TABLE IF NOT EXISTS {LABELS_TABLE} ({LABEL_COLUMNS})")


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


def _scope_view(
    con: duckdb.DuckDBPyConnection, join: str | None, extra_ids: str | None = None, materialize: bool = False
) -> None:
    """(Re)define ``_qk_scope``: the messages to look at, with a ``write`` flag and ``_rid`` (the rowid).

    ``join`` None: every message, all written. A view by default; ``materialize``: a temp table (an incremental
    run's few thousand messages are then found once, not by every statement joining all of ``messages``).
    """
    if join is None:
        base = "SELECT m.*, m.rowid AS _rid, true AS write FROM messages m"
    else:
        base = f"SELECT m.*, m.rowid AS _rid, s.write FROM messages m {join}"
    if extra_ids:
        base += f" UNION ALL SELECT m.*, m.rowid AS _rid, true AS write FROM messages m JOIN {extra_ids} x USING (message_id)"
    _drop_scope(con)
    kind = "TABLE" if materialize else "VIEW"
    con.execute(f"CREATE TEMP {kind} _qk_scope AS {base}")


def _drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``_qk_scope`` whether it is a view or a table (a failed DROP would abort the transaction)."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_views() WHERE view_name = '_qk_scope' AND temporary), "
        "(SELECT count(*) FROM duckdb_tables() WHERE table_name = '_qk_scope' AND temporary)"
    ).fetchone()
    if row and row[0]:
        con.execute("DROP VIEW _qk_scope")
    if row and row[1]:
        con.execute("DROP TABLE _qk_scope")


# the text key: (msg_type, text) → a 128-bit MD5, computed once per distinct pair
TID = "md5_number(coalesce(msg_type, '') || chr(31) || coalesce(text, chr(0)))"
# messages join their distinct text by DuckDB's 64-bit hash of (msg_type, text) when that hash has no
# collision among the distinct texts in scope (checked every run; then it is an exact key), else by the strings
TEXT_JOIN_HASH = "t.th = hash(m.msg_type, m.text)"
TEXT_HASH_UNIQUE_SQL = "SELECT count(*) = count(DISTINCT th) FROM _qk_tj"
TEXT_JOIN_EXACT = "t.msg_type IS NOT DISTINCT FROM m.msg_type AND t.text IS NOT DISTINCT FROM m.text"
STAFF_JOIN = "LEFT JOIN _qk_staff st ON st.community_id = m.community_id AND st.sender_id = m.sender_id"
TL_COLUMNS = "tid, cls_t, reason_t, chars, lex, ckey, tk, score, sentiment"
_JSON_KEYS = "['$.chars', '$.text_cls', '$.text_reason', '$.sentiment_score']"


def _distinct_texts(con: duckdb.DuckDBPyConnection) -> None:
    """``_qk_tx``: every distinct (msg_type, text) in scope with its count and key ``tid``.

    Grouping on the strings themselves is exact; the MD5 is computed on the distinct pairs only.
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _qk_tx AS
        SELECT msg_type, text, n, {TID} AS tid
        FROM (SELECT msg_type, text, count(*) AS n FROM _qk_scope GROUP BY ALL)"""
    )


def _label_texts(con: duckdb.DuckDBPyConnection, rules: Rules) -> int:
    """Text-level labels for the distinct (text, msg_type) in scope not labelled earlier in this run."""
    new = scalar_int(
        con,
        "SELECT count(*) FROM _qk_tx c WHERE NOT EXISTS (SELECT 1 FROM _qk_tl_all t WHERE t.tid = c.tid)",
    )
    if not new:
        return 0
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _qk_src AS
        SELECT tid, any_value(text) AS text, any_value(msg_type) AS msg_type FROM _qk_tx c
        WHERE NOT EXISTS (SELECT 1 FROM _qk_tl_all t WHERE t.tid = c.tid)
        GROUP BY tid"""
    )
    scored = label_text_table(con, rules, "_qk_src", "_qk_tl_new")
    con.execute(f"INSERT INTO _qk_tl_all SELECT {TL_COLUMNS} FROM _qk_tl_new")
    con.execute("DROP TABLE IF EXISTS _qk_tl_new")
    return scored


def _text_join_sql(rules: Rules) -> str:
    """``_qk_tj``: the distinct texts with their labels, a small integer ``ti`` and the candidate flags.

    ``fc``: the flooding key ``tk`` occurs ≥ R times in scope; ``cc``: the coordination key ``ckey``
    occurs ≥ S times; ``q``: a question (not a system message) — a possible parent of an answer.
    """
    p = rules.params
    fr, cs = int(p.flood_repeats), int(p.coord_senders)
    return f"""CREATE OR REPLACE TEMP TABLE _qk_tj AS
    WITH t AS (SELECT x.msg_type, x.text, x.n, l.* FROM _qk_tx x JOIN _qk_tl_all l USING (tid))
    SELECT CAST(row_number() OVER () AS INTEGER) AS ti, hash(msg_type, text) AS th, t.*,
           coalesce(tk IN (SELECT tk FROM t WHERE tk IS NOT NULL GROUP BY tk HAVING sum(n) >= {fr}), false) AS fc,
           coalesce(ckey IN (SELECT ckey FROM t WHERE ckey IS NOT NULL GROUP BY ckey HAVING sum(n) >= {cs}), false) AS cc,
           coalesce(cls_t = 'question' AND msg_type <> 'system', false) AS q
    FROM t"""


def _staff_sql() -> str:
    """``_qk_staff``: staff (community, sender) pairs in scope — a staff spell there, else staff anywhere."""
    return """CREATE OR REPLACE TEMP TABLE _qk_staff AS
    SELECT coalesce(p.community_id, g.community_id) AS community_id, coalesce(p.member_id, g.sender_id) AS sender_id,
           coalesce(p.why, g.why) AS why
    FROM _qk_staff_pair p
    FULL OUTER JOIN (SELECT c.community_id, s.sender_id, s.why
                     FROM (SELECT DISTINCT community_id FROM _qk_scope) c, _qk_staff_global s) g
      ON g.community_id = p.community_id AND g.sender_id = p.member_id"""


def _candidates_sql(text_join: str) -> str:
    """One narrow pass: the member messages (not staff, not recalled) that may flood, coordinate or be asked.

    ``hf``/``hc`` are 64-bit hashes of the flooding group (community, sender, tk) and the coordination group
    (community, ckey). A hash may merge groups, never split one, so windows over ``hf``/``hc`` find a superset
    of the bursts; the exact groups are windowed afterwards (:func:`_flags_sql`). ``qid``: the id of a question.
    """
    return f"""CREATE OR REPLACE TEMP TABLE _qk_c AS
    SELECT m._rid AS rid, m.sent_at, t.ti,
           CASE WHEN t.fc THEN hash(m.community_id, m.sender_id, t.tk) END AS hf,
           CASE WHEN t.cc THEN hash(m.community_id, t.ckey) END AS hc,
           CASE WHEN t.q THEN m.message_id END AS qid
    FROM _qk_scope m JOIN _qk_tj t ON {text_join}
    {STAFF_JOIN}
    WHERE (t.fc OR t.cc OR t.q) AND NOT coalesce(m.recalled, false) AND st.why IS NULL"""


def _hot_sql(key: str, n: int, minutes: int, out: str) -> str:
    """Rows of ``_qk_c`` whose ``key`` partition has ≥ n rows within ``minutes`` (a superset of the bursts)."""
    # one sort by (key, time): the (n-1)-th next row with the same key lies within the window
    return f"""CREATE OR REPLACE TEMP TABLE {out} AS
    SELECT rid, ti FROM _qk_c WHERE {key} IN (
      SELECT DISTINCT {key} FROM (
        SELECT {key}, sent_at, lead({key}, {n - 1}) OVER w AS k_n, lead(sent_at, {n - 1}) OVER w AS s_n
        FROM _qk_c WHERE {key} IS NOT NULL WINDOW w AS (ORDER BY {key}, sent_at))
      WHERE k_n = {key} AND s_n <= sent_at + INTERVAL {minutes} MINUTE)"""


def _flags_sql(rules: Rules) -> list[str]:
    """Flooding and coordinated posting, exactly, on the rows of the hot partitions (fetched by rowid)."""
    p = rules.params
    fr, fw = int(p.flood_repeats), int(p.flood_window_minutes)
    cs, cwin = int(p.coord_senders), int(p.coord_window_minutes)
    return [
        # flooding: the same text (ignoring surrounding spaces and ! 。 . ~ …) ≥ R times by one sender
        # within W minutes — every copy in the burst
        f"""CREATE OR REPLACE TEMP TABLE _qk_flood AS
        WITH r AS (
          SELECT m.rowid AS rid, m.community_id, m.sender_id, t.tk, m.sent_at
          FROM messages m JOIN _qk_hf h ON h.rid = m.rowid JOIN _qk_tj t ON t.ti = h.ti
          WHERE m.rowid IN (SELECT rid FROM _qk_hf)),
        fwd AS (
          SELECT r.*, count(*) OVER (PARTITION BY community_id, sender_id, tk ORDER BY sent_at
            RANGE BETWEEN CURRENT ROW AND INTERVAL {fw} MINUTE FOLLOWING) AS n_fwd
          FROM r)
        SELECT rid FROM (
          SELECT rid, max(CASE WHEN n_fwd >= {fr} THEN 1 ELSE 0 END) OVER (
            PARTITION BY community_id, sender_id, tk ORDER BY sent_at
            RANGE BETWEEN INTERVAL {fw} MINUTE PRECEDING AND CURRENT ROW) AS fl FROM fwd)
        WHERE fl = 1""",
        # coordinated posting: the same substance from ≥ S distinct non-staff senders within W minutes
        f"""CREATE OR REPLACE TEMP TABLE _qk_coord AS
        WITH r AS (
          SELECT m.rowid AS rid, m.community_id, m.sender_id, t.ckey, m.sent_at
          FROM messages m JOIN _qk_hc h ON h.rid = m.rowid JOIN _qk_tj t ON t.ti = h.ti
          WHERE m.rowid IN (SELECT rid FROM _qk_hc)),
        r3 AS (
          SELECT r.* FROM r SEMI JOIN (
            SELECT community_id, ckey FROM r GROUP BY ALL HAVING count(DISTINCT sender_id) >= {cs}) g
          USING (community_id, ckey)),
        fwd AS (
          SELECT r3.*, count(DISTINCT sender_id) OVER (PARTITION BY community_id, ckey ORDER BY sent_at
            RANGE BETWEEN CURRENT ROW AND INTERVAL {cwin} MINUTE FOLLOWING) AS n_fwd
          FROM r3)
        SELECT rid FROM (
          SELECT rid, max(CASE WHEN n_fwd >= {cs} THEN 1 ELSE 0 END) OVER (
            PARTITION BY community_id, ckey ORDER BY sent_at
            RANGE BETWEEN INTERVAL {cwin} MINUTE PRECEDING AND CURRENT ROW) AS fl FROM fwd)
        WHERE fl = 1""",
        f"""CREATE OR REPLACE TEMP TABLE _qk_flag AS
        SELECT rid, min(why) AS why FROM (
          SELECT rid, 'flood:{fr}x/{fw}min' AS why FROM _qk_flood
          UNION ALL SELECT rid, 'coordinated:{cs}senders/{cwin}min' AS why FROM _qk_coord) GROUP BY 1""",
        # member questions that have replies in scope (answers need their parent's class)
        """CREATE OR REPLACE TEMP TABLE _qk_qpar AS
        SELECT DISTINCT qid AS message_id FROM _qk_c
        WHERE qid IS NOT NULL AND qid IN (SELECT reply_to FROM _qk_scope WHERE reply_to IS NOT NULL)
          AND rid NOT IN (SELECT rid FROM _qk_flag)""",
    ]


def _any_of(col: str, values: tuple[str, ...]) -> str:
    """``col IN (values)`` as ORs: DuckDB plans a long IN list as a join, a cost on every message."""
    return "(" + " OR ".join(f"{col} = {sql_str(v)}" for v in values) + ")"


def _insert_sql(rules: Rules, use_old: bool, with_flags: bool, text_join: str) -> str:
    p = rules.params
    x_classes = ("spam", "filler", "question", "checkin", "share", "chat")
    answerable = ("checkin", "share", "chat")
    smin = int(p.share_min_chars)
    old_join = "LEFT JOIN _qk_oldq oq ON oq.message_id = m.reply_to" if use_old else ""
    old_q = "OR oq.message_id IS NOT NULL" if use_old else ""
    flag_join = "LEFT JOIN _qk_flag f ON f.rid = m._rid" if with_flags else ""
    flag = "f.why" if with_flags else "CAST(NULL AS VARCHAR)"
    return f"""INSERT INTO {LABELS_TABLE}
        SELECT message_id, cls, reason, {Rules.sentiment_label_sql("score0")} AS sentiment,
               round(score0, 4) AS sentiment_score, chars, {_any_of("cls", EFFECTIVE)} AS is_effective, {_any_of("cls", UGC)} AS is_ugc,
               input_hash, sent_at
        FROM (
          SELECT *,
            CASE WHEN is_answer AND {_any_of("cls0", answerable)} THEN 'answer' ELSE cls0 END AS cls,
            CASE WHEN is_answer AND {_any_of("cls0", answerable)} THEN 'reply_to_question' ELSE reason0 END AS reason
          FROM (
            SELECT message_id, input_hash, is_answer, sent_at,
              coalesce(x_chars, chars_t) AS chars,
              CASE WHEN msg_type = 'system' OR recalled THEN 'system'
                   WHEN staff_why IS NOT NULL THEN 'staff'
                   WHEN cls_t = 'spam' OR flag IS NOT NULL THEN 'spam'
                   WHEN {_any_of("x_cls", x_classes)} THEN x_cls
                   WHEN reason_t = 'no_text' AND x_chars >= {smin} THEN 'share'
                   ELSE cls_t END AS cls0,
              CASE WHEN msg_type = 'system' THEN 'type:system'
                   WHEN recalled THEN 'recalled'
                   WHEN staff_why IS NOT NULL THEN 'staff:' || staff_why
                   WHEN cls_t = 'spam' THEN reason_t
                   WHEN flag IS NOT NULL THEN flag
                   WHEN {_any_of("x_cls", x_classes)}
                     THEN 'extra:' || coalesce(x_reason, x_cls)
                   WHEN reason_t = 'no_text' AND x_chars >= {smin} THEN 'length>={smin}(extra.chars)'
                   ELSE reason_t END AS reason0,
              CASE WHEN msg_type = 'system' OR recalled THEN 0.0
                   WHEN x_score IS NOT NULL THEN x_score
                   WHEN staff_why IS NULL AND cls_t <> 'spam' AND flag IS NOT NULL
                     THEN CASE WHEN lex <= -2 THEN lex / (1.0 + abs(lex)) ELSE 0.0 END
                   ELSE score END AS score0
            FROM (
              SELECT *, TRY_CAST(xs[1] AS INTEGER) AS x_chars, xs[2] AS x_cls, xs[3] AS x_reason,
                     TRY_CAST(xs[4] AS DOUBLE) AS x_score
              FROM (
                SELECT m.message_id, m.community_id, m.msg_type, m.sent_at, coalesce(m.recalled, false) AS recalled,
                       st.why AS staff_why,
                       hash(t.th, m.community_id, m.sender_id, m.sent_at, m.reply_to, coalesce(m.recalled, false),
                            CASE WHEN m.text IS NULL THEN m.extra END) AS input_hash,
                       t.cls_t, t.reason_t, t.chars AS chars_t, t.lex, t.score, {flag} AS flag,
                       (q.message_id IS NOT NULL {old_q}) AS is_answer,
                       CASE WHEN m.text IS NULL AND m.extra IS NOT NULL AND json_valid(m.extra)
                            THEN json_extract_string(m.extra, {_JSON_KEYS}) END AS xs
                FROM _qk_scope m
                JOIN _qk_tj t ON {text_join}
                {STAFF_JOIN}
                {flag_join}
                LEFT JOIN _qk_qpar q ON q.message_id = m.reply_to
                {old_join}
                WHERE m.write))))"""


def _run_batch(
    con: duckdb.DuckDBPyConnection,
    rules: Rules,
    use_old: bool,
    step: Callable[[float], None] | None = None,
) -> tuple[int, int]:
    p = rules.params

    def done(frac: float) -> None:
        if step:
            step(frac)

    _distinct_texts(con)
    done(0.1)
    scored = _label_texts(con, rules)
    con.execute(_text_join_sql(rules))
    con.execute(_staff_sql())
    unique = scalar_int(con, TEXT_HASH_UNIQUE_SQL)
    text_join = TEXT_JOIN_HASH if unique else TEXT_JOIN_EXACT
    done(0.2)
    con.execute(_candidates_sql(text_join))
    con.execute(_hot_sql("hf", int(p.flood_repeats), int(p.flood_window_minutes), "_qk_hf"))
    con.execute(_hot_sql("hc", int(p.coord_senders), int(p.coord_window_minutes), "_qk_hc"))
    done(0.35)
    for sql in _flags_sql(rules):
        con.execute(sql)
    done(0.4)
    if use_old:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _qk_oldq AS SELECT DISTINCT message_id FROM {LABELS_TABLE} WHERE cls = 'question'"
        )
    with_flags = scalar_int(con, "SELECT count(*) FROM _qk_flag") > 0
    row = con.execute(_insert_sql(rules, use_old, with_flags, text_join)).fetchone()
    n = int(row[0]) if row else 0
    done(1.0)
    return n, scored


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    _drop_scope(con)
    for t in (
        "_qk_src",
        "_qk_tx",
        "_qk_tj",
        "_qk_c",
        "_qk_hf",
        "_qk_hc",
        "_qk_flood",
        "_qk_coord",
        "_qk_flag",
        "_qk_qpar",
        "_qk_oldq",
        "_qk_tl_all",
        "_qk_batch",
        "_qk_stale",
        "_qk_check",
        "_qk_days",
        "_qk_extra",
        "_qk_staff",
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
) -> dict[str, Any]:
    """Create/update ``message_labels``; returns counts (total, classified, full, changed, model_scored, stale,
    per class) and ``check``: how an incremental run looked for stale labels ("days": only the days the writes
    since the last run touched; "all": every message; "": it did not need to)."""
    con = ws.con
    t0 = time.perf_counter()
    rules = workspace_rules(ws)
    rules_hash = _rules_hash(ws, rules)
    ensure_labels_table(con)
    total = scalar_int(con, "SELECT count(*) FROM messages")
    dirty = (ws.get_kv(DIRTY_KEY) or "0") == "1"
    have = scalar_int(con, f"SELECT count(*) FROM {LABELS_TABLE}")
    # labels made under other rules (lexicons, settings, model, staff ids) are all stale: a full run
    do_full = full or dirty or have == 0 or ws.get_kv(RULES_KEY) != rules_hash
    version = ws.get_kv(MESSAGES_VERSION_KEY) or "0"
    # the labels were made from exactly these messages, under these rules: nothing can be stale
    current = not do_full and _same_version(ws)
    written_before = ws.get_kv(LABELS_WRITE_KEY) or "0"
    # One transaction: a crash (even SIGKILL) leaves either every old label or every new one, never a mix
    # or an empty table (DuckDB rolls an uncommitted transaction back when the database is next opened).
    with ws.transaction():
        _drop_temps(con)
        _build_staff(con, ws, rules)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _qk_tl_all (tid UHUGEINT, cls_t VARCHAR, reason_t VARCHAR, chars INTEGER, lex DOUBLE, "
            "ckey UHUGEINT, tk UHUGEINT, score DOUBLE, sentiment VARCHAR)"
        )
        stale = orphans = 0
        check = ""  # how stale labels were looked for: "days" (the touched days only), "all", or not at all
        if not do_full and not current:
            days = _touched_range(ws, version)
            check = "all" if days is None else "days"
            if days is not None:
                # since the labels were made, messages were only added or changed, on the days listed in
                # messages_touched: only those days can hold stale labels, and no label can have lost its message
                where, span = "false", "true"
                if days:
                    span = f"sent_at >= DATE '{days[0]}' AND sent_at < DATE '{days[1]}' + INTERVAL 1 DAY"
                    where = f"m.{span} AND (l.message_id IS NULL OR l.input_hash IS DISTINCT FROM {INPUT_HASH})"
                # A label carries its message's sent_at, and a message that moved to another day makes the next run
                # a full one: the labels of these messages lie in the same days. (Were one elsewhere, its message
                # would only be relabelled once more: the old labels are deleted by id, whatever their time.)
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE _qk_check AS
                    SELECT m.community_id, CAST(m.sent_at AS DATE) AS day, false AS orphan,
                           CAST(NULL AS VARCHAR) AS label_id
                    FROM messages m
                    SEMI JOIN {MESSAGES_TOUCHED_TABLE} t ON t.community_id = m.community_id
                        AND t.day = CAST(m.sent_at AS DATE)
                    LEFT JOIN (SELECT message_id, input_hash FROM {LABELS_TABLE} WHERE {span}) l
                        ON l.message_id = m.message_id
                    WHERE {where}"""
                )
            else:
                # one pass over messages ⟗ labels: messages without a current label (stale) and labels without
                # a message (orphans, removed)
                con.execute(
                    f"""CREATE OR REPLACE TEMP TABLE _qk_check AS
                    SELECT m.community_id, CAST(m.sent_at AS DATE) AS day, m.message_id IS NULL AS orphan,
                           l.message_id AS label_id
                    FROM messages m FULL OUTER JOIN {LABELS_TABLE} l ON l.message_id = m.message_id
                    WHERE m.message_id IS NULL OR l.message_id IS NULL OR l.input_hash IS DISTINCT FROM {INPUT_HASH}"""
                )
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _qk_stale AS
                SELECT community_id, day, count(*) AS n FROM _qk_check WHERE NOT orphan GROUP BY ALL"""
            )
            stale = scalar_int(con, "SELECT sum(n) FROM _qk_stale")
            orphans = scalar_int(con, "SELECT count(*) FROM _qk_check WHERE orphan")
            if orphans:
                con.execute(
                    f"DELETE FROM {LABELS_TABLE} WHERE message_id IN "
                    "(SELECT label_id FROM _qk_check WHERE orphan)"
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
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE {prev} AS SELECT message_id, cls FROM {LABELS_TABLE}"
                )
            # a full run rewrites the table: dropping it is much cheaper than deleting millions of rows
            con.execute(f"DROP TABLE IF EXISTS {LABELS_TABLE}")
            ensure_labels_table(con)
            done = 0
            batches = _community_batches(con, total)
            for batch in batches:
                if len(batches) == 1:
                    _scope_view(con, None)
                else:
                    con.execute(
                        "CREATE OR REPLACE TEMP TABLE _qk_batch AS SELECT unnest(?::VARCHAR[]) AS community_id, true AS write",
                        [batch],
                    )
                    _scope_view(con, "JOIN _qk_batch s USING (community_id)")
                size = (
                    scalar_int(
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

                n, sc = _run_batch(con, rules, use_old=False, step=step)
                classified += n
                scored += sc
                done += n
                if progress:
                    progress(done, total)
            if prev:
                changed = scalar_int(
                    con,
                    f"SELECT count(*) FROM {LABELS_TABLE} l JOIN {prev} p USING (message_id) WHERE l.cls <> p.cls",
                )
                con.execute(f"DROP TABLE IF EXISTS {prev}")
            if dirty:
                ws.set_kv(DIRTY_KEY, "0")
            ws.set_kv(RULES_KEY, rules_hash)
        elif stale:
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _qk_days AS
                SELECT community_id, CAST(day + o AS DATE) AS day, min(abs(o)) <= 1 AS write
                FROM _qk_stale, (SELECT unnest([-2, -1, 0, 1, 2]) AS o) GROUP BY ALL"""
            )
            lo, hi = min_max(con, "_qk_days", "day") or (None, None)
            # the bounds let the scan skip the row groups outside the days (messages are stored in time order)
            join = (
                "JOIN _qk_days s ON s.community_id = m.community_id AND s.day = CAST(m.sent_at AS DATE) "
                f"AND m.sent_at >= DATE '{lo}' AND m.sent_at < DATE '{hi}' + INTERVAL 1 DAY"
            )
            _scope_view(con, join)
            # replies to rewritten messages are rewritten too (their parent's class may have changed)
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _qk_extra AS
                SELECT m.message_id FROM messages m
                WHERE m.reply_to IN (SELECT message_id FROM _qk_scope WHERE write)
                  AND m.message_id NOT IN (SELECT message_id FROM _qk_scope)"""
            )
            _scope_view(con, join, "_qk_extra", materialize=True)
            prev = "_qk_prev_labels"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {prev} AS SELECT l.message_id, l.cls FROM {LABELS_TABLE} l "
                "WHERE l.message_id IN (SELECT message_id FROM _qk_scope WHERE write)"
            )
            con.execute(f"DELETE FROM {LABELS_TABLE} WHERE message_id IN (SELECT message_id FROM {prev})")
            classified, scored = _run_batch(con, rules, use_old=True)
            changed = scalar_int(
                con,
                f"SELECT count(*) FROM {LABELS_TABLE} l JOIN {prev} p USING (message_id) WHERE l.cls <> p.cls",
            )
            con.execute(f"DROP TABLE IF EXISTS {prev}")
        _record_label_writes(ws, written_before, full=do_full, relabelled=bool(stale), orphans=bool(orphans))
        ws.set_kv(LABELS_VERSION_KEY, version)
        ws.reset_touched(version)  # the labels cover this version: later writes start a new list of days
    if progress:
        progress(total, total)
    _drop_temps(con)
    out: dict[str, Any] = {
        "total": total,
        "classified": classified,
        "full": int(do_full),
        "changed": changed,
        "model_scored": scored,
        "stale": stale,
        "check": check,
        "elapsed_ms": int((time.perf_counter() - t0) * 1000),
    }
    for cls, n in con.execute(f"SELECT cls, count(*) FROM {LABELS_TABLE} GROUP BY 1").fetchall():
        out[f"cls_{cls}"] = int(n)
    return out


def _record_label_writes(ws: Any, before: str, *, full: bool, relabelled: bool, orphans: bool) -> None:
    """Renew kv ``labels_written`` when this run wrote labels, and keep what an incremental run changed.

    An incremental run stores the ids of the messages it relabelled (with their ``sent_at``) and of the labels
    it dropped (their messages are gone) in ``label_delta``, with the ``labels_written`` tokens before and after it: the metric
    engine's ``message_facts`` built from the labels before can then be brought up to date by rewriting just
    those rows. A full run leaves no delta (the facts are rebuilt). The input hash covers every message column
    the facts copy, so a changed message is always among the relabelled ones.
    """
    con = ws.con
    if not (full or relabelled or orphans):
        return
    token = uuid.uuid4().hex
    if full:
        con.execute(f"DROP TABLE IF EXISTS {LABEL_DELTA_TABLE}")
        ws.set_kv(LABEL_DELTA_BASE_KEY, "")
        ws.set_kv(LABEL_DELTA_RESULT_KEY, "")
    else:
        parts = []
        if relabelled:
            parts.append("SELECT message_id, sent_at FROM _qk_scope WHERE write")
        if orphans:  # their messages are gone: the facts only drop their rows
            parts.append("SELECT label_id AS message_id, CAST(NULL AS TIMESTAMP) AS sent_at FROM _qk_check WHERE orphan")
        con.execute(
            f"CREATE OR REPLACE TABLE {LABEL_DELTA_TABLE} AS SELECT DISTINCT message_id, sent_at FROM ({' UNION ALL '.join(parts)})"
        )
        ws.set_kv(LABEL_DELTA_BASE_KEY, before)
        ws.set_kv(LABEL_DELTA_RESULT_KEY, token)
    ws.set_kv(LABELS_WRITE_KEY, token)


def _touched_range(ws: Any, version: str) -> tuple[str, str] | tuple[()] | None:
    """When every change to ``messages`` since the labels were made is listed in ``messages_touched`` (the
    chain of writes starts at the version the labels were made under and ends at ``version``): the first and
    last day listed (``()`` when none is). None when the chain is broken: the full check is needed."""
    base = ws.get_kv(TOUCHED_BASE_KEY) or ""
    if not base or base != ws.get_kv(LABELS_VERSION_KEY) or ws.get_kv(TOUCHED_RESULT_KEY) != version:
        return None
    if not ws.has_table(MESSAGES_TOUCHED_TABLE):
        return None
    span = min_max(ws.con, MESSAGES_TOUCHED_TABLE, "day")
    return () if span is None else (str(span[0]), str(span[1]))


def labels_fresh(ws: Any) -> bool:
    """True when every message has a current label (no reclassification needed)."""
    con = ws.con
    ensure_labels_table(con)
    if (ws.get_kv(DIRTY_KEY) or "0") == "1":
        return False
    if ws.get_kv(RULES_KEY) != _rules_hash(ws, workspace_rules(ws)):
        return False
    if _same_version(ws):
        return True  # labelled from exactly these messages under these rules
    n = scalar_int(
        con,
        f"""SELECT count(*) FROM messages m LEFT JOIN {LABELS_TABLE} l USING (message_id)
        WHERE l.message_id IS NULL OR l.input_hash IS DISTINCT FROM {INPUT_HASH}""",
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

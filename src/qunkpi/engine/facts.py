"""``message_facts``: the metric engine's countable messages, stored in the workspace.

Every metric run starts from the same block, :attr:`qunkpi.engine.context.Ctx.messages`: the countable messages
(not recalled, not system) joined to their labels, with the sender's staff flag in that community, a message's
length and the text of questions. Built per run, it is half of the time of a run over the 18 metrics the pandas
baseline also computes (≈ 1.7 s of ≈ 3.8 s on the medium demo, 5.4M messages). ``message_facts`` is that block
for the whole workspace, built once after classification (``qunkpi import`` and ``qunkpi classify`` refresh it),
so a run reads it, cut to its communities and time window, instead of joining.

It is used only while it is exactly what the run would have built:

- the labels cover the stored messages (kv ``messages_version`` = ``labels_version``, see
  :func:`qunkpi.classify.engine.labels_cover_messages`);
- it was built from the labels as they are (kv ``labels_written``, renewed whenever labels are written);
- the staff context is the same (the staff ids of the settings, and a fingerprint of the staff spells of
  ``members``, of the ``staff`` table and of the communities);
- its layout is this code's (:data:`FACTS_LAYOUT`, its column names).

Otherwise the engine builds its block as before, so a stale table can cost time, never a wrong value. After an
incremental classification (one more day) only the rows of the messages the classifier relabelled or dropped are
rewritten (``label_delta``); anything else (a full classification, changed staff) rebuilds the table.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from qunkpi.workspace.workspace import (
    FACTS_TABLE,
    LABEL_DELTA_BASE_KEY,
    LABEL_DELTA_RESULT_KEY,
    LABEL_DELTA_TABLE,
    LABELS_WRITE_KEY,
    MESSAGES_VERSION_KEY,
    min_max,
    scalar_int,
)

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

FACTS_KEY = "facts_version"  # kv: the state (facts_state) the stored table was built from
FACTS_LABELS_KEY = "facts_labels"  # kv: the labels_written token the stored table reflects
FACTS_CONTEXT_KEY = "facts_context"  # kv: the layout and staff context (_context_state) it was built in
# Bump when Ctx.messages changes what it computes (its columns are also compared, but not their meaning).
FACTS_LAYOUT = "1"
FACTS_COLUMNS = (
    "message_id",
    "community_id",
    "sender_id",
    "sent_at",
    "msg_type",
    "reply_to",
    "is_staff_person",
    "cls",
    "is_effective",
    "is_ugc",
    "sentiment",
    "msg_len",
    "question_text",
)


def _staff_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Count and order-free hashes of what decides who is staff where (Ctx.staff_people) and of the communities."""
    row = con.execute(
        """SELECT
          (SELECT count(*) || ':' || coalesce(bit_xor(h), 0) || ':' || coalesce(sum(h), 0) FROM (
             SELECT DISTINCT hash(community_id, member_id) AS h FROM members
             WHERE coalesce(is_staff, false) OR role = 'staff')),
          (SELECT count(*) || ':' || coalesce(bit_xor(h), 0) || ':' || coalesce(sum(h), 0) FROM (
             SELECT DISTINCT hash(staff_id) AS h FROM staff)),
          (SELECT count(*) || ':' || coalesce(bit_xor(h), 0) || ':' || coalesce(sum(h), 0) FROM (
             SELECT DISTINCT hash(community_id) AS h FROM communities))"""
    ).fetchone()
    return "|".join(str(x) for x in (row or ()))


def _context_state(ws: Workspace) -> str | None:
    """What the facts' rows depend on besides the labels and messages: layout and staff context. None: unknown
    (a table is missing)."""
    from qunkpi.engine.api import staff_ids_of

    try:
        fp = _staff_fingerprint(ws.con)
    except duckdb.Error:
        return None
    raw = json.dumps([FACTS_LAYOUT, list(FACTS_COLUMNS), sorted(staff_ids_of(ws)), fp])
    return hashlib.sha256(raw.encode()).hexdigest()


def facts_state(ws: Workspace, ctx: str | None = None) -> str | None:
    """The state the stored facts must have been built from to be used now; None when there can be none (the
    labels do not cover the messages). ``ctx``: :func:`_context_state`, when the caller has it."""
    from qunkpi.engine.api import labels_cover

    if not labels_cover(ws):
        return None
    ctx = ctx or _context_state(ws)
    if ctx is None:
        return None
    raw = json.dumps([ctx, ws.get_kv(MESSAGES_VERSION_KEY) or "0", ws.get_kv(LABELS_WRITE_KEY) or "0"])
    return hashlib.sha256(raw.encode()).hexdigest()


def facts_table(ws: Workspace, staff_ids: list[str] | None = None) -> str | None:
    """The name of the stored facts when a run may read them instead of building its block (None otherwise).

    ``staff_ids``: the staff ids the run treats as staff; the facts were built with the settings' ones.
    """
    from qunkpi.engine.api import staff_ids_of

    if staff_ids is not None and sorted(staff_ids) != sorted(staff_ids_of(ws)):
        return None
    stored = ws.get_kv(FACTS_KEY)
    if not stored or tuple(ws.columns(FACTS_TABLE)) != FACTS_COLUMNS:
        return None
    return FACTS_TABLE if stored == facts_state(ws) else None


def drop_facts(ws: Workspace) -> None:
    """Remove the stored facts (in the caller's transaction, if any)."""
    ws.con.execute(f"DROP TABLE IF EXISTS {FACTS_TABLE}")
    for key in (FACTS_KEY, FACTS_LABELS_KEY, FACTS_CONTEXT_KEY):
        ws.set_kv(key, "")


def _block_sql(ws: Workspace, only_ids: str | None = None) -> str | None:
    """SQL of the engine's countable-messages block over the whole workspace, or over the messages whose ids the
    table ``only_ids`` lists (None: no messages or labels)."""
    import ibis

    from qunkpi.engine.api import staff_ids_of
    from qunkpi.engine.context import Ctx
    from qunkpi.engine.runner import available_tables

    be = ws.ibis()
    ctx = Ctx(
        backend=be,
        periods=[],
        settings=ws.settings,
        staff_ids=staff_ids_of(ws),
        available=available_tables(be),
        cache=False,
        labels_cover=True,
        only_message_ids=only_ids,
        only_message_range=_sent_range(ws, only_ids) if only_ids else None,
    )
    if not ctx.has("messages", "message_labels"):
        return None
    expr = ctx.messages
    if tuple(expr.columns) != FACTS_COLUMNS:
        raise RuntimeError(f"message_facts: the block's columns changed ({expr.columns}); update FACTS_COLUMNS")
    hooks = getattr(be, "_run_pre_execute_hooks", None)
    if hooks is not None:  # the staff ids of the settings are an in-memory table
        hooks(expr)
    return str(ibis.to_sql(expr, dialect="duckdb"))


def _sent_range(ws: Workspace, ids_table: str) -> tuple[datetime, datetime] | None:
    """The first and last ``sent_at`` the table of ids records (label_delta has the messages' times), if any."""
    if "sent_at" not in ws.columns(ids_table):
        return None
    return min_max(ws.con, ids_table, "sent_at")


def refresh_facts(ws: Workspace, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Bring ``message_facts`` up to date: nothing when current, the rows of an incremental classification's
    changes when that is all that changed, else a rebuild. One transaction.

    Returns ``{"action": "current" | "delta" | "rebuilt" | "dropped" | "none", "rows": rows written,
    "seconds": wall seconds}``.
    """
    t0 = time.perf_counter()
    con = ws.con
    context = _context_state(ws)
    target = facts_state(ws, context)
    stored = ws.get_kv(FACTS_KEY) or ""

    def done(action: str, rows: int = 0) -> dict[str, Any]:
        return {"action": action, "rows": rows, "seconds": round(time.perf_counter() - t0, 3)}

    columns = ws.columns(FACTS_TABLE)
    if target is None:
        if stored or columns:
            with ws.transaction():
                drop_facts(ws)
            return done("dropped")
        return done("none")
    table_ok = tuple(columns) == FACTS_COLUMNS
    if stored == target and table_ok:
        return done("current")
    written = ws.get_kv(LABELS_WRITE_KEY) or "0"
    if table_ok and stored and ws.get_kv(FACTS_LABELS_KEY) == written and ws.get_kv(FACTS_CONTEXT_KEY) == context:
        # The messages were rewritten (a re-import of the same rows, say) but no label changed: every column the
        # table copies is in the classifier's input hash, so its rows are still exactly what a build would give.
        with ws.transaction():
            ws.set_kv(FACTS_KEY, target)
        return done("current")
    delta = table_ok and _delta_applies(ws, written, context)
    sql = _block_sql(ws, only_ids=LABEL_DELTA_TABLE if delta else None)
    if sql is None:
        with ws.transaction():
            drop_facts(ws)
        return done("none")
    with ws.transaction():
        if delta:
            if progress:
                progress("delta")
            con.execute(f"DELETE FROM {FACTS_TABLE} WHERE message_id IN (SELECT message_id FROM {LABEL_DELTA_TABLE})")
            rows = scalar_int(con, f"INSERT INTO {FACTS_TABLE} {sql}")
            action = "delta"
        else:
            if progress:
                progress("rebuild")
            rows = scalar_int(con, f"CREATE OR REPLACE TABLE {FACTS_TABLE} AS {sql}")
            action = "rebuilt"
        ws.set_kv(FACTS_KEY, target)
        ws.set_kv(FACTS_LABELS_KEY, written)
        ws.set_kv(FACTS_CONTEXT_KEY, context or "")
    return done(action, rows)


def _delta_applies(ws: Workspace, written: str, context: str | None) -> bool:
    """The stored facts (of the current layout: the caller checks) reflect the labels just before the last
    (incremental) classification, in the same staff context: rewriting the rows of ``label_delta`` makes them
    current."""
    stored_labels = ws.get_kv(FACTS_LABELS_KEY) or ""
    if not stored_labels:
        return False
    if ws.get_kv(LABEL_DELTA_RESULT_KEY) != written or ws.get_kv(LABEL_DELTA_BASE_KEY) != stored_labels:
        return False
    if not ws.has_table(LABEL_DELTA_TABLE):
        return False
    # same layout and staff context as when the facts were built: the stored state minus the labels/messages
    return bool(context) and ws.get_kv(FACTS_CONTEXT_KEY) == context

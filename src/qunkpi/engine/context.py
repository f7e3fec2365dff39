"""What a metric implementation sees: Ibis tables of one workspace (or lake), the periods, shared building blocks.

Everything here is an Ibis expression so the same implementation runs on DuckDB and on Spark. Shared blocks
(staff people, non-staff spells, countable messages) encode the SPEC §3 conventions once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from qunkpi.engine.periods import Period

FAR_FUTURE = datetime(2999, 1, 1)
# The message columns metrics read (``text`` is reduced to ``msg_len`` and ``question_text``, see Ctx.messages).
MESSAGE_COLUMNS = ("message_id", "community_id", "sender_id", "sent_at", "msg_type", "reply_to")


@dataclass
class Ctx:
    backend: Any  # ibis backend
    periods: list[Period]
    communities: list[str] | None = None
    as_of: datetime | None = None
    settings: Any = None
    staff_ids: list[str] = field(default_factory=list)  # stored (pseudonymised) ids treated as staff everywhere
    available: set[str] = field(default_factory=set)  # canonical tables with rows (+ "message_labels")
    cache: bool = True  # materialise shared blocks once per run (Ibis ``.cache()``: a temp table / Spark cache)
    # Messages are read only within this many days around the asked periods: every catalog metric looks at
    # most 30 days beyond a period (retention windows, 24 h replies, 14-day silence), so a run over the current
    # month costs what the month costs, not what the whole history costs (incremental refresh, issue 9).
    # None reads everything.
    message_margin_days: int | None = 62
    # The stored labels cover exactly the stored messages, one label each, with their message's ``sent_at``
    # (qunkpi.classify.engine.labels_cover_messages): the countable messages then join only the labels of the
    # time window (a smaller hash table), and the length of a message is its label's ``chars`` alone.
    labels_cover: bool = False
    # The stored countable messages (qunkpi.engine.facts, ``message_facts``) when current: ``messages`` then
    # reads that table, cut to the run's communities and window, instead of building its block.
    facts: str | None = None
    # Only the messages whose ids this table lists (``message_id``): how ``message_facts`` rewrites the rows of an
    # incremental classification's changes without building the block for every message.
    only_message_ids: str | None = None
    # [lo, hi]: the ``sent_at`` range of those messages, when known: lets the scans skip the rest of the table.
    only_message_range: tuple[datetime, datetime] | None = None

    _held: list[Any] = field(default_factory=list)
    _blocks: dict[str, ir.Table] = field(default_factory=dict)
    _tables: dict[str, ir.Table] = field(default_factory=dict)

    def _cached(self, t: ir.Table) -> ir.Table:
        """Materialise a shared block once per run.

        DuckDB: a temp table (Ibis' own ``.cache()`` cannot drop its table on DuckDB 1.5, so we manage it);
        other engines: Ibis ``.cache()`` (Spark caches the DataFrame).
        """
        if not self.cache:
            return t
        if getattr(self.backend, "name", "") == "duckdb":
            name = f"__qk_cache_{uuid.uuid4().hex[:12]}"
            out = self.backend.create_table(name, t, temp=True)
            self._held.append(("duckdb", name))
            return out
        hooks = getattr(self.backend, "_run_pre_execute_hooks", None)
        if hooks is not None:  # Ibis' PySpark cache() does not register in-memory tables (the periods) first
            hooks(t)
        c = t.cache()
        self._held.append(("ibis", c))
        return c

    def shared(self, key: str, build: Callable[[], ir.Table]) -> ir.Table:
        """A derived block (``build()``) computed once per run and shared by every metric that asks for ``key``.

        Several metrics rest on the same intermediate result (the question → response matching, the member
        scores, the people present at each period's end): materialising it once makes the later metrics cheap.
        The key must name everything the block depends on beyond this context (the context's periods,
        communities, as-of time and settings are fixed for its lifetime).
        """
        if key not in self._blocks:
            self._blocks[key] = self._cached(build())
        return self._blocks[key]

    def __enter__(self) -> Ctx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Drop the materialised shared blocks (call when the run is over; ``with ctx:`` does it)."""
        self._blocks.clear()
        while self._held:
            kind, obj = self._held.pop()
            if kind == "duckdb":
                self.backend.raw_sql(f'DROP TABLE IF EXISTS "{obj}"').fetchall()
            else:
                obj.release()

    # -- raw tables ----------------------------------------------------------------------------------
    def table(self, name: str) -> ir.Table:
        """The backend's table ``name``, unfiltered; looked up once per run (each lookup reads its schema)."""
        if name not in self._tables:
            self._tables[name] = self.backend.table(name)
        return self._tables[name]

    def t(self, name: str) -> ir.Table:
        tbl = self.table(name)
        if self.communities is not None and "community_id" in tbl.columns and name != "communities":
            tbl = tbl.filter(tbl.community_id.isin(self.communities))
        return self._windowed(tbl) if name == "messages" else tbl

    def _windowed(self, t: ir.Table) -> ir.Table:
        """``t`` (with ``sent_at``) cut to the run's message window."""
        window = self.message_window()
        if window is None:
            return t
        return t.filter((t.sent_at >= ibis.literal(window[0])) & (t.sent_at < ibis.literal(window[1])))

    def _listed(self, t: ir.Table) -> ir.Table:
        """``t`` (with ``message_id`` and ``sent_at``) cut to the ids of ``only_message_ids`` (and to
        ``only_message_range``), when set."""
        if self.only_message_ids is None:
            return t
        if self.only_message_range is not None:
            lo, hi = self.only_message_range
            t = t.filter((t.sent_at >= ibis.literal(lo)) & (t.sent_at <= ibis.literal(hi)))
        ids = self.table(self.only_message_ids)
        return t.semi_join(ids, t.message_id == ids.message_id)

    def message_window(self) -> tuple[datetime, datetime] | None:
        """[lo, hi): the messages a run reads (the periods ± ``message_margin_days``); None: all of them."""
        if self.message_margin_days is None or not self.periods:
            return None
        margin = timedelta(days=self.message_margin_days)
        return min(p.start for p in self.periods) - margin, max(p.end for p in self.periods) + margin

    def has(self, *names: str) -> bool:
        return all(n in self.available for n in names)

    # -- periods ---------------------------------------------------------------------------------------
    @cached_property
    def periods_t(self) -> ir.Table:
        df = pd.DataFrame(
            {
                "period": [p.label for p in self.periods],
                "p_start": pd.to_datetime([p.start for p in self.periods]).astype("datetime64[us]"),
                "p_end": pd.to_datetime([p.end for p in self.periods]).astype("datetime64[us]"),
                "p_days": [p.days for p in self.periods],
            }
        )
        return ibis.memtable(df)

    def in_period(self, t: ir.Table, ts: str) -> ir.Table:
        """Rows of ``t`` joined to the period containing ``t[ts]`` (a row can match several periods)."""
        p = self.periods_t
        j = t.join(p, [t[ts] >= p.p_start, t[ts] < p.p_end])
        return j

    # -- people ----------------------------------------------------------------------------------------
    @cached_property
    def community_ids(self) -> ir.Table:
        c = self.t("communities")
        if self.communities is not None:
            c = c.filter(c.community_id.isin(self.communities))
        return c.select("community_id").distinct()

    @cached_property
    def staff_people(self) -> ir.Table:
        """(community_id, person_id) pairs of people who are staff there (SPEC §3 conventions)."""
        m = self.t("members")
        parts = [
            m.filter(m.is_staff.fill_null(False) | (m.role == "staff")).select(
                community_id=m.community_id, person_id=m.member_id
            )
        ]
        if self.has("staff"):
            s = self.table("staff")
            parts.append(self.community_ids.cross_join(s.select(person_id=s.staff_id)).select("community_id", "person_id"))
        if self.staff_ids:
            ids = ibis.memtable(pd.DataFrame({"person_id": pd.Series(self.staff_ids, dtype="string")}))
            parts.append(self.community_ids.cross_join(ids).select("community_id", "person_id"))
        out = parts[0]
        for p in parts[1:]:
            out = out.union(p)
        return self._cached(out.distinct())

    def is_staff_join(self, t: ir.Table, person_col: str) -> ir.Table:
        """``t`` with a boolean ``is_staff_person`` column for ``t[person_col]`` in ``t.community_id``."""
        sp = self.staff_people.mutate(__staff=ibis.literal(True))
        j = t.left_join(sp, [t.community_id == sp.community_id, t[person_col] == sp.person_id])
        j = j.drop(*[c for c in j.columns if c.endswith("_right") or c == "person_id"])
        return j.mutate(is_staff_person=j["__staff"].fill_null(False)).drop("__staff")

    def non_staff(self, t: ir.Table, person_col: str) -> ir.Table:
        sp = self.staff_people
        return t.anti_join(sp, [t.community_id == sp.community_id, t[person_col] == sp.person_id])

    @cached_property
    def spells(self) -> ir.Table:
        """Membership spells of non-staff people; ``left`` = left_at or the far future."""
        m = self.non_staff(self.t("members"), "member_id")
        return self._cached(m.mutate(left=m.left_at.fill_null(ibis.literal(FAR_FUTURE))))

    # -- messages ----------------------------------------------------------------------------------------
    @cached_property
    def messages(self) -> ir.Table:
        """Countable messages (not recalled, not system) with ``is_staff_person`` and, when stored, labels.

        Columns: ``message_id``, ``community_id``, ``sender_id``, ``sent_at``, ``msg_type``, ``reply_to``,
        ``is_staff_person``, ``msg_len`` (characters of the message: the classifier's ``chars`` where stored,
        else the length of its text, else 0); with stored labels also ``cls``, ``is_effective``, ``is_ugc``,
        ``sentiment`` and ``question_text`` (the text of messages of class question, null for the others: the
        exempt-phrase test needs it). Only what metrics read is carried: the block is written once per run and
        every column costs (the full text would be most of its bytes). With ``labels_cover`` the labels are
        inner-joined from the run's window only; otherwise all of them are left-joined. With ``facts`` the
        stored block of the whole workspace is read (no join, nothing materialised: each metric scans the columns
        it needs).
        """
        if self.facts is not None:
            return self._windowed(self.t(self.facts))
        msg = self._listed(self.t("messages"))
        msg = msg.filter(~msg.recalled.fill_null(False) & (msg.msg_type != "system"))
        msg = self.is_staff_join(msg.select(*MESSAGE_COLUMNS, __text=msg.text), "sender_id")
        if not self.has("message_labels"):
            msg = msg.mutate(msg_len=msg["__text"].length().cast("int64").fill_null(0))
            return self._cached(msg.drop("__text"))
        lab = self.table("message_labels")
        join = msg.left_join  # a message without a label has no class
        if self.labels_cover:
            # every message has exactly one label with its sent_at: an inner join with the labels of the same
            # window only (cls 'system' = a system or recalled message, never countable)
            join = msg.join
            lab = self._windowed(lab.filter(lab.cls != "system"))
        lab = self._listed(lab).select("cls", "is_effective", "is_ugc", "sentiment", "chars", l_id="message_id")
        msg = join(lab, msg.message_id == lab.l_id)
        text_len = msg["__text"].length().cast("int64")
        msg = msg.mutate(
            msg_len=msg.chars.cast("int64").coalesce(text_len, ibis.literal(0, "int64")),
            question_text=ibis.ifelse(msg.cls == "question", msg["__text"], ibis.null("string")),
        )
        return self._cached(msg.drop("l_id", "chars", "__text"))

    @cached_property
    def member_messages(self) -> ir.Table:
        """Countable messages by non-staff senders."""
        m = self.messages
        return m.filter(~m.is_staff_person)

    # -- helpers ------------------------------------------------------------------------------------------
    def as_of_literal(self) -> ir.Value:
        return ibis.literal(self.as_of or datetime.now())


def ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.NumericValue:
    """num / den, null when den is 0 or null (SPEC §3: a zero denominator is n/a, never 0)."""
    return ibis.ifelse(den.fill_null(0) == 0, ibis.null(), num.cast("float64") / den.cast("float64"))

"""Service (服务响应), SPEC §3.

A *member question* is a member message of class question in P, unless its whole text is only an exempt
phrase (``[service] exempt_phrases``, compared after removing spaces, punctuation and emoji, case-insensitive).
Its *first response* is the first staff message in the same community after it (strictly later, or at the
same instant when it explicitly replies to the question) that replies to it or replies to nothing; a staff
message that replies to a different message is not a response and does not stop the search.

Durations run on the *service clock*: with ``[service] hours = "09:00-21:00"`` only the seconds inside the
daily service windows count (a question at 20:50 answered at 09:10 the next morning waited 20 minutes); with
no hours set the clock runs 24 h. The clock is a running total ``F(t)`` = service seconds from a fixed
origin to ``t``; a duration is ``F(t2) − F(t1)``, computed in the query (no per-row Python).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from qunkpi.catalog.impl import impl
from qunkpi.catalog.impl.engagement import KEYS
from qunkpi.engine.context import Ctx, ratio
from qunkpi.errors import ConfigError
from qunkpi.i18n import tr

RESPONSE_LIMIT_S = 30 * 60
REPLY_LIMIT_S = 24 * 3600
DAY_S = 86400

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# Characters ignored when comparing a question with an exempt phrase: spaces, punctuation, symbols (emoji).
STRIP_RE = r"[\s\p{P}\p{S}]+"


def parse_service_hours(text: str | None) -> list[tuple[int, int]] | None:
    """``"09:00-21:00"`` (or several, comma-separated; ``"21:00-09:00"`` crosses midnight) → daily windows as
    (start, end) seconds of the day; None or blank → None (the clock runs 24 h)."""
    if text is None or not str(text).strip():
        return None
    windows: list[tuple[int, int]] = []
    for part in str(text).split(","):
        m = _HOURS.match(part)
        if not m:
            raise ConfigError(_hours_error(text, f"cannot read {part.strip()!r}"))
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise ConfigError(_hours_error(text, f"{part.strip()!r} is not a time of day"))
        a, b = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if a == b:
            raise ConfigError(_hours_error(text, f"{part.strip()!r} is empty"))
        if a < b:
            windows.append((a, b))
        else:  # crosses midnight
            windows.extend([(a, DAY_S), (0, b)] if b else [(a, DAY_S)])
    windows.sort()
    for (_, e1), (s2, _) in itertools.pairwise(windows):
        if s2 < e1:
            raise ConfigError(_hours_error(text, "windows overlap"))
    return windows


def _hours_error(text: str, why: str) -> str:
    return tr(
        f"[service] hours = {text!r} 无法识别（{why}）：应写成 \"09:00-21:00\"，多段用逗号分隔，如 \"09:00-12:00,13:30-21:00\"",
        f"[service] hours = {text!r} is not valid ({why}): write \"09:00-21:00\", several windows comma-separated, "
        "e.g. \"09:00-12:00,13:30-21:00\"",
    )


def service_clock(ts: ir.TimestampValue, windows: list[tuple[int, int]] | None) -> ir.IntegerValue:
    """F(ts): service seconds from the epoch to ``ts`` (wall-clock time). Durations are differences of F."""
    ep = ts.epoch_seconds().cast("int64")
    if windows is None:
        return ep
    day = ep // DAY_S
    sod = ep - day * DAY_S
    per_day = sum(b - a for a, b in windows)
    total: ir.IntegerValue = day * per_day
    for a, b in windows:
        total = total + (sod - a).clip(lower=0, upper=b - a)
    return total


def normalise_phrase(text: str) -> str:
    """Python twin of the query's normalisation: lower case without spaces, punctuation and symbols."""
    return "".join(ch for ch in text.lower() if not unicodedata.category(ch).startswith(("P", "S", "Z", "C")))


def _settings(ctx: Ctx) -> tuple[list[tuple[int, int]] | None, list[str]]:
    svc = getattr(ctx.settings, "service", None)
    hours = parse_service_hours(getattr(svc, "hours", None))
    phrases: Iterable[str] = getattr(svc, "exempt_phrases", None) or []
    norm = sorted({n for n in (normalise_phrase(p) for p in phrases) if n})
    return hours, norm


def member_questions(ctx: Ctx, exempt: list[str]) -> ir.Table:
    """Countable member messages of class question that are not only an exempt phrase (all periods)."""
    m = ctx.member_messages
    q = m.filter(m.cls == "question")
    if exempt:
        text = q.question_text if "question_text" in q.columns else q.text
        cleaned = text.lower().re_replace(STRIP_RE, "")
        q = q.filter(~cleaned.isin(exempt).fill_null(False))
    return q


def question_responses(ctx: Ctx) -> ir.Table:
    """One row per member question in each period: its first staff response, its first reply, and both
    waits on the service clock (seconds; null when none came). A shared block: the service metrics all
    read it, so the matching runs once per run."""
    hours, exempt = _settings(ctx)
    return ctx.shared(f"question_responses:{hours!r}:{exempt!r}", lambda: _question_responses(ctx, hours, exempt))


def _question_responses(ctx: Ctx, hours: list[tuple[int, int]] | None, exempt: list[str]) -> ir.Table:
    start = min(p.start for p in ctx.periods)

    def questions_since() -> ir.Table:
        q = member_questions(ctx, exempt)
        q = q.filter(q.sent_at >= ibis.literal(start))
        return q.select("community_id", "message_id", "sender_id", "sent_at")

    # The member questions since the first period's start, materialised: read four times below, and the
    # exempt-phrase test (a regular expression per question) runs once.
    qs = ctx.shared(f"member_questions:{exempt!r}:{start.isoformat()}", questions_since)
    msgs = ctx.messages.filter(ctx.messages.sent_at >= ibis.literal(start))
    staff = msgs.filter(msgs.is_staff_person)

    # (a) the first staff message replying to nothing, strictly after the question.
    free = staff.filter(staff.reply_to.isnull())
    nxt = _next_free(ctx, qs, free)

    # (b) the first staff message replying to this very question (at or after it), and (c) the first reply by
    # reply_to from someone else: staff (any class) or a member's effective message. One join gives both.
    rep = msgs.filter(msgs.reply_to.notnull() & (msgs.is_staff_person | msgs.is_effective.fill_null(False)))
    rep = rep.select(r_to="reply_to", r_at="sent_at", r_sender="sender_id", r_staff="is_staff_person")
    rj = qs.join(rep, [qs.message_id == rep.r_to, rep.r_at >= qs.sent_at])
    rj = rj.group_by(rj.message_id.name("r_id")).aggregate(
        direct_at=rj.r_at.min(where=rj.r_staff),
        reply_at=rj.r_at.min(where=(rj.r_sender != rj.sender_id).fill_null(False)),
    )

    # One row per question and period containing it (message ids are unique: each join adds ≤ 1 row).
    q = ctx.in_period(qs, "sent_at").select("community_id", "period", "message_id", "sent_at")
    q = q.left_join(nxt, q.message_id == nxt.n_id).drop("n_id")
    q = q.left_join(rj, q.message_id == rj.r_id).drop("r_id")
    first = ibis.least(q.next_free, q.direct_at)
    out = q.mutate(first_response_at=first)
    resolved = ibis.least(out.first_response_at, out.reply_at)
    out = out.mutate(resolved_at=resolved)
    t0 = service_clock(out.sent_at, hours)
    return out.select(
        *KEYS,
        "message_id",
        "sent_at",
        "first_response_at",
        "resolved_at",
        first_wait_s=service_clock(out.first_response_at, hours) - t0,
        resolve_wait_s=service_clock(out.resolved_at, hours) - t0,
        open_s=service_clock(ctx.as_of_literal(), hours) - t0,
    )


def _next_free(ctx: Ctx, qs: ir.Table, free: ir.Table) -> ir.Table:
    """(n_id, next_free): for each question the first of the ``free`` staff messages strictly after it in its
    community (null when none).

    DuckDB: an as-of join (a sort-merge, ≈ 2.5× faster than the window). Other engines: a forward-looking window
    over one ordered stream of questions and staff messages (staff rows sort first at equal times, so a staff
    message at the question's very instant is not "after" it). The Spark parity test checks they agree.
    """
    if getattr(ctx.backend, "name", "") == "duckdb":
        f = free.select(f_comm="community_id", next_free="sent_at")
        j = qs.asof_join(f, qs.sent_at < f.next_free, predicates=[qs.community_id == f.f_comm])
        return j.select(n_id=j.message_id, next_free=j.next_free)
    null_ts = ibis.null().cast(qs.sent_at.type())
    q_rows = qs.select("community_id", "message_id", ts=qs.sent_at, kind=ibis.literal(1), s_ts=null_ts)
    s_rows = free.select(
        "community_id", message_id=ibis.null().cast("string"), ts=free.sent_at, kind=ibis.literal(0), s_ts=free.sent_at
    )
    stream = q_rows.union(s_rows)
    w = ibis.window(group_by="community_id", order_by=[stream.ts, stream.kind], rows=(0, None))
    stream = stream.mutate(next_free=stream.s_ts.min().over(w))
    return stream.filter(stream.kind == 1).select(n_id="message_id", next_free="next_free")


@impl("questions")
def questions(ctx: Ctx) -> ir.Table:
    """Member questions in P: the rows of ``question_responses`` (one per question and period)."""
    r = question_responses(ctx)
    return r.group_by(KEYS).aggregate(value=r.count())


def _share(ctx: Ctx, cond_name: str) -> ir.Table:
    """Share of questions meeting a condition. A question still waiting at the as-of time (the data horizon,
    or ``--as-of``) whose limit has not run out yet is *pending*: the data cannot say how it ends, so it is
    left out of numerator and denominator (otherwise the latest day's questions would always look unreplied)."""
    r = question_responses(ctx)
    wait, limit = {
        "response_30m": (r.first_wait_s, RESPONSE_LIMIT_S),
        "unreplied": (r.first_wait_s, REPLY_LIMIT_S),
        "resolved": (r.resolve_wait_s, REPLY_LIMIT_S),
    }[cond_name]
    r = r.mutate(in_time=(wait.notnull() & (wait <= limit)).fill_null(False))
    r = r.filter(r.in_time | (r.open_s >= limit))
    cond = ~r.in_time if cond_name == "unreplied" else r.in_time
    g = r.group_by(KEYS).aggregate(n=r.count(), k=cond.cast("int64").sum())
    return g.select(*KEYS, value=ratio(g.k, g.n))


@impl("response_30m_rate")
def response_30m_rate(ctx: Ctx) -> ir.Table:
    return _share(ctx, "response_30m")


@impl("unreplied_rate")
def unreplied_rate(ctx: Ctx) -> ir.Table:
    return _share(ctx, "unreplied")


@impl("resolution_rate")
def resolution_rate(ctx: Ctx) -> ir.Table:
    return _share(ctx, "resolved")


@impl("first_response_median")
def first_response_median(ctx: Ctx) -> ir.Table:
    """Median service-clock wait to the first staff response, over the questions that got one (at any time)."""
    r = question_responses(ctx)
    r = r.filter(r.first_wait_s.notnull())
    g = r.group_by(KEYS).aggregate(value=r.first_wait_s.cast("float64").median())
    return g

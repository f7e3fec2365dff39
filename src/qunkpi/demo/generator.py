"""Orchestration of the demo data set: ``generate(out_dir, scale, seed, end_month)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qunkpi.demo import texts as tx
from qunkpi.demo.business import (
    Activity,
    Rows,
    costs,
    leads,
    new_rows,
    orders,
    outside_orders,
    participants,
    plan_activities,
    reach,
    surveys,
)
from qunkpi.demo.common import DAY, NEVER, IdFactory, TextBank, add_months, month_start, parse_month
from qunkpi.demo.content import content_accounts, staff_work
from qunkpi.demo.members import Community, Spells, build_spells
from qunkpi.demo.messages import CommunityMessages, generate_messages
from qunkpi.demo.spec import BASE_STAFF, SCALES, TEAM_OF_THEME, TEMPLATES, extra_staff
from qunkpi.demo.writer import write_csv
from qunkpi.workspace.schema import MSG_TYPES, TABLES

WINDOW_MONTHS = 12  # months of data, the end month included
Progress = Callable[[str, int, int], None]
_STAGE_BANDS = {"startup": (20, 85), "growth": (100, 175), "mature": (190, 460)}


def default_end_month(today: dt.date | None = None) -> str:
    """The last complete month before today."""
    d = today or dt.date.today()
    y, m = add_months(d.year, d.month, -1)
    return f"{y:04d}-{m:02d}"


def build_text_bank(rng: np.random.Generator, push_codes: list[str]) -> TextBank:
    bank = TextBank()
    bank.add("filler", tx.combos(tx.FILLER_CORES, tx.FILLER_SUFFIXES))
    for i, greetings in enumerate(tx.GREETINGS):
        bank.add(f"greeting:{i}", greetings)
    bank.add("emotion", tx.EMOTION_TEXTS)
    bank.add("redpacket", tx.REDPACKET_TEXTS)
    bank.add("vote", tx.VOTE_TEXTS)
    bank.add("thanks", tx.THANKS_AFTER_ANSWER)
    bank.add("staff_filler", tx.STAFF_FILLER)
    bank.add("staff_evening", tx.STAFF_EVENING)
    bank.add("shill", tx.SHILL_TEXTS)
    bank.add("system", tx.system_bank())
    bank.add("spam", tx.spam_bank(rng))
    bank.add("pii", tx.pii_bank(rng))
    for theme in tx.THEMES:
        q_texts, q_topics = tx.question_bank(theme)
        bank.add(f"question:{theme}", q_texts)
        bank.topics[f"question:{theme}"] = np.asarray(q_topics, dtype=np.int64)
        for t, (staff_answer, peer_answer) in enumerate(tx.question_topics(theme)):
            bank.add(f"staff_answer:{theme}:{t}", tx.staff_answer_bank(staff_answer))
            bank.add(f"peer_answer:{theme}:{t}", tx.peer_answer_bank(peer_answer))
        bank.add(f"chat:{theme}", tx.chat_bank(theme))
        bank.add(f"share:{theme}", tx.share_bank(theme))
        bank.add(f"complaint:{theme}", tx.complaint_bank(theme))
        bank.add(f"checkin:{theme}", tx.checkin_plain_bank(theme))
        bank.add(f"checkin_n:{theme}", tx.checkin_n_bank(theme))
        bank.add(f"link:{theme}", tx.link_bank(rng, theme))
        bank.add(f"file:{theme}", tx.FILE_NAMES[theme])
        bank.add(f"morning:{theme}", tx.staff_morning_bank(theme))
        bank.add(f"post:{theme}", tx.combos(tx.STAFF_POST_HEADS, tx.STAFF_POSTS[theme]))
        bank.add(f"push:{theme}", tx.staff_push_bank(theme, push_codes))
    return bank


def _communities(
    scale_name: str, w1: int, rng: np.random.Generator
) -> tuple[list[Community], list[tuple[str, str, str, str]]]:
    sc = SCALES[scale_name]
    staff = list(BASE_STAFF)
    extra = iter(extra_staff())
    owners_by_team: dict[str, list[str]] = {}
    comms: list[Community] = []
    for k in range(sc.copies):
        for tpl in TEMPLATES:
            team = TEAM_OF_THEME[tpl.theme]
            if k == 0:
                owner, helpers, age = tpl.owner, tpl.helpers, tpl.age_days
            else:
                pool = owners_by_team.setdefault(team, [])
                if not pool or len([c for c in comms if c.owner == pool[-1]]) >= 3:
                    try:
                        sid, name = next(extra)
                    except StopIteration:
                        sid, name = f"ops{len(staff):02d}", f"运营{len(staff):02d}号"
                    staff.append((sid, name, "specialist", team))
                    pool.append(sid)
                owner, helpers = pool[-1], ()
                stage = "startup" if tpl.age_days < 90 else "growth" if tpl.age_days < 180 else "mature"
                lo, hi = _STAGE_BANDS[stage]
                age = int(np.clip(tpl.age_days + rng.integers(-25, 26), lo, hi))
            no = tpl.first_no + k
            name = tpl.name if no <= 1 else f"{tpl.name}·{no}群"
            created = (w1 - age * DAY) // DAY * DAY + int(rng.integers(9, 20)) * 3600
            size = max(12, round(tpl.size * sc.member_mult * (rng.uniform(0.8, 1.25) if k else 1.0)))
            comms.append(
                Community(
                    idx=len(comms), community_id=f"c_{tpl.key}{k + 1:02d}", name=name, tpl=tpl, created=created,
                    owner=owner, helpers=helpers, size=size, primary=k == 0, copy_no=k,
                )
            )  # fmt: skip
    return comms, staff


class _People:
    """Global person-id table (sender codes for the messages column)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.code: dict[str, int] = {}

    def codes(self, ids: list[str] | np.ndarray) -> np.ndarray:
        out = np.empty(len(ids), dtype=np.int32)
        for i, s in enumerate(ids):
            c = self.code.get(s)
            if c is None:
                c = len(self.ids)
                self.ids.append(s)
                self.code[s] = c
            out[i] = c
        return out


def _member_rows(c: Community, s: Spells, out: Rows) -> None:
    n = len(s)
    out["community_id"].extend([c.community_id] * n)
    out["member_id"].extend(s.member_id.tolist())
    out["joined_at"].extend(s.join.tolist())
    out["left_at"].extend([None if v == NEVER else v for v in s.leave.tolist()])
    out["source_channel"].extend([v or None for v in s.source.tolist()])
    out["inviter_id"].extend([v or None for v in s.inviter.tolist()])
    out["is_staff"].extend(s.is_staff.tolist())
    out["role"].extend(s.role.tolist())
    out["profile_filled"].extend([None if v < 0 else v for v in s.profile_filled.tolist()])
    out["profile_total"].extend([None if v < 0 else v for v in s.profile_total.tolist()])


def _activity_rows(acts: list[Activity], out: Rows) -> None:
    for a in acts:
        out["activity_id"].append(a.activity_id)
        out["community_id"].append(a.community_id)
        out["name"].append(a.name)
        out["kind"].append(a.kind)
        out["planned_start_at"].append(a.planned)
        out["start_at"].append(a.start)
        out["end_at"].append(a.end)
        out["notified_count"].append(a.notified)
        out["cost"].append(a.cost)
        out["campaign_code"].append(a.code)


def _sort_rows(rows: Rows, key: str) -> Rows:
    order = np.argsort(np.asarray(rows[key], dtype=np.int64), kind="stable").tolist()
    return {k: [v[i] for i in order] for k, v in rows.items()}


def _with_ids(rows: Rows, id_col: str, ids: list[object]) -> Rows:
    out: Rows = {id_col: ids}
    out.update(rows)
    return out


def _write_messages(
    path: Path,
    comms: list[Community],
    msgs: list[CommunityMessages],
    people: list[str],
    bank: TextBank,
    progress: Progress | None,
) -> int:
    cidx = np.concatenate([np.full(m.t.size, i, dtype=np.int32) for i, m in enumerate(msgs)])
    t = np.concatenate([m.t for m in msgs])
    seq = np.concatenate([np.arange(1, m.t.size + 1, dtype=np.int64) for m in msgs])
    reply = np.concatenate([np.where(m.reply >= 0, m.reply + 1, -1) for m in msgs])
    sender = np.concatenate([m.sender for m in msgs])
    mtype = np.concatenate([m.mtype for m in msgs])
    text = np.concatenate([m.text for m in msgs])
    recalled = np.concatenate([m.recalled for m in msgs])
    order = np.lexsort((seq, cidx, t))
    n = int(t.size)

    prefixes = pa.array([f"m_{c.community_id[2:]}_" for c in comms], type=pa.string())
    cids = pa.array([c.community_id for c in comms], type=pa.string())
    people_arr = pa.array(people, type=pa.string())
    texts = pa.array(bank.strings, type=pa.string())
    types = pa.array(list(MSG_TYPES), type=pa.string())
    schema = pa.schema(
        [
            ("message_id", pa.string()),
            ("community_id", pa.string()),
            ("sender_id", pa.string()),
            ("sent_at", pa.timestamp("us")),
            ("msg_type", pa.string()),
            ("text", pa.string()),
            ("reply_to", pa.string()),
            ("recalled", pa.bool_()),
        ]
    )
    assert [f.name for f in schema] == TABLES["messages"].column_names

    def ids(ci: np.ndarray, sq: np.ndarray) -> pa.Array:
        pref = prefixes.take(pa.array(ci))
        digits = pc.utf8_slice_codeunits(pc.cast(pa.array(sq + 100_000_000, mask=sq < 0), pa.string()), 1)
        return pc.binary_join_element_wise(pref, digits, "")

    chunk = 1_000_000
    dictionary_cols = ["community_id", "sender_id", "msg_type", "text"]  # ids are unique: no dictionary
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=dictionary_cols) as w:
        for lo in range(0, max(n, 1), chunk):
            sl = order[lo : lo + chunk]
            ci = cidx[sl]
            tx_idx = text[sl]
            batch = pa.table(
                {
                    "message_id": ids(ci, seq[sl]),
                    "community_id": cids.take(pa.array(ci)),
                    "sender_id": people_arr.take(pa.array(sender[sl])),
                    "sent_at": pa.array(
                        t[sl].astype("datetime64[s]").astype("datetime64[us]"), type=pa.timestamp("us")
                    ),
                    "msg_type": types.take(pa.array(mtype[sl].astype(np.int32))),
                    "text": texts.take(pa.array(tx_idx, mask=tx_idx < 0)),
                    "reply_to": ids(ci, reply[sl]),
                    "recalled": pa.array(recalled[sl], type=pa.bool_()),
                },
                schema=schema,
            )
            w.write_table(batch)
            if progress:
                progress("write messages", min(lo + chunk, n), n)
    return n


def generate(
    out_dir: Path,
    scale: str = "small",
    seed: int = 7,
    end_month: str | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the canonical data set into out_dir (one file per table) and return row counts per table.

    ``scale``: "tiny" (~5k messages, for tests), "small" (~100k), "1m" (~1M), "medium" (~5M), "large" (~20M).
    The data covers the twelve months up to ``end_month`` (YYYY-MM, default: the last complete month).
    Deterministic for (seed, end_month, scale).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end_y, end_m = parse_month(end_month or default_end_month())
    w1 = month_start(*add_months(end_y, end_m, 1))
    w0 = month_start(*add_months(end_y, end_m, -(WINDOW_MONTHS - 1)))
    sc = SCALES[scale]

    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, *stream])

    comms, staff = _communities(scale, w1, rng(1))
    bank = build_text_bank(
        rng(2), [f"{x}{i:02d}" for x in ("FLASH", "VIP", "NEW", "HOT") for i in range(1, 30)]
    )
    id_factory = IdFactory(rng(3))
    people = _People()
    pool: dict[str, list[str]] = {}
    spammer_pool: list[str] = []

    members = new_rows(TABLES["members"].column_names)
    activities = new_rows(TABLES["activities"].column_names)
    parts = new_rows(TABLES["activity_participants"].column_names)
    order_rows = new_rows([c for c in TABLES["orders"].column_names if c != "order_id"])
    cost_rows = new_rows(TABLES["costs"].column_names)
    survey_rows = new_rows([c for c in TABLES["surveys"].column_names if c != "response_id"])
    lead_rows = new_rows([c for c in TABLES["leads"].column_names if c != "lead_id"])
    reach_rows = new_rows(TABLES["reach"].column_names)
    msgs: list[CommunityMessages] = []
    staff_codes = {s[0]: int(people.codes([s[0]])[0]) for s in staff}

    for c in comms:
        r = rng(100, c.idx)
        spells = build_spells(c, w0, w1, sc, r, id_factory, pool, spammer_pool)
        codes = people.codes(spells.member_id.tolist())
        acts = plan_activities(c, spells, w0, w1, r)
        m = generate_messages(c, spells, codes, staff_codes, acts, bank, w0, w1, sc, r)
        msgs.append(m)
        _member_rows(c, spells, members)
        _activity_rows(acts, activities)
        chosen = participants(c, spells, acts, r, parts)
        orders(c, spells, acts, w0, w1, r, order_rows)
        surveys(c, spells, m.questions.t, m.questions.spell, m.questions.staff_delay, w0, w1, r, survey_rows)
        leads(c, spells, acts, chosen, w0, w1, r, lead_rows)
        reach(c, spells, w0, w1, r, reach_rows)
        costs(c, acts, w0, w1, r, cost_rows)
        if progress:
            progress("communities", c.idx + 1, len(comms))

    r = rng(4)
    n_member_orders = len(order_rows["paid_at"])
    outsiders = id_factory.customer(max(20, n_member_orders // 4)) + id_factory.wecom(
        max(5, n_member_orders // 40)
    )
    themes = sorted({c.theme for c in comms if c.theme != "b2b"})
    outside_orders(outsiders, themes, [c.community_id for c in comms if c.purpose == "sales"], w0, w1,
                   int(n_member_orders * 0.45), r, order_rows)  # fmt: skip
    order_rows = _sort_rows(order_rows, "paid_at")
    days = [dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(t)) for t in order_rows["paid_at"]]  # type: ignore[call-overload]
    order_ids: list[object] = [f"SO{d:%Y%m%d}{i:07d}" for i, d in enumerate(days, start=1)]
    survey_rows = _sort_rows(survey_rows, "answered_at")
    lead_rows = _sort_rows(lead_rows, "created_at")

    posts = new_rows(TABLES["posts"].column_names)
    daily = new_rows(TABLES["account_daily"].column_names)
    content_accounts(w0, w1, rng(5), posts, daily)
    logs = new_rows(TABLES["staff_logs"].column_names)
    reviews = new_rows(TABLES["reviews"].column_names)
    staff_work(staff, w0, w1, rng(6), logs, reviews)

    communities = new_rows(TABLES["communities"].column_names)
    for c in comms:
        communities["community_id"].append(c.community_id)
        communities["name"].append(c.name)
        communities["platform"].append(c.tpl.platform)
        communities["purpose"].append(c.tpl.purpose)
        communities["created_at"].append(c.created)
        communities["owner_staff_id"].append(c.owner)
        communities["stage"].append(c.tpl.stage if c.primary else None)
        communities["archive_consent"].append(c.tpl.archive_consent)
    staff_rows = new_rows(TABLES["staff"].column_names)
    for sid, name, role, team in staff:
        staff_rows["staff_id"].append(sid)
        staff_rows["name"].append(name)
        staff_rows["role"].append(role)
        staff_rows["team"].append(team)

    tables: dict[str, Rows] = {
        "communities": communities,
        "members": members,
        "activities": activities,
        "activity_participants": parts,
        "orders": _with_ids(order_rows, "order_id", order_ids),
        "costs": cost_rows,
        "surveys": _with_ids(
            survey_rows, "response_id", [f"resp_{i:06d}" for i in range(1, len(survey_rows["kind"]) + 1)]
        ),
        "leads": _with_ids(
            lead_rows, "lead_id", [f"lead_{i:05d}" for i in range(1, len(lead_rows["source"]) + 1)]
        ),
        "reach": reach_rows,
        "posts": posts,
        "account_daily": daily,
        "staff": staff_rows,
        "staff_logs": logs,
        "reviews": reviews,
    }
    counts: dict[str, int] = {}
    for i, (name, rows) in enumerate(tables.items()):
        counts[name] = write_csv(out_dir / f"{name}.csv", name, rows)
        if progress:
            progress("write tables", i + 1, len(tables))
    counts["messages"] = _write_messages(
        out_dir / "messages.parquet", comms, msgs, people.ids, bank, progress
    )
    return {name: counts[name] for name in TABLES}

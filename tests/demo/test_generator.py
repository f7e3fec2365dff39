"""Tests of the demo data generator (tiny scale: ~5k messages; small for the proportions)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qunkpi.demo import default_end_month, generate
from qunkpi.demo import texts as tx
from qunkpi.workspace.schema import TABLES, ColType

END = "2026-10"
W0 = dt.datetime(2025, 11, 1)
W1 = dt.datetime(2026, 11, 1)
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

Row = dict[str, str]


class Data:
    def __init__(self, path: Path, counts: dict[str, int]) -> None:
        self.path = path
        self.counts = counts
        self.tables: dict[str, list[Row]] = {}
        for name in TABLES:
            if name != "messages":
                with (path / f"{name}.csv").open(encoding="utf-8", newline="") as f:
                    self.tables[name] = list(csv.DictReader(f))
        self.msg = pq.read_table(path / "messages.parquet")
        self.m: dict[str, list[Any]] = {c: self.msg.column(c).to_pylist() for c in self.msg.column_names}

    def header(self, name: str) -> list[str]:
        with (self.path / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            return next(csv.reader(f))

    @property
    def staff_ids(self) -> set[str]:
        return {r["staff_id"] for r in self.tables["staff"]}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Data:
    p = tmp_path_factory.mktemp("tiny")
    return Data(p, generate(p, "tiny", seed=7, end_month=END))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Data:
    p = tmp_path_factory.mktemp("small")
    return Data(p, generate(p, "small", seed=7, end_month=END))


def ts(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- files and schema


def test_deterministic(tiny: Data, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", "tiny", seed=7, end_month=END)
    assert again == tiny.counts
    for f in sorted(tiny.path.iterdir()):
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes(), f.name
    other = generate(tmp_path / "other", "tiny", seed=8, end_month=END)
    assert (tmp_path / "other" / "members.csv").read_bytes() != (tiny.path / "members.csv").read_bytes()
    assert other["communities"] == tiny.counts["communities"]


def test_every_table_with_schema_columns(tiny: Data) -> None:
    assert set(tiny.counts) == set(TABLES)
    for name, table in TABLES.items():
        if name == "messages":
            assert tiny.msg.column_names == table.column_names
            assert tiny.msg.schema.field("sent_at").type == pa.timestamp("us")
            assert tiny.msg.schema.field("recalled").type == pa.bool_()
            assert tiny.msg.num_rows == tiny.counts[name]
        else:
            assert tiny.header(name) == table.column_names, name
            assert len(tiny.tables[name]) == tiny.counts[name], name
        assert tiny.counts[name] > 0, name
    assert 3_000 <= tiny.counts["messages"] <= 9_000


def test_keys_unique(tiny: Data) -> None:
    for name, table in TABLES.items():
        if name == "messages":
            keys = Counter(tiny.m["message_id"])
        else:
            keys = Counter(tuple(r[k] for k in table.key) for r in tiny.tables[name])
        dup = [k for k, n in keys.items() if n > 1]
        assert not dup, f"{name}: duplicate keys {dup[:3]}"


def test_values_match_column_types(tiny: Data) -> None:
    for name, table in TABLES.items():
        if name == "messages":
            continue
        for col in table.columns:
            values = [r[col.name] for r in tiny.tables[name]]
            if not col.nullable and col.default is None:
                assert all(v != "" for v in values), f"{name}.{col.name} has blanks"
            vals = [v for v in values if v != ""]
            if col.type is ColType.TS:
                assert all(TS_RE.match(v) for v in vals), f"{name}.{col.name}"
            elif col.type is ColType.DATE:
                assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", v) for v in vals), f"{name}.{col.name}"
            elif col.type is ColType.BOOL:
                assert set(vals) <= {"true", "false"}, f"{name}.{col.name}"
            elif col.type in (ColType.INT, ColType.DECIMAL, ColType.FLOAT):
                nums = [float(v) for v in vals]
                if col.type is ColType.INT:
                    assert all(re.match(r"^-?\d+$", v) for v in vals), f"{name}.{col.name}"
                if col.min_value is not None:
                    assert all(x >= col.min_value for x in nums), f"{name}.{col.name}"
                if col.max_value is not None:
                    assert all(x <= col.max_value for x in nums), f"{name}.{col.name}"
            if col.enum and not col.open_enum:
                assert set(vals) <= set(col.enum), f"{name}.{col.name}: {set(vals) - set(col.enum)}"
    assert set(tiny.m["msg_type"]) <= set(TABLES["messages"].column("msg_type").enum or ())
    for s in tiny.tables["surveys"]:
        score = int(s["score"])
        assert (0 <= score <= 10) if s["kind"] == "nps" else (1 <= score <= 5)


# --------------------------------------------------------------------------- integrity


def test_referential_integrity(tiny: Data) -> None:
    t = tiny.tables
    comms = {c["community_id"]: c for c in t["communities"]}
    staff = tiny.staff_ids
    spells: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in t["members"]:
        assert r["community_id"] in comms
        spells[(r["community_id"], r["member_id"])].append(r)
    assert all(c["owner_staff_id"] in staff for c in comms.values())
    for c in comms:  # owners are staff members of their community
        assert (c, comms[c]["owner_staff_id"]) in spells
    for r in t["members"]:
        if r["inviter_id"]:
            assert r["source_channel"] == "referral"
            assert (r["community_id"], r["inviter_id"]) in spells or r["inviter_id"] in staff
        if r["is_staff"] == "true":
            assert r["member_id"] in staff and r["role"] == "staff"
    acts = {a["activity_id"]: a for a in t["activities"]}
    for p in t["activity_participants"]:
        a = acts[p["activity_id"]]
        assert (a["community_id"], p["member_id"]) in spells
        assert ts(a["start_at"]) <= ts(p["participated_at"]) <= ts(a["end_at"])
    for name in ("surveys", "leads"):
        for r in t[name]:
            assert (r["community_id"], r["member_id"]) in spells, name
    for r in t["costs"] + t["reach"]:
        assert r["community_id"] in comms
    for o in t["orders"]:
        assert o["community_id"] == "" or o["community_id"] in comms
    for r in t["staff_logs"] + t["reviews"]:
        assert r["staff_id"] in staff
    # messages: community, senders, replies to earlier messages of the same community
    idx = {mid: i for i, mid in enumerate(tiny.m["message_id"])}
    for i, (cid, sender, reply) in enumerate(
        zip(tiny.m["community_id"], tiny.m["sender_id"], tiny.m["reply_to"], strict=True)
    ):
        assert cid in comms
        assert (cid, sender) in spells
        if reply is not None:
            j = idx[reply]
            assert tiny.m["community_id"][j] == cid
            assert tiny.m["sent_at"][j] < tiny.m["sent_at"][i]


def test_times_in_range(tiny: Data) -> None:
    t = tiny.tables
    created = {c["community_id"]: ts(c["created_at"]) for c in t["communities"]}
    assert min(tiny.m["sent_at"]) >= W0 and max(tiny.m["sent_at"]) < W1
    by_person: dict[tuple[str, str], list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for r in t["members"]:
        j = ts(r["joined_at"])
        left = ts(r["left_at"]) if r["left_at"] else W1
        assert created[r["community_id"]] <= j < W1
        assert j < left <= W1
        by_person[(r["community_id"], r["member_id"])].append((j, left))
    for spans in by_person.values():  # spells of one person never overlap
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    for a in t["activities"]:
        assert W0 <= ts(a["start_at"]) < ts(a["end_at"]) < W1
    for name, col in (("orders", "paid_at"), ("surveys", "answered_at"), ("leads", "created_at")):
        assert all(W0 <= ts(r[col]) < W1 for r in t[name]), name
    # messages are sent by people present at that moment (members) or staff
    pres: dict[tuple[str, str], list[tuple[dt.datetime, dt.datetime]]] = by_person
    for cid, sender, when in zip(tiny.m["community_id"], tiny.m["sender_id"], tiny.m["sent_at"], strict=True):
        assert any(j <= when < left for j, left in pres[(cid, sender)]), (cid, sender, when)


def test_default_end_month() -> None:
    assert default_end_month(dt.date(2026, 11, 22)) == "2026-10"
    assert default_end_month(dt.date(2027, 1, 1)) == "2026-12"


def test_bad_scale(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, "huge", end_month=END)


# --------------------------------------------------------------------------- scenario content

FILLER = set(tx.combos(tx.FILLER_CORES, tx.FILLER_SUFFIXES)) | {g for bank in tx.GREETINGS for g in bank}


def test_communities_cover_purposes_stages_platforms(tiny: Data) -> None:
    cs = tiny.tables["communities"]
    assert len(cs) >= 8
    assert {c["purpose"] for c in cs} == {"sales", "service", "content", "leads"}
    assert {c["platform"] for c in cs} == {"wecom_group", "wechat_group"}
    assert sum(c["archive_consent"] == "false" for c in cs) == 1
    assert sum(c["stage"] != "" for c in cs) == 1
    ages = {(W1 - ts(c["created_at"])).days / 30.44 for c in cs if c["stage"] == ""}
    assert any(a < 3 for a in ages) and any(3 <= a < 6 for a in ages) and any(a >= 6 for a in ages)
    roles = {s["role"] for s in tiny.tables["staff"]}
    assert roles == {"specialist", "manager", "director"}


def test_members_scenarios(tiny: Data) -> None:
    ms = tiny.tables["members"]
    spells = Counter((r["community_id"], r["member_id"]) for r in ms)
    assert any(n >= 2 for n in spells.values()), "no rejoin"
    sources = {r["source_channel"].split(":")[0] for r in ms}
    assert {"official_account", "poster", "referral", "channel_qr", "utm"} <= sources
    staff = tiny.staff_ids
    inviters = [r["inviter_id"] for r in ms if r["inviter_id"]]
    assert any(i in staff for i in inviters) and any(i not in staff for i in inviters)
    assert any(r["role"] == "kol" for r in ms)
    assert any(r["role"] == "staff" and r["is_staff"] == "false" for r in ms)  # the shill account
    communities_of: dict[str, set[str]] = defaultdict(set)
    for r in ms:
        communities_of[r["member_id"]].add(r["community_id"])
    assert any(len(v) > 1 for k, v in communities_of.items() if k not in staff), "no one in two communities"
    # startups grow fast: most of their members joined in the last months
    created = {c["community_id"]: ts(c["created_at"]) for c in tiny.tables["communities"]}
    young = [cid for cid, t in created.items() if (W1 - t).days < 90]
    assert young and all(sum(r["community_id"] == cid for r in ms) > 10 for cid in young)


def test_message_proportions(tiny: Data) -> None:
    m = tiny.m
    staff = tiny.staff_ids
    member = [
        i
        for i, (s, ty) in enumerate(zip(m["sender_id"], m["msg_type"], strict=True))
        if s not in staff and ty != "system"
    ]
    filler = [i for i in member if m["msg_type"][i] in ("emotion", "redpacket") or m["text"][i] in FILLER]
    share = len(filler) / len(member)
    assert 0.2 <= share <= 0.6, share
    assert any(m["recalled"])
    assert {
        "text",
        "image",
        "link",
        "video",
        "file",
        "emotion",
        "redpacket",
        "vote",
        "system",
        "voice",
    } <= set(m["msg_type"])
    texts = [x for x in m["text"] if x]
    assert any(x.endswith(("？", "?")) for x in texts)
    assert any(x.startswith(("请问", "有没有人知道")) and not x.endswith(("？", "?")) for x in texts)
    assert any(re.search(r"第\d+天|Day ?\d+", x) for x in texts)
    assert any(len(x) >= 30 for x in texts)
    assert any(w in x for x in texts for w in ("差评", "退款", "失望", "一言难尽", "闪退", "买贵了"))


def test_spam_flooding(tiny: Data) -> None:
    m = tiny.m
    groups: dict[tuple[str, str, str], list[dt.datetime]] = defaultdict(list)
    for cid, s, x, when in zip(m["community_id"], m["sender_id"], m["text"], m["sent_at"], strict=True):
        if x:
            groups[(cid, s, x)].append(when)
    floods = [
        k
        for k, v in groups.items()
        if len(v) >= 3 and any((b - a).total_seconds() <= 600 for a, b in zip(v, v[2:], strict=False))
    ]
    assert floods
    assert any(re.search(r"加微|vx|V❤|加我V|加微信", k[2]) for k in floods)


def _id_ok(s: str) -> bool:
    return tx.id_checksum(s[:17]) == s[17]


def test_pii_present_and_valid(small: Data) -> None:
    texts = [x for x in small.m["text"] if x]
    joined = "\n".join(texts)
    assert re.search(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}", joined)
    assert re.search(r"[\w.]+@[\w-]+\.(com|cn)", joined)
    ids = re.findall(r"(?<!\d)\d{17}[\dX](?!\d)", joined)
    assert ids and all(_id_ok(i) for i in ids)
    cards = [c.replace(" ", "") for c in re.findall(r"(?<![\d ])6[\d ]{15,22}\d", joined)]
    cards = [c for c in cards if len(c) in (16, 19) and not _looks_like_id(c)]
    assert cards and all(tx.luhn_valid(c) for c in cards)


def _looks_like_id(s: str) -> bool:
    return len(s) == 18


def test_luhn_and_id_helpers() -> None:
    assert tx.luhn_valid("4111111111111111")
    assert not tx.luhn_valid("4111111111111112")
    assert tx.id_checksum("11010519491231002") == "X"
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert tx.luhn_valid(tx.fake_bank_card(rng).replace(" ", ""))
        assert _id_ok(tx.fake_id_number(rng))


def test_business_tables(tiny: Data) -> None:
    t = tiny.tables
    members = {r["member_id"] for r in t["members"]}
    orders = t["orders"]
    assert any(o["customer_id"] not in members for o in orders)
    assert any(o["community_id"] == "" for o in orders)
    assert any(float(o["refund_amount"]) > 0 for o in orders)
    assert any(o["campaign_code"] for o in orders)
    buyers = Counter(o["customer_id"] for o in orders)
    assert any(n >= 2 for n in buyers.values())
    acts = t["activities"]
    assert {a["kind"] for a in acts} >= {
        "topic",
        "checkin",
        "lecture",
        "webinar",
        "lottery",
        "bounty",
        "promotion",
    }
    assert any(a["planned_start_at"] and a["planned_start_at"] != a["start_at"] for a in acts)
    codes = {a["campaign_code"] for a in acts if a["kind"] == "promotion"}
    assert codes and "" not in codes
    assert any(a["name"].startswith("618") for a in acts)
    assert {s["kind"] for s in t["surveys"]} == {"nps", "csat"}
    assert any(s["comment"] for s in t["surveys"])
    assert any(lead["converted_at"] and lead["deal_amount"] for lead in t["leads"])
    assert {p["kind"] for p in t["posts"]} == {"article", "video", "live"}
    arts = [p for p in t["posts"] if p["kind"] == "article"]
    rate = sum(int(p["read_users"]) for p in arts) / sum(int(p["delivered"]) for p in arts)
    assert 0.03 <= rate <= 0.08
    assert {r["kind"] for r in t["staff_logs"]} >= {
        "interview",
        "topic",
        "sop_check",
        "profile_update",
        "proposal",
    }
    assert {r["account_id"] for r in t["account_daily"]} == {"mp_brand", "sph_brand"}


def test_rhythms(small: Data) -> None:
    m = small.m
    hours = Counter(x.hour for x in m["sent_at"])
    n = sum(hours.values())
    assert sum(hours[h] for h in range(0, 6)) / n < 0.05
    assert sum(hours[h] for h in range(19, 23)) / n > sum(hours[h] for h in range(13, 17)) / n
    b2b = Counter(x.weekday() for c, x in zip(m["community_id"], m["sent_at"], strict=True) if c == "c_b2b01")
    assert (b2b[5] + b2b[6]) / 2 < 0.5 * sum(b2b[d] for d in range(5)) / 5


def test_staff_flooding_community(small: Data) -> None:
    staff = small.staff_ids
    tot: Counter[str] = Counter()
    st: Counter[str] = Counter()
    for c, s in zip(small.m["community_id"], small.m["sender_id"], strict=True):
        tot[c] += 1
        st[c] += s in staff
    share = {c: st[c] / tot[c] for c in tot}
    assert share["c_flash01"] > 0.45
    assert share["c_flash01"] == max(share.values())
    assert 80_000 <= small.counts["messages"] <= 130_000


def test_bad_month_and_answers(small: Data) -> None:
    ms = [r for r in small.tables["members"] if r["community_id"] == "c_flash01" and r["is_staff"] == "false"]
    start, end = dt.datetime(2026, 8, 1), dt.datetime(2026, 9, 1)
    present = sum(ts(r["joined_at"]) <= start and (not r["left_at"] or ts(r["left_at"]) > start) for r in ms)
    leaves = sum(bool(r["left_at"]) and start <= ts(r["left_at"]) < end for r in ms)
    assert leaves / present > 0.05
    # staff answers reply to member questions, mostly within minutes
    m = small.m
    staff = small.staff_ids
    idx = {mid: i for i, mid in enumerate(m["message_id"])}
    delays = [
        (m["sent_at"][i] - m["sent_at"][idx[r]]).total_seconds()
        for i, r in enumerate(m["reply_to"])
        if r is not None and m["sender_id"][i] in staff and m["sender_id"][idx[r]] not in staff
    ]
    assert delays and float(np.median(delays)) < 30 * 60

"""Cohort retention, channel comparison and LTV by cohort on the shop fixture (tests/fixtures/value), by hand.

Non-staff first joins (docs/cohorts.md): 2026-08 u1 (s1); 2026-09 u4 (s1, 09-15, left 10-01 00:00), u5 (s2, 09-01);
2026-10 u2 (s1, 10-05, left 10-20), u3 (s1, 10-10), and — added below — r1 (s2, 10-01 → 10-15, rejoins 10-25).
boss gets an s2 spell too but is in the staff table, so he is in no cohort. Month k since join = the 30-day window
[j + 30k d, j + 30(k+1) d) after the first join j. As of 2026-12-10 unless said otherwise.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import pytest
from tests.conftest import FIXTURES, values
from typer.testing import CliRunner

from qunkpi.cohorts import channel_comparison, ltv_by_cohort, member_ltv, retention_matrix
from qunkpi.errors import PeriodError, QunkpiError
from qunkpi.workspace import Workspace

VALUE = FIXTURES / "value"
AS_OF = datetime(2026, 12, 10)


def _extra_rows(ws: Workspace) -> None:
    pid = ws.person_id
    members = [
        ("s2", "r1", "2026-10-01 00:00:00", "2026-10-15 00:00:00", "channel_qr:门店"),
        ("s2", "r1", "2026-10-25 00:00:00", None, "referral"),
        ("s2", "boss", "2026-10-02 00:00:00", None, "poster"),
    ]
    for comm, who, joined, left, chan in members:
        ws.con.execute(
            "INSERT INTO members VALUES (?, ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, NULL, false, 'member', NULL, NULL, NULL)",
            [comm, pid(who), joined, left, chan],
        )
    # (id, community, sender, sent_at, effective, recalled)
    msgs = [
        ("m1", "s1", "u1", "2026-08-10 10:00:00", True, False),  # u1 window 0
        ("m2", "s1", "u1", "2026-09-10 10:00:00", False, False),  # u1 window 1: filler only
        ("m3", "s1", "u1", "2026-10-29 23:00:00", True, False),  # u1 window 2 = [09-30, 10-30)
        ("m4", "s1", "u4", "2026-09-20 10:00:00", True, False),  # u4 window 0
        ("m5", "s1", "u2", "2026-10-06 10:00:00", True, False),  # u2 window 0
        ("m6", "s1", "u3", "2026-10-15 10:00:00", True, True),  # recalled: counts nowhere
        ("m7", "s1", "u3", "2026-11-12 10:00:00", True, False),  # u3 window 1 = [11-09, 12-09)
        ("m8", "s2", "r1", "2026-10-02 10:00:00", True, False),  # r1 window 0
        ("m9", "s1", "stf", "2026-10-06 10:00:00", True, False),  # staff
    ]
    for mid, comm, who, at, eff, recalled in msgs:
        ws.con.execute(
            "INSERT INTO messages VALUES (?, ?, ?, CAST(? AS TIMESTAMP), 'text', 'x', NULL, ?, NULL)", [mid, comm, pid(who), at, recalled]
        )
        ws.con.execute(
            "INSERT INTO message_labels (message_id, cls, reason, sentiment, sentiment_score, chars, is_effective, is_ugc) "
            "VALUES (?, ?, 'test', 'neutral', 0.0, 10, ?, ?)",
            [mid, "chat" if eff else "filler", eff, False],
        )
    ws.con.execute("INSERT INTO reach VALUES ('s1', 'poster', DATE '2026-10-01', 40, NULL)")


@pytest.fixture
def coh_ws(ws: Workspace) -> Workspace:
    from qunkpi.importers.canonical import import_path

    import_path(ws, VALUE)
    _extra_rows(ws)
    return ws


def _rows(df) -> dict[str, list[object]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[object]] = {}
    for label, row in df.iterrows():
        out[str(label)] = [None if isinstance(v, float) and math.isnan(v) else v for v in row.tolist()]
    return out


def test_membership_retention_matrix(coh_ws: Workspace) -> None:
    df = retention_matrix(coh_ws, "membership", "2026-08", "2026-10", as_of=AS_OF)
    assert list(df.columns) == ["size", 0, 1, 2]
    got = _rows(df)
    assert got["2026-08"] == [1, 1.0, 1.0, 1.0]  # u1 present at 08-01, 08-31, 09-30
    # k1: u4 at 10-15 gone, u5 at 10-01 present → 1/2; k2: u4 11-14 gone, u5 10-31 present → 1/2
    assert got["2026-09"] == [2, 1.0, 0.5, 0.5]
    # k1: u2 at 11-04 gone, u3 11-09 present, r1 10-31 present (rejoined 10-25) → 2/3
    # k2: u2 12-04 gone, u3 12-09 present, r1 11-30 present → 2/3
    assert got["2026-10"] == pytest.approx([3, 1.0, 2 / 3, 2 / 3])


def test_membership_cells_not_yet_observable_are_empty(coh_ws: Workspace) -> None:
    got = _rows(retention_matrix(coh_ws, "membership", "2026-10", "2026-11", as_of=datetime(2026, 11, 5)))
    # as of 11-05: k1 is observable for u2 (11-04) and r1 (10-31) but not yet for u3 (11-09) → the cell stays empty
    # rather than 1/2 from the early joiners alone
    assert got["2026-10"] == [3, 1.0, None]
    assert got["2026-11"] == [0, None, None]  # an empty cohort


def test_membership_matrix_for_one_community(coh_ws: Workspace) -> None:
    got = _rows(retention_matrix(coh_ws, "membership", "2026-09", "2026-10", community="s2", as_of=AS_OF))
    assert got["2026-09"] == [1, 1.0, 1.0]  # u5
    assert got["2026-10"] == [1, 1.0, 1.0]  # r1 (boss is staff)


def test_active_retention_matrix(coh_ws: Workspace) -> None:
    got = _rows(retention_matrix(coh_ws, "active", "2026-08", "2026-10", as_of=AS_OF))
    # u1: effective in window 0, only filler in window 1, effective 10-29 23:00 in window 2
    assert got["2026-08"] == [1, 1.0, 0.0, 1.0]
    # k0: u4 yes, u5 no → 1/2; k1: nobody; k2 not observable for u4 yet (j + 90 d = 12-14 > 12-10) → empty
    assert got["2026-09"] == [2, 0.5, 0.0, None]
    # k0: u2 yes, u3 only a recalled message, r1 yes → 2/3; k1 (j + 60 d ≤ 12-10 for all three): u3's 11-12 → 1/3;
    # k2: nobody observable yet
    assert got["2026-10"] == pytest.approx([3, 2 / 3, 1 / 3, None])


def test_active_retention_needs_classified_messages(ws: Workspace) -> None:
    from qunkpi.importers.canonical import import_path

    import_path(ws, VALUE)
    with pytest.raises(QunkpiError, match="messages"):
        retention_matrix(ws, "active", "2026-08", "2026-10")


def test_bad_arguments_are_user_errors(coh_ws: Workspace) -> None:
    with pytest.raises(PeriodError):
        retention_matrix(coh_ws, "membership", "2026-10", "2026-08")
    with pytest.raises(PeriodError):
        retention_matrix(coh_ws, "membership", "2026-W40", "2026-10")
    with pytest.raises(QunkpiError, match="nope"):
        retention_matrix(coh_ws, "membership", "2026-08", "2026-10", community="nope")
    with pytest.raises(QunkpiError):
        retention_matrix(coh_ws, "weekly", "2026-08", "2026-10")  # type: ignore[arg-type]


def test_channel_comparison(coh_ws: Workspace) -> None:
    df = channel_comparison(coh_ws, "2026-10", as_of=AS_OF)
    rows = {r.channel: r for r in df.itertuples(index=False)}
    # joins (spells) in October: u2 official_account, u3 poster, r1 channel_qr:门店 and (rejoin) referral; boss is staff
    assert list(df.channel) == ["channel_qr:门店", "official_account", "poster", "referral"]  # 1 join each, by name
    assert {c: (r.joins, r.share, r.joiners) for c, r in rows.items()} == {
        "channel_qr:门店": (1, 0.25, 1), "official_account": (1, 0.25, 1), "poster": (1, 0.25, 1), "referral": (1, 0.25, 0),
    }
    # D30: u2 gone at 11-04; u3 present at 11-09; r1 present at 10-31 (rejoined)
    assert (rows["official_account"].d30_retained, rows["official_account"].d30_eligible) == (0, 1)
    assert rows["poster"].d30_retention == 1.0 and rows["channel_qr:门店"].d30_retention == 1.0
    assert math.isnan(rows["referral"].d30_retention)  # no joiner: n/a, not 0
    # conversion within 30 days: u2's o14 (10-25, net 30; o3 was fully refunded), u3's o4 (10-12); r1 bought nothing
    assert rows["official_account"].conversion_rate == 1.0 and rows["poster"].conversion_rate == 1.0
    assert rows["channel_qr:门店"].conversion_rate == 0.0
    # reach: poster 40 on 10-01 → 1 / 40; no reach rows for the others
    assert rows["poster"].join_rate == pytest.approx(1 / 40)
    assert math.isnan(rows["official_account"].join_rate)


def test_channel_comparison_empty_period(coh_ws: Workspace) -> None:
    assert channel_comparison(coh_ws, "2026-06", as_of=AS_OF).empty


def test_ltv_by_cohort_agrees_with_the_metric(coh_ws: Workspace) -> None:
    df = ltv_by_cohort(coh_ws, "2026-08", "2026-10", as_of=AS_OF)
    got = {r.cohort: (r.members, r.buyers, r.revenue, r.ltv_per_member, r.ltv_per_buyer) for r in df.itertuples(index=False)}
    # u1 while present: o1 100 + o2 40 + o5 300 (no community, still his) + o10 40 = 480
    assert got["2026-08"] == (1, 1, 480.0, 480.0, 480.0)
    # u4 o16 25, u5 o11 90
    assert got["2026-09"] == (2, 2, 115.0, 57.5, 57.5)
    # u2: o3 (net 0) while present — a buyer with 0 value; u3 o4 80 + o8 60; r1 nothing → 140 / 3, 140 / 2
    assert got["2026-10"] == pytest.approx((3, 2, 140.0, 140 / 3, 70.0))
    per = member_ltv(coh_ws, community="s1", as_of=AS_OF)
    assert sorted(per.ltv.tolist()) == [0.0, 25.0, 140.0, 480.0]
    # the catalog metric ltv averages the same member values per community: s1's October cohort u2, u3 → 70
    v = values(coh_ws.metrics("2026-10", metrics=["ltv"], as_of=AS_OF), "s1")
    assert v["ltv"] == pytest.approx(70)


def test_cli_cohorts_and_channels(coh_ws: Workspace, tmp_path: Path) -> None:
    from qunkpi.cli.main import app

    coh_ws.close()
    runner = CliRunner()
    ws = str(coh_ws.path)
    res = runner.invoke(app, ["cohorts", "-w", ws, "--kind", "membership", "--from", "2026-08", "--to", "2026-10",
                              "--as-of", "2026-12-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = {d["cohort"]: d for d in json.loads(res.stdout)}
    assert data["2026-09"] == {"cohort": "2026-09", "size": 2, "m0": 1.0, "m1": 0.5, "m2": 0.5}
    res = runner.invoke(app, ["channels", "-w", ws, "--period", "2026-10", "--as-of", "2026-12-10", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith("channel,joins,share,joiners,d30_eligible")
    res = runner.invoke(app, ["cohorts", "-w", ws, "--kind", "ltv", "--from", "2026-08", "--to", "2026-08", "--as-of", "2026-12-10"])
    assert res.exit_code == 0 and "480" in res.stdout
    res = runner.invoke(app, ["cohorts", "-w", ws, "--kind", "bogus", "--from", "2026-08", "--to", "2026-10"])
    assert res.exit_code == 1 and "--kind" in res.output


def _frames_equal(a, b) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("kind", ["membership", "active"])
def test_batched_matrices_equal_the_per_community_ones(coh_ws: Workspace, kind: str) -> None:
    from qunkpi.cohorts import retention_matrices

    coh_ws.con.execute(
        "INSERT INTO communities (community_id, name, platform) VALUES ('s9', 'empty', 'wecom_group')"
    )
    got = retention_matrices(coh_ws, kind, "2026-08", "2026-10", as_of=AS_OF)  # type: ignore[arg-type]
    assert sorted(got) == ["s1", "s2", "s9"]
    for cid, df in got.items():
        _frames_equal(df, retention_matrix(coh_ws, kind, "2026-08", "2026-10", community=cid, as_of=AS_OF))  # type: ignore[arg-type]
    if kind == "membership":
        # by hand (module doc): s1 cohorts 08 u1; 09 u4; 10 u2, u3 — s2: 09 u5; 10 r1
        assert _rows(got["s1"])["2026-09"] == [1, 1.0, 0.0, 0.0]  # u4 left 10-01 00:00
        assert _rows(got["s1"])["2026-10"] == [2, 1.0, 0.5, 0.5]  # u2 gone by 11-04, u3 present
        assert _rows(got["s2"])["2026-10"] == [1, 1.0, 1.0, 1.0]  # r1 rejoined 10-25
    assert _rows(got["s9"]) == {m: [0, None, None, None] for m in ("2026-08", "2026-09", "2026-10")}
    only = retention_matrices(coh_ws, kind, "2026-08", "2026-10", communities=["s2"], as_of=AS_OF)  # type: ignore[arg-type]
    assert list(only) == ["s2"]
    _frames_equal(only["s2"], got["s2"])


def test_batched_matrices_reject_unknown_communities(coh_ws: Workspace) -> None:
    from qunkpi.cohorts import retention_matrices

    with pytest.raises(QunkpiError):
        retention_matrices(coh_ws, "membership", "2026-08", "2026-10", communities=["nope"])


def test_batched_matrices_without_any_join(coh_ws: Workspace) -> None:
    from qunkpi.cohorts import retention_matrices

    got = retention_matrices(coh_ws, "membership", "2020-01", "2020-02", as_of=AS_OF)
    assert sorted(got) == ["s1", "s2"]
    for cid, df in got.items():
        assert _rows(df) == {"2020-01": [0, None, None], "2020-02": [0, None, None]}
        _frames_equal(df, retention_matrix(coh_ws, "membership", "2020-01", "2020-02", community=cid, as_of=AS_OF))

"""Member-level outputs on tests/fixtures/engagement (community e1; see tests/metrics/test_engagement_golden.py
for the message list).

Effective messages in October 2026, per e1 member (messages, distinct days, characters):
  m1 6, 5 days (10-05, 10-08, 10-15, 10-20, 10-25), 10+20+10+30+40+10 = 120, one answer + one share
  k1 3, 2 days (10-12, 10-20), 15+15+30 = 60, one share
  m4 2, 1 day, 10+20 = 30
  x1 1, 1 day, 40, one share (no membership row)
  m2 1, 1 day, 10
Percentile rank = cume_dist among these 5 (share with a value ≤ the member's; ties share the higher rank):
  messages 1,1,2,3,6 → m2 = x1 = 2/5, m4 3/5, k1 4/5, m1 1
  days     1,1,1,2,5 → m2 = x1 = m4 = 3/5, k1 4/5, m1 1
  chars    10,30,40,60,120 → m2 1/5, m4 2/5, x1 3/5, k1 4/5, m1 1
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from typer.testing import CliRunner

from qunkpi.errors import QunkpiError
from qunkpi.members import (
    churn_risk_members,
    koc_candidates,
    lifecycle,
    lifecycle_counts,
    member_list,
    member_scores,
    silent_members,
)
from qunkpi.workspace import Workspace

_LOAD = Path(__file__).parents[1] / "fixtures" / "engagement" / "load.py"


def _fixture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engagement_fixture_members", _LOAD)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


efx = _fixture()


@pytest.fixture
def mws(ws: Workspace) -> Workspace:
    return efx.load(ws)


def test_member_scores_by_hand(mws: Workspace) -> None:
    df = member_scores(mws, "2026-10", communities=["e1"])
    got = {r.member_id: r.member_score for r in df.itertuples()}
    assert got == pytest.approx({
        "m1": 100.0,                               # (1 + 1 + 1) / 3 × 100
        "k1": 80.0,                                # (0.8 + 0.8 + 0.8) / 3 × 100: exactly 80 after rounding
        "m4": (0.6 + 0.6 + 0.4) / 3 * 100,         # 53.33
        "x1": (0.4 + 0.6 + 0.6) / 3 * 100,         # 53.33
        "m2": (0.4 + 0.6 + 0.2) / 3 * 100,         # 40
    })
    m1 = df[df.member_id == "m1"].iloc[0]
    assert (m1.effective_messages, m1.active_days, m1.chars, m1.answers_shares) == (6, 5, 120, 2)
    assert list(df.member_id[:2]) == ["m1", "k1"]  # best first
    assert df.is_koc.tolist() == [True, False, False, False, False]  # k1: 80 but only 2 active days


def test_member_score_weights(mws: Workspace) -> None:
    mws.settings.metrics.member_score_weights = (0.0, 0.0, 1.0)  # text volume only
    got = {r.member_id: r.member_score for r in member_scores(mws, "2026-10", ["e1"]).itertuples()}
    assert got == pytest.approx({"m1": 100.0, "k1": 80.0, "x1": 60.0, "m4": 40.0, "m2": 20.0})
    mws.settings.metrics.member_score_weights = (0.0, 0.0, 0.0)
    with pytest.raises(QunkpiError, match="member_score_weights"):
        member_scores(mws, "2026-10", ["e1"])


def test_koc_candidates_match_koc_count(mws: Workspace) -> None:
    k = koc_candidates(mws, "2026-10", ["e1"])
    # m1: score 100 ≥ 80, 5 active days ≥ 4, answer e13 + share e16; invited m3 (joined 10-03)
    assert k.member_id.tolist() == ["m1"]
    assert k.referred_joins.tolist() == [1]
    counts = mws.metrics("2026-10", communities=["e1"], metrics=["koc_count"])
    assert counts.value.tolist() == [len(k)]


def test_lifecycle_october(mws: Workspace) -> None:
    df = lifecycle(mws, "2026-10", ["e1"])
    got = dict(zip(df.member_id, df.state, strict=True))
    assert got == {
        "m3": "new",            # joined 10-03, first messages 10-10
        "m4": "new",            # joined 10-10
        "m2": "activated",      # joined 09-01, first message ever 10-20
        "x1": "activated",      # no membership row, first message 10-20
        "k1": "returning",      # 09-15 and October
        "m5": "returning",      # 09-20 and 10-06 (left 10-15: present_at_end false)
        "m1": "resurrecting",   # 08-10, nothing in September, October
        "m6": "dormant",        # 09-10; its October message was recalled
    }
    m5 = df[df.member_id == "m5"].iloc[0]
    assert not m5.present_at_end
    counts = lifecycle_counts(df).set_index("state")["members"].to_dict()
    assert counts == {"new": 2, "activated": 2, "returning": 2, "resurrecting": 1, "dormant": 1}


def test_lifecycle_november(mws: Workspace) -> None:
    df = lifecycle(mws, "2026-11", ["e1"])
    got = dict(zip(df.member_id, df.state, strict=True))
    # only m1 speaks in November (11-03): returning; everyone active in October is dormant
    assert got == {"m1": "returning", "k1": "dormant", "m2": "dormant", "m3": "dormant", "m4": "dormant",
                   "m5": "dormant", "x1": "dormant"}


def test_silent_list_is_the_silent_ratio_numerator(mws: Workspace) -> None:
    s = silent_members(mws, "2026-10", ["e1"])
    # present at 11-01 with tenure ≥ 14 d (joined ≤ 10-18): k1 m1 m2 m3 m4 m6. In [10-18, 11-01): k1 m1 m2 m4
    # spoke on 10-20; m3 spoke 10-10/10-11 and joined a1 on 10-10; m6's message was recalled → m6, m3 (longest
    # tenure first)
    assert s.member_id.tolist() == ["m6", "m3"]
    assert s.tenure_days.tolist() == [153.0, 29.0]  # 06-01 → 11-01, 10-03 → 11-01
    ratio = mws.metrics("2026-10", communities=["e1"], metrics=["silent_ratio"]).value.iloc[0]
    assert ratio == pytest.approx(len(s) / 6)
    # N = 7: base (joined ≤ 10-25) is the same six; nobody spoke in [10-25, 11-01) except m1 (10-25 10:00), and
    # k1 joined activity a2 on 10-25 10:00 → k1 and m1 are not silent
    s7 = silent_members(mws, "2026-10", ["e1"], days=7)
    assert sorted(s7.member_id) == ["m2", "m3", "m4", "m6"]


def test_churn_risk(mws: Workspace) -> None:
    # October: engaged in September (k1 h2, m6 h3, m5 h4), silent in October and still present → m6
    assert churn_risk_members(mws, "2026-10", ["e1"]).member_id.tolist() == ["m6"]
    nov = churn_risk_members(mws, "2026-11", ["e1"])
    # engaged in October: m1 (speaks 11-03), k1 (3), m4 (2), m2 (1), x1 (no spell: never "present") → most engaged first
    assert nov.member_id.tolist() == ["k1", "m4", "m2"]
    assert nov.effective_before.tolist() == [3, 2, 1]
    # looking back two months from November adds September's engagement: m6 (h3)
    two = churn_risk_members(mws, "2026-11", ["e1"], lookback=2)
    assert sorted(two.member_id) == ["k1", "m2", "m4", "m6"]


def test_lists_need_classes(ws: Workspace) -> None:
    efx.load(ws, labels=False)
    with pytest.raises(QunkpiError, match="qunkpi classify"):
        member_scores(ws, "2026-10")
    # the silent list needs no classes
    assert silent_members(ws, "2026-10", ["e1"]).member_id.tolist() == ["m6", "m3"]


def test_unknown_list(mws: Workspace) -> None:
    with pytest.raises(QunkpiError, match="silent"):
        member_list(mws, "2026-10", "vip")


def test_cli_formats(mws: Workspace, tmp_path: Path) -> None:
    from qunkpi.cli.main import app

    path = mws.path
    mws.close()
    runner = CliRunner()
    base = ["members", "--workspace", str(path), "--period", "2026-10", "--community", "e1"]
    r = runner.invoke(app, [*base, "--list", "silent", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = pd.read_csv(pd.io.common.StringIO(r.stdout))
    assert rows.member_id.tolist() == ["m6", "m3"]
    r = runner.invoke(app, [*base, "--list", "churn-risk", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert [x["member_id"] for x in json.loads(r.stdout)] == ["m6"]
    out = tmp_path / "scores.xlsx"
    r = runner.invoke(app, [*base, "--list", "scores", "--format", "xlsx", "--out", str(out)])
    assert r.exit_code == 0, r.output
    x = pd.read_excel(out)
    assert len(x) == 5 and x.iloc[0, 2] == "m1"
    r = runner.invoke(app, [*base, "--list", "lifecycle"])
    assert r.exit_code == 0 and "m6" in r.stdout
    r = runner.invoke(app, [*base, "--list", "scores", "--format", "xlsx"])
    assert r.exit_code != 0  # xlsx needs --out

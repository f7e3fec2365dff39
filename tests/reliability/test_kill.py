"""Crashes: SIGKILL an import, a reclassification and a plan refresh, then look at what is stored.

Import (SPEC §1: "nothing already stored is lost or half-written"): each canonical file is committed in one
DuckDB transaction, so after a kill every table holds either its rows from before or all rows of its file, never
some of them; the import log row of a file is written in the same transaction. Re-running the import then gives
exactly the rows of an uninterrupted run (same count, same content: no loss, no duplicates).

Kill points are of two kinds: *injected* ones (the child process kills itself at a named place: inside the
transaction of one table after its rows were inserted, or between two files) that always land where they should,
and *random* ones (the parent kills the child after a random delay), as the issue asks.

Every workspace here is a copy of one freshly initialised workspace, so all share one pseudonymisation key and
stored contents can be compared by hash across workspaces.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from relhelp import CHILD_CLI, CHILD_IMPORT, FULL, PY, REPO, count, kill_after, run_to_end, size, snapshot

from qunkpi.workspace import Workspace
from qunkpi.workspace.schema import TABLE_ORDER

pytestmark = pytest.mark.slow

SCALE = "small" if FULL else "tiny"
TABLE_NAMES = TABLE_ORDER  # every canonical table, from the schema


def tables_state(ws_path: Path) -> dict[str, Any]:
    ws = Workspace.open(ws_path)  # read-write: replays DuckDB's WAL after a crash, as the next command would
    try:
        snap = snapshot(ws.con)
        logged = dict(ws.con.execute('SELECT "table", count(*) FROM import_log GROUP BY 1').fetchall())
    finally:
        ws.close()
    return {"snap": snap, "logged": logged}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qunkpi.demo.generator import generate

    out = tmp_path_factory.mktemp("data") / SCALE
    generate(out, scale=SCALE, seed=7, end_month="2026-10")
    return out


@pytest.fixture(scope="module")
def template_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("tmpl") / "ws"
    Workspace.init(p).close()
    return p


@pytest.fixture(scope="module")
def reference(template_ws: Path, dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted import of the data set: the expected full state, and how long it took."""
    p = tmp_path_factory.mktemp("ref") / "ws"
    shutil.copytree(template_ws, p)
    seconds = run_to_end([CHILD_IMPORT, str(p), str(dataset), "none", "-"])
    state = tables_state(p)
    state["seconds"] = seconds
    state["path"] = p
    empty = tables_state(template_ws)
    state["empty"] = empty["snap"]
    for t in TABLE_NAMES:
        assert state["snap"][t] > 0, f"the demo data set has no {t} rows"
    return state


def fresh_copy(template_ws: Path, where: Path) -> Path:
    shutil.copytree(template_ws, where)
    return where


def assert_each_table_all_or_nothing(state: dict[str, Any], ref: dict[str, Any]) -> dict[str, str]:
    """Each table is exactly as before (empty) or exactly as after a full import; its import-log row agrees."""
    kinds: dict[str, str] = {}
    for t in TABLE_NAMES:
        got = (state["snap"][t], state["snap"][t + "#hash"])
        empty = (ref["empty"][t], ref["empty"][t + "#hash"])
        full = (ref["snap"][t], ref["snap"][t + "#hash"])
        assert got in (empty, full), (
            f"{t}: {got[0]} rows, neither before ({empty[0]}) nor after ({full[0]}): a partial write"
        )
        kinds[t] = "full" if got == full else "empty"
        logged = state["logged"].get(t, 0)
        assert (logged > 0) == (kinds[t] == "full"), (
            f"{t}: import log ({logged} rows) disagrees with the table ({kinds[t]})"
        )
    return kinds


def rerun_and_compare(ws_path: Path, dataset: Path, ref: dict[str, Any]) -> None:
    r = subprocess.run(
        [PY, "-c", CHILD_IMPORT, str(ws_path), str(dataset), "none", "-"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert r.returncode == 0 and "IMPORT-DONE" in r.stdout, r.stderr
    state = tables_state(ws_path)
    for t in TABLE_NAMES:
        assert state["snap"][t] == ref["snap"][t], (
            f"{t}: {state['snap'][t]} rows after the re-run, expected {ref['snap'][t]}"
        )
        assert state["snap"][t + "#hash"] == ref["snap"][t + "#hash"], (
            f"{t}: contents differ from an uninterrupted import"
        )


@pytest.mark.parametrize(
    ("point", "target"),
    [
        ("in_transaction", "members"),
        ("in_transaction", "messages"),
        ("after_commit", "members"),
        ("in_transaction", "staff_logs"),
    ],
)
def test_injected_kill_during_import(
    point: str, target: str, template_ws: Path, dataset: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    ws_path = fresh_copy(template_ws, tmp_path / "ws")
    r = subprocess.run(
        [PY, "-c", CHILD_IMPORT, str(ws_path), str(dataset), point, target],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr[-2000:])
    kinds = assert_each_table_all_or_nothing(tables_state(ws_path), reference)
    order = list(TABLE_ORDER)
    for t in TABLE_NAMES:
        before_target = order.index(t) < order.index(target)
        want = "full" if before_target or (t == target and point == "after_commit") else "empty"
        assert kinds[t] == want, (t, kinds[t], want)
    rerun_and_compare(ws_path, dataset, reference)
    count("kill test: import, injected kill points")


def test_random_kills_during_import(
    template_ws: Path, dataset: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("QUNKPI_KILL_SEED", "20261122")))
    landed: dict[str, int] = {"before any commit": 0, "between commits": 0, "after the last commit": 0}
    for i in range(size(2, 20)):
        ws_path = fresh_copy(template_ws, tmp_path / f"ws{i}")
        kill_after(
            [CHILD_IMPORT, str(ws_path), str(dataset), "none", "-"],
            rng.uniform(0, reference["seconds"] * 1.05),
        )
        kinds = assert_each_table_all_or_nothing(tables_state(ws_path), reference)
        n_full = sum(k == "full" for k in kinds.values())
        landed[
            "before any commit"
            if n_full == 0
            else "after the last commit"
            if n_full == len(kinds)
            else "between commits"
        ] += 1
        rerun_and_compare(ws_path, dataset, reference)
        count("kill test: import, random kill points")
    print(f"random import kills ({SCALE}): {landed}")


# -- reclassification ------------------------------------------------------------------------------------------------

CHILD_CLASSIFY = r"""
import os, signal, sys
import qunkpi.classify.engine as e
from qunkpi.workspace import Workspace

ws_path, point = sys.argv[1], sys.argv[2]
if point == "first_batch":
    real = e._run_batch
    def run_batch(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    e._run_batch = run_batch
print("READY", flush=True)
ws = Workspace.open(ws_path)
e.classify_workspace(ws, full=True)
ws.close()
print("CLASSIFY-DONE")
"""


def labels_state(ws_path: Path) -> tuple[int, int, int]:
    ws = Workspace.open(ws_path)
    try:
        n, distinct, h = ws.con.execute(
            "SELECT count(*), count(DISTINCT message_id), coalesce(sum(hash(l)), 0) FROM message_labels l"
        ).fetchall()[0]
    finally:
        ws.close()
    return int(n), int(distinct), int(h)


@pytest.fixture(scope="module")
def classified(reference: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    p = tmp_path_factory.mktemp("cls") / "ws"
    shutil.copytree(reference["path"], p)
    seconds = run_to_end([CHILD_CLASSIFY, str(p), "none"])
    return {
        "path": p,
        "labels": labels_state(p),
        "seconds": seconds,
        "messages": reference["snap"]["messages"],
    }


def test_injected_kill_during_reclassification(classified: dict[str, Any], tmp_path: Path) -> None:
    """A full reclassification killed after it started writing must leave the old labels (all of them)."""
    p = tmp_path / "ws"
    shutil.copytree(classified["path"], p)
    r = subprocess.run(
        [PY, "-c", CHILD_CLASSIFY, str(p), "first_batch"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    n, distinct, h = labels_state(p)
    assert (n, distinct, h) == classified["labels"], (
        f"after a kill the workspace holds {n} labels for {classified['messages']} messages "
        f"(expected the {classified['labels'][0]} old labels): reclassification is not atomic"
    )
    count("kill test: reclassification, injected kill points")


def test_random_kills_during_reclassification(classified: dict[str, Any], tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("QUNKPI_KILL_SEED", "20261122")) + 1)
    for i in range(size(2, 15)):
        p = tmp_path / f"ws{i}"
        shutil.copytree(classified["path"], p)
        kill_after([CHILD_CLASSIFY, str(p), "none"], rng.uniform(0, classified["seconds"] * 1.05))
        # same rules, same messages: old and new labels are identical, so "all old or all new" = the reference
        assert labels_state(p) == classified["labels"], f"kill {i}: labels are neither all old nor all new"
        r = subprocess.run(
            [PY, "-c", CHILD_CLASSIFY, str(p), "none"], capture_output=True, text=True, cwd=REPO, timeout=600
        )
        assert r.returncode == 0, r.stderr
        assert labels_state(p) == classified["labels"]
        count("kill test: reclassification, random kill points")


# -- plan refresh --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned(classified: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from qunkpi.plans.service import suggest_plan
    from qunkpi.plans.store import plan_path, save_plan

    p = tmp_path_factory.mktemp("plan") / "ws"
    shutil.copytree(classified["path"], p)
    ws = Workspace.open(p, read_only=True)
    cid = str(
        ws.con.execute(
            "SELECT community_id FROM communities WHERE purpose = 'sales' ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
    )
    s = suggest_plan(ws, community_id=cid, period="2026-07")
    ws.close()
    save_plan(p, s.plan)
    old = plan_path(p, cid).read_text(encoding="utf-8")
    q = tmp_path_factory.mktemp("plan2") / "ws"
    shutil.copytree(p, q)
    seconds = run_to_end(refresh_cmd(q, cid))
    new = plan_path(q, cid).read_text(encoding="utf-8")
    assert new != old
    return {"path": p, "cid": cid, "old": old, "new": new, "seconds": seconds}


def refresh_cmd(ws_path: Path, cid: str) -> list[str]:
    return [CHILD_CLI, "plan", "refresh", "--workspace", str(ws_path), "--community", cid, "--save"]


def test_random_kills_during_plan_refresh(planned: dict[str, Any], tmp_path: Path) -> None:
    from qunkpi.plans.model import read_plan_file
    from qunkpi.plans.store import plan_path

    rng = random.Random(int(os.environ.get("QUNKPI_KILL_SEED", "20261122")) + 2)
    seen = {"old": 0, "new": 0}
    for i in range(size(3, 20)):
        p = tmp_path / f"ws{i}"
        shutil.copytree(planned["path"], p)
        kill_after(refresh_cmd(p, planned["cid"]), rng.uniform(0, planned["seconds"] * 1.05))
        text = plan_path(p, planned["cid"]).read_text(encoding="utf-8")
        assert text in (planned["old"], planned["new"]), (
            f"kill {i}: the stored plan is neither the old nor the new one"
        )
        plan, issues = read_plan_file(plan_path(p, planned["cid"]))
        assert plan is not None, issues
        seen["old" if text == planned["old"] else "new"] += 1
        count("kill test: plan refresh, random kill points")
    print(f"plan refresh kills: {seen}")

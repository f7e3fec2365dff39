"""Concurrency: two imports into one workspace, and the dashboard while an import runs (issue 10).

DuckDB allows one read-write process or many read-only ones per database file. An import opens the workspace
read-write; the dashboard (``qunkpi serve``) reads a snapshot copy (workspace/snapshot.py) and switches to a new
copy after the import, so neither blocks the other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from relhelp import CHILD_IMPORT, PY, REPO, count, start

from qunkpi.errors import WorkspaceBusy
from qunkpi.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qunkpi.demo.generator import generate

    out = tmp_path_factory.mktemp("cdata") / "tiny"
    generate(out, scale="tiny", seed=11, end_month="2026-10")
    return out


@pytest.fixture(scope="module")
def loaded(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A workspace with the data set imported once, and its row counts."""
    from qunkpi.importers.canonical import import_path

    p = tmp_path_factory.mktemp("cws") / "ws"
    ws = Workspace.init(p)
    import_path(ws, dataset)
    counts = ws.table_counts()
    ws.close()
    return {"path": p, "counts": counts}


def cli_import(ws: Path, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "qunkpi.cli.main", "import", str(data), "--workspace", str(ws), "--no-classify"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "COLUMNS": "400"},  # Rich wraps the error at the terminal width: keep it on one line
    )


def test_second_import_is_refused_with_a_clear_message(
    loaded: dict[str, Any], dataset: Path, tmp_path: Path
) -> None:
    ws_path = tmp_path / "ws"
    shutil.copytree(loaded["path"], ws_path)
    # import A pauses inside its members transaction, holding the workspace, while B tries to start
    env_pause = {"QUNKPI_PAUSE_S": "20"}
    old = {k: os.environ.get(k) for k in env_pause}
    os.environ.update(env_pause)
    try:
        a, _ = start([CHILD_IMPORT, str(ws_path), str(dataset), "pause_in_transaction", "members"])
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert a.stdout is not None
    assert a.stdout.readline().strip() == "PAUSED"
    b = cli_import(ws_path, dataset)
    assert b.returncode == WorkspaceBusy.exit_code, (b.returncode, b.stdout, b.stderr)
    msg = b.stdout + b.stderr
    flat = "".join(msg.split())  # any wrapping left (long temporary paths) must not hide the words
    assert "".join(str(ws_path).split()) in flat and ("anotherqunkpiprocess" in flat or "另一个" in flat), msg
    assert "Traceback" not in msg
    out, _ = a.communicate(timeout=600)
    assert a.returncode == 0 and "IMPORT-DONE" in out
    # A's re-import of the same data changed no counts; B wrote nothing
    ws = Workspace.open(ws_path, read_only=True)
    assert ws.table_counts() == loaded["counts"]
    ws.close()
    # once A is done, B goes through, and again nothing is doubled
    b2 = cli_import(ws_path, dataset)
    assert b2.returncode == 0, b2.stdout + b2.stderr
    ws = Workspace.open(ws_path, read_only=True)
    assert ws.table_counts() == loaded["counts"]
    ws.close()
    count("concurrency: two imports at once")


@pytest.fixture
def dashboard(loaded: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    from qunkpi.reliability.loadtest import ensure_user, login, server

    ws_path = tmp_path / "ws"
    shutil.copytree(loaded["path"], ws_path)
    user, pw = ensure_user(ws_path)
    with server(ws_path, python=PY) as base:
        yield {"base": base, "cookies": login(base, user, pw), "path": ws_path}


def test_dashboard_keeps_serving_during_an_import(dashboard: dict[str, Any], dataset: Path) -> None:
    """The issue asks that the dashboard keeps serving reads while an import runs — and an operator expects the
    import to run while the dashboard is up (it is a long-running server)."""
    base, cookies = dashboard["base"], dashboard["cookies"]
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
        assert c.get("/api/v1/overview").status_code == 200
        proc = subprocess.Popen(
            [
                PY,
                "-m",
                "qunkpi.cli.main",
                "import",
                str(dataset),
                "--workspace",
                str(dashboard["path"]),
                "--no-classify",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        codes = []
        while proc.poll() is None:
            codes.append(c.get("/api/v1/communities").status_code)
            time.sleep(0.2)
        out = proc.stdout.read() if proc.stdout else ""
        codes.append(c.get("/api/v1/overview").status_code)
    assert set(codes) == {200}, f"dashboard answers during the import: {codes}"
    assert proc.returncode == 0, (
        f"the import was refused while the dashboard was up (exit {proc.returncode}): {out.strip()[-600:]}"
    )
    count("concurrency: dashboard during an import")

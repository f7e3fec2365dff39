"""Fixtures for the web tests: one sample workspace per session, its users, and logged-in test clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
import sample_ws
from sample_ws import PASSWORD, login

USERS = {
    # username: (role, team, staff, communities)
    "admin": ("admin", None, None, []),
    "op1": ("operator", "华东组", "staff1", ["c1"]),
    "op2": ("operator", "华东组", "staff2", ["c2"]),
    "op3": ("operator", "华南组", "staff3", ["c3"]),
    "boss": ("manager", "华东组", "boss1", []),
}


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qunkpi.web.auth import UserStore
    from qunkpi.workspace import Workspace

    path = sample_ws.build(tmp_path_factory.mktemp("web") / "ws")
    store = UserStore(path)
    ws = Workspace.open(path, read_only=True)
    for name, (role, team, staff, comms) in USERS.items():
        store.add(
            name,
            PASSWORD,
            role,
            team=team,
            staff_id=ws.person_id(staff) if staff else None,
            communities=comms,
        )
    return path


@pytest.fixture(scope="session")
def app(sample_path: Path):  # type: ignore[no-untyped-def]
    from qunkpi.web.app import create_app

    return create_app(sample_path)


@pytest.fixture(scope="session")
def clients(app) -> Iterator[dict[str, TestClient]]:  # type: ignore[no-untyped-def]
    out = {name: login(TestClient(app), name) for name in USERS}
    yield out
    for c in out.values():
        c.close()


@pytest.fixture
def anon(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c

"""Fixtures for the web tests: one sample workspace per session, its users, and logged-in test clients."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
import sample_ws
from sample_ws import USERS, login


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_ws.build_with_users(tmp_path_factory.mktemp("web") / "ws")


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

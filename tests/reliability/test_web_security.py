"""Cross-cutting security checks of the dashboard (SPEC §9, issue 10).

Routes are enumerated from the app itself (``app.routes``), so a route added later is covered without touching
this file; a route with a path parameter this file does not know how to fill fails ``test_every_path_parameter
_is_known`` until it is taught here.

The sample workspace is tests/web/sample_ws.py: c1 (sales, staff1, team 华东组), c2 (service, staff2, 华东组),
c3 (content account, staff3, 华南组). Users: op1 sees c1; op2 sees c2; op3 sees c3; boss (manager of 华东组)
sees c1 and c2; admin sees everything.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from relhelp import REPO, count

sys.path.insert(0, str(REPO / "tests" / "web"))
import sample_ws
from sample_ws import PASSWORD, USERS

VISIBLE = {"admin": {"c1", "c2", "c3"}, "op1": {"c1"}, "op2": {"c2"}, "op3": {"c3"}, "boss": {"c1", "c2"}}
ALL = {"c1", "c2", "c3"}
# What must never appear in a response to someone who may not see the community (ids as JSON strings, names,
# the titles of c3's posts).
MARKERS = {
    "c1": ['"c1"', "轻食打卡营", "十月打卡挑战"],
    "c2": ['"c2"', "售后服务群"],
    "c3": ['"c3"', "品牌公众号", "秋季轻食指南", "新品上市"],
}
PATH_FILL = {"kind": "silent", "code": "en"}  # path parameters other than community_id
# reachable without a session, with no data behind them (the OpenAPI schema describes routes, not data)
PUBLIC = {"/login", "/lang/{code}", "/static", "/favicon.ico", "/favicon.svg", "/api/v1/openapi.json"}


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_ws.build_with_users(tmp_path_factory.mktemp("sec") / "ws")


@pytest.fixture(scope="module")
def app(sample_path: Path) -> Any:
    from qunkpi.web.app import create_app

    return create_app(sample_path)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies.get("qunkpi_csrf") or "",
            "next": "/",
        },
        follow_redirects=False,
    )


@pytest.fixture(scope="module")
def clients(app: Any) -> Iterator[dict[str, TestClient]]:
    out = {}
    for name in USERS:
        c = TestClient(app)
        assert login(c, name).status_code == 303
        out[name] = c
    yield out
    for c in out.values():
        c.close()


def _api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute, with the prefix it is served under (FastAPI ≥ 0.165 keeps included routers as
    ``_IncludedRouter`` entries holding ``original_router``; older versions flatten them into ``app.routes``)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix, r
        elif hasattr(r, "original_router"):
            ctx = getattr(r, "include_context", None)
            yield from _api_routes(r.original_router.routes, prefix + str(getattr(ctx, "prefix", "") or ""))


def routes(app: Any) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, path parameters, query parameters) of every route the app serves."""
    out = []
    for prefix, r in _api_routes(app.routes):
        path = prefix + r.path
        params = re.findall(r"{(\w+)(?::\w+)?}", path)
        query = [p.name for p in r.dependant.query_params]
        # query parameters of dependencies (period, community filter ...)
        for sub in r.dependant.dependencies:
            query += [p.name for p in sub.query_params]
        for m in sorted(r.methods or ()):
            if m != "HEAD":
                out.append((m, path, params, sorted(set(query))))
    return out


def fill(path: str, cid: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return cid if name == "community_id" else PATH_FILL[name]

    return re.sub(r"{(\w+)(?::\w+)?}", sub, path)


def test_every_path_parameter_is_known(app: Any) -> None:
    rs = routes(app)
    assert len(rs) >= 15, rs
    unknown = {
        (p, name)
        for _m, p, params, _q in rs
        for name in params
        if name != "community_id" and name not in PATH_FILL
    }
    assert not unknown, f"teach test_web_security.PATH_FILL how to fill these path parameters: {unknown}"


def leaks(text: str, forbidden: set[str]) -> list[str]:
    return [m for cid in sorted(forbidden) for m in MARKERS[cid] if m in text]


def test_every_route_as_every_role_with_forbidden_ids(app: Any, clients: dict[str, TestClient]) -> None:
    """Each GET route, as each user, with each community the user must not see (in the path and in ?community=)
    and an id that does not exist: 403/404, or 200 without a trace of the forbidden community."""
    checked = 0
    for user, c in clients.items():
        forbidden = ALL - VISIBLE[user]
        for method, path, params, query in routes(app):
            if method != "GET":
                continue
            for cid in [*sorted(forbidden), "no-such-community"]:
                url = fill(path, cid)
                q: dict[str, Any] = {"period": "2026-10"}
                if "community" in query:
                    q["community"] = [cid]
                r = c.get(url, params=q, follow_redirects=False)
                checked += 1
                count("web: route x role x forbidden id")
                assert r.status_code != 500, (user, url, r.text[:300])
                if "community_id" in params:
                    assert r.status_code in (403, 404), (user, url, r.status_code, r.text[:300])
                    body = r.text
                    if r.headers.get("content-type", "").startswith("application/json"):
                        assert set(r.json()) <= {"detail"}, (user, url, r.text[:300])
                    assert not leaks(body, forbidden), (user, url, leaks(body, forbidden))
                else:
                    assert not leaks(r.text, forbidden), (user, url, leaks(r.text, forbidden), r.text[:500])
    assert checked > 50


def test_visible_communities_are_served(clients: dict[str, TestClient]) -> None:
    """The other side of the check above: what a user may see is served (otherwise 404 everywhere would pass)."""
    for user, c in clients.items():
        for cid in VISIBLE[user]:
            r = c.get(f"/api/v1/communities/{cid}", params={"period": "2026-10"})
            assert r.status_code == 200, (user, cid, r.status_code)
            assert MARKERS[cid][0] in r.text
        listed = {
            str(x["community_id"]) for x in c.get("/api/v1/communities", params={"period": "2026-10"}).json()
        }
        assert listed == VISIBLE[user], (user, listed)


def test_appraisal_rows_only_for_self_and_team(
    app: Any, clients: dict[str, TestClient], sample_path: Path
) -> None:
    from qunkpi.workspace import Workspace

    ws = Workspace.open(sample_path, read_only=True)
    pid = {s: ws.person_id(s) for s in ("staff1", "staff2", "staff3", "boss1")}
    ws.close()
    may_see = {
        "op1": {pid["staff1"]},
        "op2": {pid["staff2"]},
        "op3": {pid["staff3"]},
        "boss": {pid["staff1"], pid["staff2"], pid["boss1"]},
    }
    for user, allowed in may_see.items():
        r = clients[user].get("/api/v1/appraisal", params={"period": "2026-10"})
        assert r.status_code == 200
        d = r.json()
        rows = d.get("rows", []) if d.get("available") else []
        seen = {row.get("staff_id") for row in rows}
        assert seen <= allowed, (user, seen - allowed)
        for other in set(pid.values()) - allowed:
            assert other not in r.text, (user, "sees another staff member's appraisal")


def test_anonymous_gets_nothing(app: Any) -> None:
    with TestClient(app) as anon:
        for method, path, _params, _q in routes(app):
            if any(path == p or path.startswith(p + "/") for p in PUBLIC):
                continue
            url = fill(path, "c1")
            r = anon.request(method, url, params={"period": "2026-10"}, follow_redirects=False)
            count("web: anonymous request")
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
            else:
                assert r.status_code in (303, 401, 403), (method, url, r.status_code)
            assert not leaks(r.text, ALL), (method, url)


def test_state_changing_requests_need_csrf(app: Any, sample_path: Path) -> None:
    """Every non-GET route refuses a request without the CSRF token, even with a valid session."""
    c = TestClient(app)
    assert login(c, "admin").status_code == 303
    unsafe = [(m, p) for m, p, _params, _q in routes(app) if m not in ("GET", "HEAD", "OPTIONS")]
    assert unsafe, "no state-changing route found (login/logout at least)"
    for method, path in unsafe:
        url = fill(path, "c1")
        r = c.request(method, url, data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 403, (method, url, r.status_code)
        r = c.request(
            method,
            url,
            data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"},
            follow_redirects=False,
        )
        assert r.status_code == 403, (method, url, r.status_code)
    # the session still works after the refused logout
    assert c.get("/api/v1/me").status_code == 200


def test_session_cookie_flags(sample_path: Path) -> None:
    from qunkpi.web.app import create_app

    for secure in (False, True):
        # a Secure cookie comes back only over https: the test client speaks "https" when the app is TLS-only
        with TestClient(
            create_app(sample_path, secure_cookies=secure),
            base_url="https://testserver" if secure else "http://testserver",
        ) as c:
            r = login(c, "op1")
            assert r.status_code == 303
            cookies = [v for k, v in r.headers.multi_items() if k.lower() == "set-cookie"]
            session = [v for v in cookies if v.startswith("qunkpi_session=")]
            assert session, cookies
            flags = session[0].lower()
            assert "httponly" in flags
            assert "samesite=lax" in flags or "samesite=strict" in flags
            assert ("secure" in [f.strip() for f in flags.split(";")]) == secure, flags
            csrf = [v for v in cookies if v.startswith("qunkpi_csrf=")]
            assert csrf and "httponly" in csrf[0].lower()


def test_tampered_or_foreign_session_is_refused(app: Any, clients: dict[str, TestClient]) -> None:
    import base64

    token = clients["op1"].cookies.get("qunkpi_session")
    assert token
    head, rest = token.split(".", 1)
    payload = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    assert b'"op1"' in payload
    forged = (
        base64.urlsafe_b64encode(payload.replace(b'"op1"', b'"admin"')).rstrip(b"=").decode() + "." + rest
    )
    with TestClient(app) as c:
        for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], forged, "x", ""):
            c.cookies.set("qunkpi_session", bad)
            assert c.get("/api/v1/me").status_code == 401


def attempt(
    client: TestClient, username: str, password: str = PASSWORD, *, lang: str = "", xff: str | None = None
) -> Any:
    """One login form submission (with a valid CSRF token), optionally with ?lang= and X-Forwarded-For."""
    if client.cookies.get("qunkpi_csrf") is None:
        client.get("/login")
    return client.post(
        "/login" + (f"?lang={lang}" if lang else ""),
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies.get("qunkpi_csrf") or "",
        },
        headers={"X-Forwarded-For": xff} if xff is not None else None,
        follow_redirects=False,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_login_rate_limited(sample_path: Path) -> None:
    """Defaults: 5 failures for one user name within 15 minutes, then 429 with Retry-After, zh and en."""
    from qunkpi.web.app import create_app

    with TestClient(create_app(sample_path)) as c:
        codes = [login(c, "op2", "wrong-password").status_code for _ in range(6)]
        assert codes[:5] == [401] * 5, codes
        assert codes[5] == 429, codes
        # locked out even with the right password while the window lasts
        r = attempt(c, "op2")
        assert r.status_code == 429 and "qunkpi_session" not in r.cookies
        # the window is 15 minutes from the first failure, which happened seconds ago
        assert 800 < int(r.headers["Retry-After"]) <= 900, r.headers
        assert "登录失败次数过多，请 15 分钟后再试" in r.text
        r = attempt(c, "OP2", lang="en")  # user names are counted case-insensitively
        assert r.status_code == 429
        assert "too many failed logins; try again in 15 minutes" in r.text
        # another account is not locked by op2's failures (5 failures from this address are below its limit)
        assert login(c, "op3").status_code == 303


def test_login_limit_per_address_across_user_names(sample_path: Path) -> None:
    """One client trying one password against many user names: 20 failures from an address lock that address
    (for every user name, right password included) for 15 minutes; other addresses are not affected."""
    from qunkpi.web.app import create_app
    from qunkpi.web.ratelimit import LoginLimiter

    app = create_app(sample_path)
    clock = FakeClock()
    app.state.qunkpi.login_limiter = LoginLimiter(clock=clock)  # the defaults, with a clock the test moves
    spray, other = (
        TestClient(app, client=("203.0.113.7", 40000)),
        TestClient(app, client=("203.0.113.8", 40000)),
    )
    codes = [attempt(spray, f"user{i:02d}", "Summer2026!").status_code for i in range(20)]
    assert codes == [401] * 20, codes
    r = attempt(spray, "user20", "Summer2026!")
    assert r.status_code == 429 and r.headers["Retry-After"] == "900"
    r = attempt(spray, "admin")  # an existing account with its right password, from the locked address
    assert r.status_code == 429 and "qunkpi_session" not in r.cookies
    assert attempt(other, "admin").status_code == 303
    clock.now += 899
    assert attempt(spray, "admin").headers["Retry-After"] == "1"
    clock.now += 1  # the 20 failures leave the window
    assert attempt(spray, "admin").status_code == 303


def test_forwarded_for_only_from_trusted_proxies(sample_path: Path) -> None:
    """X-Forwarded-For is ignored by default (a client could rotate it to dodge the address limit) and believed
    only from a peer given as a trusted proxy."""
    from qunkpi.errors import QunkpiError
    from qunkpi.web.app import create_app
    from qunkpi.web.ratelimit import LoginLimiter

    # not trusted: every attempt counts against the peer 127.0.0.1, whatever the header says
    app = create_app(sample_path)
    app.state.qunkpi.login_limiter = LoginLimiter(max_per_address=3, clock=FakeClock())
    c = TestClient(app, client=("127.0.0.1", 40000))
    codes = [attempt(c, f"u{i}", "x-wrong-x", xff=f"198.51.100.{i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429], codes

    # trusted: the client is the right-most address that is not a trusted proxy
    app = create_app(sample_path, trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    app.state.qunkpi.login_limiter = LoginLimiter(max_per_address=3, clock=FakeClock())
    c = TestClient(app, client=("127.0.0.1", 40000))
    codes = [attempt(c, f"u{i}", "x-wrong-x", xff=f"198.51.100.{i}").status_code for i in range(4)]
    assert codes == [401] * 4, codes  # four different clients, one failure each
    # a client that prepends a fake address does not escape: the proxies append what they saw
    codes = [
        attempt(c, f"v{i}", "x-wrong-x", xff=f"6.6.6.{i}, 192.0.2.9, 10.1.2.3").status_code for i in range(4)
    ]
    assert codes == [401, 401, 401, 429], codes
    assert attempt(c, "admin", xff="192.0.2.9").status_code == 429
    assert attempt(c, "admin", xff="192.0.2.10").status_code == 303
    # a peer that is not a trusted proxy is itself the client, header or not
    d = TestClient(app, client=("192.0.2.9", 40000))
    assert attempt(d, "admin", xff="192.0.2.77").status_code == 429

    with pytest.raises(QunkpiError, match="trusted-proxy"):
        create_app(sample_path, trusted_proxies=["proxy.example"])


def _request(peer: str, *xff: str) -> Any:
    from starlette.requests import Request

    headers = [(b"x-forwarded-for", v.encode()) for v in xff]
    return Request(
        {"type": "http", "method": "POST", "path": "/login", "headers": headers, "client": (peer, 1)}
    )


def test_client_address_rules() -> None:
    from qunkpi.web.ratelimit import client_address, parse_trusted_proxies

    proxies = parse_trusted_proxies(["10.0.0.0/8", "::1"])
    assert client_address(_request("203.0.113.5", "1.2.3.4")) == "203.0.113.5"  # nothing trusted
    assert client_address(_request("203.0.113.5", "1.2.3.4"), proxies) == "203.0.113.5"  # peer not a proxy
    assert client_address(_request("10.0.0.1", "1.2.3.4"), proxies) == "1.2.3.4"
    assert client_address(_request("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.9.9.9"), proxies) == "1.2.3.4"
    assert client_address(_request("::1", "6.6.6.6", "1.2.3.4"), proxies) == "1.2.3.4"  # two header lines
    assert client_address(_request("10.0.0.1", "10.0.0.7, 10.0.0.8"), proxies) == "10.0.0.7"  # all proxies
    assert client_address(_request("10.0.0.1"), proxies) == "10.0.0.1"  # no header


def test_login_limiter_windows_reset_and_keys() -> None:
    """Hand-worked timelines with an injected clock (no sleeping)."""
    from qunkpi.web.ratelimit import LoginLimiter, name_key

    clock = FakeClock()
    lim = LoginLimiter(max_per_name=5, max_per_address=20, window_s=900, clock=clock)
    # per name, whatever the address: failed attempts at t = 0, 100, 200, 300, 400 (relative)
    t0 = clock.now
    for i in range(5):
        clock.now = t0 + 100 * i
        assert lim.attempt("Op1" if i % 2 else "op1", f"192.0.2.{i}") == 0
    assert lim.retry_after("op1", "198.51.100.1") == 900 - 400  # until the attempt at t=0 leaves (t=900)
    assert lim.attempt("op1", "198.51.100.1") == 500  # refused, and not counted
    assert lim.retry_after("op2", "198.51.100.1") == 0
    clock.now = t0 + 899.5
    assert lim.retry_after("op1", "198.51.100.1") == 1  # 0.5 s, rounded up
    clock.now = t0 + 900
    assert lim.attempt("op1", "198.51.100.1") == 0  # four failures left in the window; this one is the fifth
    assert lim.retry_after("op1", "198.51.100.1") == 100  # now the attempt at t=100 must leave

    # a success clears the name's count and takes back its own count from the address, nothing more
    lim = LoginLimiter(max_per_name=5, max_per_address=6, window_s=900, clock=clock)
    for _ in range(4):
        assert lim.attempt("boss", "203.0.113.1") == 0  # wrong passwords
    assert lim.attempt("boss", "203.0.113.1") == 0  # the right one
    lim.succeeded("BOSS", "203.0.113.1")
    for _ in range(4):
        assert lim.attempt("boss", "203.0.113.2") == 0
    assert lim.retry_after("boss", "203.0.113.3") == 0  # 4 since the success (9 without the reset)
    assert lim.attempt("boss", "203.0.113.3") == 0
    assert lim.retry_after("boss", "203.0.113.3") == 900
    # .1 holds its 4 failures: two more reach its limit of 6 (a reset address would hold 2)
    assert lim.attempt("x1", "203.0.113.1") == 0 and lim.attempt("x2", "203.0.113.1") == 0
    assert lim.retry_after("someone-else", "203.0.113.1") == 900

    # IPv6 clients are counted per /64; IPv4-mapped IPv6 as the IPv4 address
    lim = LoginLimiter(max_per_name=100, max_per_address=3, window_s=900, clock=clock)
    for i in range(3):
        assert lim.attempt(f"n{i}", f"2001:db8::{i + 1}") == 0
    assert lim.retry_after("x", "2001:db8::ffff") == 900
    assert lim.retry_after("x", "2001:db8:0:1::1") == 0
    for i in range(3):
        assert lim.attempt(f"m{i}", "::ffff:198.51.100.7") == 0
    assert lim.retry_after("x", "198.51.100.7") == 900

    # a user name longer than any account's is kept as a short hash
    assert len(name_key("x" * 1_000_000)) <= 64
    assert name_key("Admin ") == name_key("admin")


def test_parallel_attempts_cannot_pass_together() -> None:
    """Attempts still comparing their password hash count already: with 5 in flight for one user name, a 6th is
    refused before any of them has finished (else N parallel requests would get N guesses)."""
    from qunkpi.web.ratelimit import LoginLimiter

    lim = LoginLimiter(clock=FakeClock())
    assert [lim.attempt("admin", f"192.0.2.{i}") for i in range(6)] == [0, 0, 0, 0, 0, 900]
    lim2 = LoginLimiter(clock=FakeClock())
    assert [lim2.attempt(f"user{i}", "192.0.2.1") for i in range(21)] == [0] * 20 + [900]


def test_login_limiter_memory_is_bounded() -> None:
    from qunkpi.web.ratelimit import LoginLimiter

    clock = FakeClock()
    lim = LoginLimiter(max_entries=100, clock=clock)
    for i in range(5000):  # random user names from random addresses
        assert lim.attempt(f"name{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}") == 0
    assert lim.sizes() == (100, 100)
    # the newest keys are kept: the last 100 names are still counted, the first ones were pushed out
    lim2 = LoginLimiter(max_per_name=1, max_entries=100, clock=clock)
    for i in range(150):
        assert lim2.attempt(f"name{i}", f"192.0.2.{i}") == 0
    assert lim2.retry_after("name149", "198.51.100.1") == 900
    assert lim2.retry_after("name0", "198.51.100.1") == 0
    # one key holds at most its limit of failure times
    for i in range(1000):
        lim.attempt("same", f"192.0.2.{i % 250}")
        lim.attempt(f"other{i}", "198.51.100.9")
    assert len(lim._names._keys["same"]) == 5
    assert len(lim._addresses._keys["198.51.100.9"]) == 20
    # keys whose last failure left the window are dropped as new failures come in
    lim = LoginLimiter(clock=clock)
    for i in range(50):
        lim.attempt(f"name{i}", f"192.0.2.{i}")
    assert lim.sizes() == (50, 50)
    clock.now += 15 * 60
    lim.attempt("late", "198.51.100.1")
    assert lim.sizes() == (1, 1)


def test_passwords_hashed_with_argon2(sample_path: Path) -> None:
    raw = (sample_path / "web_users.json").read_text(encoding="utf-8")
    assert PASSWORD not in raw
    users = json.loads(raw)["users"]
    assert users and all(u["password_hash"].startswith("$argon2id$") for u in users)
    assert (sample_path / "web_users.json").stat().st_mode & 0o077 == 0, "users file readable by others"


SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "referrer-policy", "x-content-type-options")


def test_security_headers_everywhere(app: Any, clients: dict[str, TestClient]) -> None:
    c = clients["admin"]
    with TestClient(app) as anon:
        responses = {
            "login page": anon.get("/login"),
            "401 api": anon.get("/api/v1/me"),
            "static": anon.get("/static/app.js"),
            "page": c.get("/"),
            "api": c.get("/api/v1/overview", params={"period": "2026-10"}),
            "404 api": c.get("/api/v1/communities/nope"),
            "404 page": c.get("/community/nope"),
            "csv": c.get("/api/v1/communities/c1/members/silent.csv", params={"period": "2026-10"}),
        }
    for what, r in responses.items():
        for h in SECURITY_HEADERS:
            assert h in r.headers, (what, h)
        csp = r.headers["content-security-policy"]
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        script = directives.get("script-src") or directives.get("default-src", "")
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (what, csp)
        assert "frame-ancestors 'none'" in csp or r.headers["x-frame-options"].upper() in (
            "DENY",
            "SAMEORIGIN",
        )
        assert r.headers["x-content-type-options"] == "nosniff"
    assert responses["api"].headers.get("cache-control") == "no-store"


def test_no_inline_script_in_pages(clients: dict[str, TestClient]) -> None:
    """The CSP forbids inline scripts, so the pages must not rely on any (they would silently break)."""
    c = clients["admin"]
    for url in ("/", "/community/c1", "/content", "/appraisal", "/glossary", "/api/v1/docs", "/login"):
        html = c.get(url).text
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            # a JSON data block is not executed (CSP does not apply to it); anything else must load from a file
            assert "src=" in tag.lower() or 'type="application/json"' in tag.lower(), (url, tag)
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), (url, "inline event handler")
        assert "javascript:" not in html.lower(), url


INJECTIONS = [
    "c1' OR '1'='1",
    'c1"; DROP TABLE members; --',
    "../../etc/passwd",
    "%00",
    "c1%27",
    "ｃ１",
    "c1 UNION SELECT * FROM staff",
]


def test_injection_strings_in_every_parameter(app: Any, clients: dict[str, TestClient]) -> None:
    c = clients["op1"]
    before = None
    for method, path, params, query in routes(app):
        if method != "GET":
            continue
        for bad in INJECTIONS:
            url = fill(path, bad) if "community_id" in params else fill(path, "c1")
            qs: dict[str, Any] = {q: bad for q in query}
            r = c.get(url, params=qs, follow_redirects=False)
            count("web: injection strings")
            assert r.status_code < 500, (url, qs, r.status_code, r.text[:300])
            assert not leaks(r.text, ALL - VISIBLE["op1"]), (url, qs)
    after = app.state.qunkpi.data.sql("SELECT count(*) AS n FROM members")["n"].iloc[0]
    assert after == 14 if before is None else after == before  # 10 c1 spells (staff1 + m1..m9) + 4 c2 spells


def test_open_redirects_refused(app: Any) -> None:
    with TestClient(app) as c:
        for nxt in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
            c.get("/login")
            r = c.post(
                "/login",
                data={
                    "username": "op1",
                    "password": PASSWORD,
                    "csrf_token": c.cookies.get("qunkpi_csrf") or "",
                    "next": nxt,
                },
                follow_redirects=False,
            )
            assert r.status_code == 303 and r.headers["location"] == "/", (nxt, r.headers.get("location"))
            r = c.get(f"/lang/en?next={nxt}", follow_redirects=False)
            assert r.headers["location"] == "/", nxt


def test_web_layer_builds_no_sql_from_strings() -> None:
    """The web package never formats SQL itself: every query goes through reports.data with bound parameters."""
    offenders = []
    for f in sorted((REPO / "src" / "qunkpi" / "web").rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "sql", "query")
            ):
                arg = node.args[0] if node.args else None
                if arg is not None and not isinstance(arg, ast.Constant):
                    offenders.append(f"{f.relative_to(REPO)}:{node.lineno}")
    assert not offenders, offenders

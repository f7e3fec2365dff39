"""A bounded load test of the dashboard API on 127.0.0.1 (``scripts/loadtest.py``, ``make reliability``).

It starts ``qunkpi serve``'s app with uvicorn in a child process on a free port, logs in as an admin (a
``loadtest`` account is created in the workspace's users file when none is given), then runs N concurrent
clients for T seconds. Each client is a keep-alive HTTP connection that requests one route after another (no
think time unless ``think_s`` is set): the overview, one community's page data, the alerts, the communities
list, and a community's member lists, picked at random with fixed weights. It reports per route: requests,
errors (status ≠ 200 or a transport error), throughput, and p50/p95/p99 latency.

The server builds the default period's overview and every community's page before it accepts connections
(``create_app(warm=True, warm_before_serving=True)``); the time from starting the process until it answers is
reported as the start-up ("cold start") time. The first overview and community requests are timed separately
("first request"); then every other page of the mix is requested once (pre-warm) and ``warmup_s`` of load runs
before the measured window, so the figures describe a warm server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

SERVER = r"""
import sys, uvicorn
from qunkpi.web.app import create_app
uvicorn.run(create_app(sys.argv[1], warm=True, warm_before_serving=True), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""

#: route kind -> weight in the request mix
MIX = {"overview": 4, "community": 4, "alerts": 1, "communities": 1, "members": 1}


@dataclass
class RouteStats:
    route: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    errors: int
    rps: float
    routes: list[RouteStats]
    cold_ms: dict[str, float] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    period: str = ""
    communities: int = 0
    prewarm_s: float = 0.0
    startup_s: float = 0.0
    think_s: tuple[float, float] = (0.0, 0.0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    def markdown(self) -> str:
        think = (
            f", think time {self.think_s[0]:g}–{self.think_s[1]:g} s between requests"
            if self.think_s[1]
            else ", no think time"
        )
        lines = [
            f"{self.clients} clients{think}, {self.seconds:.0f} s measured: {self.requests} requests, "
            f"{self.rps:.1f} req/s, {self.errors} errors",
            "",
            "| route | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.routes:
            lines.append(
                f"| {r.route} | {r.requests} | {r.errors} | {r.rps:.1f} | {r.p50_ms:.0f} | {r.p95_ms:.0f} | "
                f"{r.p99_ms:.0f} | {r.max_ms:.0f} |"
            )
        return "\n".join(lines)


#: base URL -> seconds from starting the server until it answered (set by :func:`server`)
STARTUP: dict[str, float] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(
    workspace: Path, port: int | None = None, python: str = sys.executable, timeout_s: float = 900
) -> Iterator[str]:
    """Run the dashboard in a child process; yields its base URL. The child is stopped (and reaped) on exit.

    The server warms its pages before it accepts connections, which on the medium demo takes minutes; the time
    until it answered is in :data:`STARTUP` (seconds) while the context is open."""
    port = port or free_port()
    proc = subprocess.Popen(
        [python, "-c", SERVER, str(workspace), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    try:
        deadline = t0 + timeout_s
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"the dashboard exited with {proc.returncode}: {out[-2000:]}")
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    STARTUP[base] = time.monotonic() - t0
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the dashboard did not start")
            time.sleep(0.2)
        yield base
    finally:
        STARTUP.pop(base, None)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_user(workspace: Path, username: str = "loadtest", password: str | None = None) -> tuple[str, str]:
    """An admin account for the test (created or replaced, with a random password unless one is given)."""
    from qunkpi.web.auth import UserStore

    pw = password or secrets.token_urlsafe(18)
    UserStore(workspace).add(username, pw, "admin", replace=True, display_name="load test")
    return username, pw


def login(base: str, username: str, password: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, timeout=30) as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": c.cookies.get("qunkpi_csrf") or "",
                "next": "/",
            },
        )
        if r.status_code not in (200, 303) or "qunkpi_session" not in c.cookies:
            raise RuntimeError(f"login failed: {r.status_code} {r.text[:200]}")
        return httpx.Cookies(c.cookies)


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(q * (len(xs) - 1))))
    return xs[k]


def run_load(
    base: str,
    cookies: httpx.Cookies,
    *,
    clients: int = 50,
    seconds: float = 60,
    warmup_s: float = 5,
    think_s: float | tuple[float, float] = 0.0,
    seed: int = 7,
    prewarm: bool = True,
) -> LoadResult:
    """Drive the API; returns the figures of the measured window.

    ``think_s``: seconds a client waits after each response — a (low, high) range drawn uniformly, or a mean
    (drawn from 0.5–1.5 × the mean); 0 = none (a saturation test).

    ``prewarm``: request every route of the mix once for every community before the load (sequentially), so the
    measured window shows the server with its caches filled, as a dashboard is after its first users."""
    # a long timeout: the first requests fill a cold cache, which on a big workspace takes minutes
    with httpx.Client(base_url=base, cookies=cookies, timeout=600) as c:
        period = c.get("/api/v1/periods").json()["default"]
        comms = [
            str(x["community_id"]) for x in c.get("/api/v1/communities", params={"period": period}).json()
        ]
        if not comms:
            raise RuntimeError("the workspace has no communities")
        cold: dict[str, float] = {}
        for kind, url in (("overview", "/api/v1/overview"), ("community", f"/api/v1/communities/{comms[0]}")):
            t0 = time.perf_counter()
            c.get(url, params={"period": period})
            cold[kind] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        if prewarm:
            for kind in MIX:
                for cid in comms if kind in ("community", "members") else comms[:1]:
                    c.get(_url(kind, random.Random(0), [cid]), params={"period": period})
        warmed = time.perf_counter() - t0
    think = (think_s * 0.5, think_s * 1.5) if isinstance(think_s, (int, float)) else (float(think_s[0]), float(think_s[1]))
    res = asyncio.run(_drive(base, cookies, period, comms, clients, seconds, warmup_s, think, seed, cold))
    res.prewarm_s = warmed
    res.startup_s = STARTUP.get(base, 0.0)
    res.think_s = think
    return res


def _url(kind: str, rng: random.Random, comms: list[str]) -> str:
    cid = rng.choice(comms)
    return {
        "overview": "/api/v1/overview",
        "community": f"/api/v1/communities/{cid}",
        "alerts": "/api/v1/alerts",
        "communities": "/api/v1/communities",
        "members": f"/api/v1/communities/{cid}/members",
    }[kind]


async def _drive(
    base: str,
    cookies: httpx.Cookies,
    period: str,
    comms: list[str],
    clients: int,
    seconds: float,
    warmup_s: float,
    think_s: tuple[float, float],
    seed: int,
    cold: dict[str, float],
) -> LoadResult:
    kinds = [k for k, w in MIX.items() for _ in range(w)]
    lat: dict[str, list[float]] = {k: [] for k in MIX}
    errs: dict[str, int] = dict.fromkeys(MIX, 0)
    samples: list[str] = []
    t_start = time.perf_counter()
    t_measure = t_start + warmup_s
    t_end = t_measure + seconds

    async def client(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60, limits=limits) as c:
            while (now := time.perf_counter()) < t_end:
                kind = rng.choice(kinds)
                t0 = time.perf_counter()
                ok = True
                why = ""
                try:
                    r = await c.get(_url(kind, rng, comms), params={"period": period})
                    await r.aread()
                    ok = r.status_code == 200
                    why = f"{kind}: HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, why = False, f"{kind}: {type(e).__name__}: {e}"
                dt = (time.perf_counter() - t0) * 1000
                if now >= t_measure:
                    lat[kind].append(dt)
                    if not ok:
                        errs[kind] += 1
                        if len(samples) < 10:
                            samples.append(why)
                if think_s[1]:
                    await asyncio.sleep(rng.uniform(*think_s))

    await asyncio.gather(*(client(i) for i in range(clients)))
    measured = min(seconds, max(time.perf_counter() - t_measure, 1e-9))
    routes = [
        RouteStats(
            k,
            len(v),
            errs[k],
            len(v) / measured,
            _pct(v, 0.50),
            _pct(v, 0.95),
            _pct(v, 0.99),
            max(v, default=float("nan")),
        )
        for k, v in lat.items()
    ]
    total = sum(r.requests for r in routes)
    return LoadResult(
        clients,
        measured,
        total,
        sum(errs.values()),
        total / measured,
        routes,
        cold,
        samples,
        period,
        len(comms),
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Load test of the qunkpi dashboard API on 127.0.0.1")
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument(
        "--think",
        default="0",
        help="seconds a client waits between requests: a range such as 1-5, or a mean (0 = none, the default)",
    )
    ap.add_argument(
        "--user", default=None, help="an existing admin account (else a 'loadtest' admin is created)"
    )
    ap.add_argument("--password-env", default=None, help="environment variable holding --user's password")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--no-prewarm", action="store_true", help="do not request every page once before the load"
    )
    args = ap.parse_args(argv)
    if args.user:
        user, pw = args.user, os.environ.get(args.password_env or "", "")
    else:
        user, pw = ensure_user(args.workspace)
    with server(args.workspace) as base:
        res = run_load(
            base,
            login(base, user, pw),
            clients=args.clients,
            seconds=args.seconds,
            warmup_s=args.warmup,
            think_s=_think(args.think),
            prewarm=not args.no_prewarm,
        )
    print(res.markdown())
    print(f"start-up until the server answered (pages built first): {res.startup_s:.0f} s")
    print(f"requesting the other pages once before the load took {res.prewarm_s:.0f} s")
    print("first request after start-up: " + ", ".join(f"{k} {v:.0f} ms" for k, v in res.cold_ms.items()))
    if res.error_samples:
        print("errors, first ones: " + "; ".join(res.error_samples))
    if args.json:
        args.json.write_text(res.to_json(), encoding="utf-8")
    bad = {r.route: r.p95_ms for r in res.routes if r.route in ("overview", "community") and r.p95_ms > 300}
    if bad or res.errors:
        print(f"FAIL: errors={res.errors}, p95 over 300 ms: {bad}")
        return 1
    return 0


def _think(text: str) -> float | tuple[float, float]:
    if "-" in text:
        lo, hi = text.split("-", 1)
        return float(lo), float(hi)
    return float(text)


if __name__ == "__main__":
    raise SystemExit(main())

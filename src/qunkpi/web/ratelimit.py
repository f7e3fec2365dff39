"""Login rate limiting: failed logins counted per user name and per client address, in bounded memory.

Two limits apply at once (defaults below, docs/reliability.md "Security"): at most ``max_per_name`` failures for
one user name and ``max_per_address`` failures from one client address within ``window_s``. While either is
reached, ``POST /login`` answers 429 with a ``Retry-After`` header — even for the right password — until the
oldest counted failure leaves the window. A successful login clears its user name's count, never the address's
(an attacker with one valid account must not be able to reset the count of the address they spray from).

Memory is bounded: each table keeps at most ``max_entries`` keys (the key whose last failure is oldest is dropped
first) and at most the last ``max`` failure times per key; keys whose last failure left the window are dropped as
new failures arrive. User names longer than 64 characters (no account can have one) are kept as a hash, and IPv6
clients are counted per /64 network (one host usually holds a whole /64).

The counts live in the server process: they reset when the server restarts and are not shared between several
server processes (``qunkpi serve`` runs one).

The client address is the connection's peer. ``X-Forwarded-For`` is used only when the peer is one of the
configured trusted proxies (``qunkpi serve --trusted-proxy``); the client is then the right-most address in the
header that is not itself a trusted proxy.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence

from starlette.requests import Request

from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr

WINDOW_S = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
MAX_ENTRIES = 10_000
_MAX_KEY = 64

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _FailureTable:
    """Failure times per key. Keys are kept in the order of their last failure (oldest first), so keys whose last
    failure left the window are always at the front."""

    def __init__(self, limit: int, window_s: float, max_entries: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_entries = max_entries
        self._keys: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def _expire(self, now: float) -> None:
        while self._keys:
            times = next(iter(self._keys.values()))
            if now - times[-1] < self.window_s:
                return
            self._keys.popitem(last=False)

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        times = self._keys.get(key)
        if times is None or len(times) < self.limit:
            return 0.0
        # times holds the last `limit` failures; the oldest of them must leave the window
        return max(0.0, times[0] + self.window_s - now)

    def add(self, key: str, now: float) -> None:
        self._expire(now)
        times = self._keys.pop(key, None)
        if times is None:
            times = deque(maxlen=self.limit)
        times.append(now)
        self._keys[key] = times  # to the end: the newest last failure
        while len(self._keys) > self.max_entries:
            self._keys.popitem(last=False)

    def clear(self, key: str) -> None:
        self._keys.pop(key, None)

    def take_back(self, key: str) -> None:
        """Forget the newest failure of ``key`` (the key may be gone already: expired or pushed out)."""
        times = self._keys.get(key)
        if times:
            times.pop()
            if not times:
                del self._keys[key]


def name_key(username: str) -> str:
    key = username.strip().lower()
    if len(key) > _MAX_KEY:
        return "#" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return key


def address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:_MAX_KEY]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginLimiter:
    """Both login limits; safe to share between request threads. ``clock`` is injectable for tests."""

    def __init__(
        self,
        *,
        max_per_name: int = MAX_FAILURES_PER_NAME,
        max_per_address: int = MAX_FAILURES_PER_ADDRESS,
        window_s: float = WINDOW_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self._names = _FailureTable(max_per_name, window_s, max_entries)
        self._addresses = _FailureTable(max_per_address, window_s, max_entries)
        self._clock = clock
        self._lock = threading.Lock()

    def _wait(self, username: str, address: str, now: float) -> float:
        return max(self._names.wait(name_key(username), now), self._addresses.wait(address_key(address), now))

    def retry_after(self, username: str, address: str) -> int:
        """Whole seconds until this user name from this address may try to log in (0: now); counts nothing."""
        now = self._clock()
        with self._lock:
            return math.ceil(self._wait(username, address, now))

    def attempt(self, username: str, address: str) -> int:
        """Start a login attempt: 0 if it may go ahead — it is then counted as a failure at once, so that parallel
        attempts cannot all pass the check while the password hashes are being compared — or the whole seconds
        to wait (the attempt is refused and not counted). Call :meth:`succeeded` when the password was right."""
        now = self._clock()
        with self._lock:
            wait = self._wait(username, address, now)
            if wait > 0:
                return math.ceil(wait)
            self._names.add(name_key(username), now)
            self._addresses.add(address_key(address), now)
            return 0

    def succeeded(self, username: str, address: str) -> None:
        """The attempt was a successful login: clear the user name's count and take back the address's count of
        this attempt (the address's earlier failures stay)."""
        with self._lock:
            self._names.clear(name_key(username))
            self._addresses.take_back(address_key(address))

    def sizes(self) -> tuple[int, int]:
        """(user names, addresses) currently held."""
        with self._lock:
            return len(self._names), len(self._addresses)


def parse_trusted_proxies(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``--trusted-proxy`` values: addresses or networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``)."""
    out: list[IPNetwork] = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError as e:
            raise QunkpiError(
                tr(
                    f"--trusted-proxy {v!r}：不是 IP 地址或网段（例如 127.0.0.1、10.0.0.0/8）",
                    f"--trusted-proxy {v!r}: not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)",
                )
            ) from e
    return tuple(out)


def _trusted(address: str, proxies: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in proxies)


def client_address(request: Request, trusted_proxies: Sequence[IPNetwork] = ()) -> str:
    """The address a login attempt is counted against (see the module docstring)."""
    peer = request.client.host if request.client else ""
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    hops = [h.strip() for line in request.headers.getlist("x-forwarded-for") for h in line.split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer

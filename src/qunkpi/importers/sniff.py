"""Small, total helpers shared by the converters: encodings, file kinds, timestamps, numbers.

Every function here accepts anything and returns ``None`` (or a neutral value) instead of raising, so a
converter can call them on whatever an export holds.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HEAD_BYTES = 64 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# -- encodings ----------------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> tuple[str, str, bool]:
    """Decode an export: BOM → utf-8-sig / utf-16; strict UTF-8; else GB18030.

    Returns (text, encoding, lossy). ``lossy`` is true when not even GB18030 decoded the bytes cleanly
    and undecodable bytes were replaced (the caller reports a problem).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig", False
        except UnicodeDecodeError:
            return data.decode("utf-8-sig", errors="replace"), "utf-8-sig", True
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", False
        except UnicodeDecodeError:
            return data.decode("utf-16", errors="replace"), "utf-16", True
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030", True


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(n)
    except OSError:
        return b""


# -- file kinds ---------------------------------------------------------------------------------------

_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|meta|body|table|style|title|!--)", re.I)
_XML_START = re.compile(rb"^\s*<(?:\?xml|xml[\s>])", re.I)


def file_kind(head: bytes) -> str:
    """What a file is, from its first bytes: ole, xlsx (any zip), html, xml, json, text, empty, binary."""
    if not head.strip():
        return "empty"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    body = head
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    elif body.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            body = head.decode("utf-16", errors="ignore").encode("utf-8")
        except Exception:  # pragma: no cover - decode with errors="ignore" does not raise
            return "binary"
    if b"\x00" in body[:4096]:
        return "binary"
    if _XML_START.match(body):
        # An HTML table saved as .xls sometimes starts with an XML declaration.
        low = body[:4096].lower()
        return "html" if (b"<html" in low or b"<table" in low) else "xml"
    if _HTML_START.match(body):
        return "html"
    stripped = body.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        low = stripped[:4096].lower()
        return "html" if b"<table" in low or b"<tr" in low else "xml"
    return "text"


# -- timestamps ---------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("Asia/Shanghai")


_EPOCH_MIN = datetime(1990, 1, 1, tzinfo=UTC)


def epoch_to_datetime(value: float, tz: str = "Asia/Shanghai") -> datetime | None:
    """Epoch number → aware datetime: below 10^11 seconds, below 10^14 milliseconds, below 10^17
    microseconds; zero, negative or out-of-range values are unknown (None)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    v = float(value)
    if v <= 0:
        return None
    if v < 1e11:
        secs = v
    elif v < 1e14:
        secs = v / 1e3
    elif v < 1e17:
        secs = v / 1e6
    else:
        return None
    try:
        dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=secs)
    except OverflowError:
        return None
    if dt < _EPOCH_MIN or dt.year > 2200:
        return None
    return dt.astimezone(zone(tz))


_DT_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,6}))?秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$")
_NUM_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def _build(
    y: int,
    mo: int,
    d: int,
    h: int = 0,
    mi: int = 0,
    s: int = 0,
    us: int = 0,
    off: str | None = None,
    tz: str = "",
) -> datetime | None:
    try:
        dt = datetime(y, mo, d, h, mi, s, us)
    except ValueError:
        return None
    if dt.year < 1990 or dt.year > 2200:
        return None
    if off:
        if off == "Z":
            return dt.replace(tzinfo=UTC).astimezone(zone(tz))
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
        return dt.replace(tzinfo=timezone(sign * delta)).astimezone(zone(tz))
    return dt.replace(tzinfo=zone(tz))


def parse_time(value: Any, tz: str = "Asia/Shanghai") -> datetime | None:
    """Any timestamp an export holds → aware datetime in ``tz`` (None when unknown or unreadable).

    Epoch numbers and numeric strings (seconds / ms / µs by magnitude), ``YYYY-MM-DD[ HH:MM[:SS]]`` with
    ``-``, ``/``, ``.`` or 年月日, ISO 8601 with an offset, compact ``YYYYMMDD[HHMMSS]``; naive values are
    in ``tz``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone(tz)) if value.tzinfo is None else value.astimezone(zone(tz))
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone(tz))
    if isinstance(value, (int, float)):
        return epoch_to_datetime(value, tz)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or is_blank(s):
        return None
    cm = _COMPACT_RE.match(s)
    if cm:
        cy, cmo, cd, ch, cmi, csec = (int(x) if x else 0 for x in cm.groups())
        got = _build(cy, cmo, cd, ch, cmi, csec, tz=tz)
        if got is not None:
            return got
    if _NUM_RE.match(s):
        try:
            return epoch_to_datetime(float(s), tz)
        except ValueError:
            return None
    m = _DT_RE.match(s)
    if m:
        y, mo, d, h, mi, sec, frac, off = m.groups()
        us = int((frac or "0").ljust(6, "0")[:6])
        return _build(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0), us, off, tz)
    return None


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with offset; seconds precision unless the value carries milliseconds."""
    if dt is None:
        return None
    return dt.isoformat(timespec="milliseconds" if dt.microsecond else "seconds")


def iso_time(value: Any, tz: str = "Asia/Shanghai") -> str | None:
    return iso(parse_time(value, tz))


def iso_day(value: Any, tz: str = "Asia/Shanghai") -> str | None:
    dt = parse_time(value, tz)
    return None if dt is None else dt.date().isoformat()


# -- numbers ------------------------------------------------------------------------------------------

BLANKS = frozenset(
    {"", "-", "--", "—", "——", "/", "n/a", "na", "null", "none", "nan", "无", "暂无", "不适用"}
)


def is_blank(value: Any) -> bool:
    """An empty cell or one of the placeholders exports use for "no data" ('-', '--', 'N/A', ...)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in BLANKS


def parse_number(value: Any) -> float | None:
    """A number from a cell: 1,234 / '1 234' / '12.5' / '３５' → float; '-' and blanks → None (never 0)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str) or is_blank(value):
        return None
    import unicodedata

    s = unicodedata.normalize("NFKC", value).strip().replace(",", "").replace(" ", "").replace("，", "")
    mult = 1.0
    if s.endswith("万"):
        s, mult = s[:-1], 1e4
    elif s.endswith("亿"):
        s, mult = s[:-1], 1e8
    elif s.lower().endswith("w"):
        s, mult = s[:-1], 1e4
    if s.endswith("%"):
        s, mult = s[:-1], mult / 100
    if not _NUM_RE.match(s):
        return None
    try:
        f = float(s) * mult
    except ValueError:
        return None
    return f if math.isfinite(f) else None


def parse_int(value: Any) -> int | None:
    f = parse_number(value)
    if f is None:
        return None
    return round(f)


def parse_rate(value: Any) -> float | None:
    """A share: '35.2%' → 0.352; 0.352 → 0.352; 35.2 (no % but above 1) → 0.352."""
    f = parse_number(value)
    if f is None:
        return None
    if not (isinstance(value, str) and "%" in value) and f > 1:
        f = f / 100
    return round(f, 6)


_DUR_RE = re.compile(
    r"^(?:(\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*(?:(\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?\s*(?:(\d+(?:\.\d+)?)\s*(?:秒|s))?$",
    re.I,
)


def parse_duration(value: Any) -> float | None:
    """Seconds from '83', '83s', '1分23秒', '01:23', '00:01:23'."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str) or is_blank(value):
        return None
    s = value.strip()
    if ":" in s:
        parts = s.split(":")
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            return None
        total = 0.0
        for n in nums:
            total = total * 60 + n
        return total
    f = parse_number(s)
    if f is not None:
        return f
    m = _DUR_RE.match(s.replace(" ", ""))
    if m and any(m.groups()):
        h, mi, sec = (float(x) if x else 0.0 for x in m.groups())
        return h * 3600 + mi * 60 + sec
    return None


def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    s = str(value).strip()
    return s or None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

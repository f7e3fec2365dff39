"""Shared helpers: encodings, file kinds, timestamps, numbers — and that random input never crashes them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.formats import FORMATS, convert_path, detect_format
from qunkpi.importers.sniff import (
    decode_bytes,
    epoch_to_datetime,
    file_kind,
    iso_time,
    parse_duration,
    parse_int,
    parse_number,
    parse_rate,
    parse_time,
)
from qunkpi.importers.tabular import read_grid


def test_decode_bytes_order() -> None:
    assert decode_bytes("中文".encode("utf-8-sig")) == ("中文", "utf-8-sig", False)
    assert decode_bytes("中文".encode()) == ("中文", "utf-8", False)
    assert decode_bytes("中文".encode("gbk")) == ("中文", "gb18030", False)
    assert decode_bytes("中文".encode("utf-16")) == ("中文", "utf-16", False)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 8, "ole"),
        (b"PK\x03\x04rest", "xlsx"),
        (b"<html><table><tr><td>1</td></tr></table>", "html"),
        (b'<meta charset="gbk"><table>', "html"),
        (b'<?xml version="1.0"?><html><table>', "html"),
        (b"<xml><Event>x</Event></xml>", "xml"),
        (b'\xef\xbb\xbf{"a": 1}', "json"),
        (b"  [1, 2]", "json"),
        ("时间,新关注人数\n".encode("gbk"), "text"),
        (b"", "empty"),
        (b"\x00\x01\x02garbage", "binary"),
    ],
)
def test_file_kind(head: bytes, kind: str) -> None:
    assert file_kind(head) == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1790856900, "2026-10-01T20:15:00+08:00"),
        (1790856900000, "2026-10-01T20:15:00+08:00"),
        (1790856900123, "2026-10-01T20:15:00.123+08:00"),
        (1790856900000000, "2026-10-01T20:15:00+08:00"),
        ("1790856900", "2026-10-01T20:15:00+08:00"),
        ("1790856900000", "2026-10-01T20:15:00+08:00"),
        (1790856900.5, "2026-10-01T20:15:00.500+08:00"),
        ("2026-10-01 20:15:00", "2026-10-01T20:15:00+08:00"),
        ("2026/10/1 20:15", "2026-10-01T20:15:00+08:00"),
        ("2026年10月1日 20:15", "2026-10-01T20:15:00+08:00"),
        ("2026-10-01T12:15:00Z", "2026-10-01T20:15:00+08:00"),
        ("2026-10-01T20:15:00+0800", "2026-10-01T20:15:00+08:00"),
        ("20261001", "2026-10-01T00:00:00+08:00"),
        ("2026-10-01", "2026-10-01T00:00:00+08:00"),
        (datetime(2026, 10, 1, 20, 15), "2026-10-01T20:15:00+08:00"),
        (datetime(2026, 10, 1, 12, 15, tzinfo=UTC), "2026-10-01T20:15:00+08:00"),
        ("-", None),
        ("", None),
        (0, None),
        (-5, None),
        ("yesterday", None),
        ("2026-13-45", None),
        (True, None),
        (float("nan"), None),
    ],
)
def test_parse_time(value: object, expected: str | None) -> None:
    assert iso_time(value) == expected


def test_epoch_boundary_seconds_vs_ms() -> None:
    # below 10^11 a value is seconds, from 10^11 milliseconds; out-of-range instants are unknown
    assert epoch_to_datetime(99_999_999_999) is None  # seconds: year 5138
    assert epoch_to_datetime(100_000_000_000) is None  # milliseconds: 1973, before any export
    assert epoch_to_datetime(4_102_444_800) is not None  # 2100-01-01 in seconds
    assert epoch_to_datetime(4_102_444_800_000) == epoch_to_datetime(4_102_444_800)


@given(st.integers(min_value=631152000, max_value=4102444800))
def test_epoch_seconds_and_ms_agree(secs: int) -> None:
    """The same instant in seconds, milliseconds and as a numeric string normalises identically."""
    a = parse_time(secs)
    assert a is not None
    assert parse_time(secs * 1000) == a
    assert parse_time(str(secs * 1000)) == a
    assert parse_time(str(secs)) == a
    assert int(a.timestamp()) == secs


@given(st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30), st.booleans()))
def test_parse_time_total(value: object) -> None:
    got = parse_time(value)
    assert got is None or got.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234", 1234),
        ("-", None),
        ("--", None),
        ("", None),
        ("N/A", None),
        ("３５", 35),
        (" 12 ", 12),
        ("1.2万", 12000),
        (7.0, 7),
    ],
)
def test_parse_int(value: object, expected: int | None) -> None:
    assert parse_int(value) == expected


def test_rates_and_durations() -> None:
    assert parse_rate("35.2%") == 0.352
    assert parse_rate(0.352) == 0.352
    assert parse_rate("35.2") == 0.352
    assert parse_rate("-") is None
    assert parse_duration("1分05秒") == 65
    assert parse_duration("00:01:05") == 65
    assert parse_duration("42秒") == 42
    assert parse_duration("83s") == 83
    assert parse_duration("-") is None


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats()))
def test_parse_number_total(value: object) -> None:
    parse_number(value)
    parse_rate(value)
    parse_duration(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=600),
    prefix=st.sampled_from(
        [
            b"",
            b"\xef\xbb\xbf",
            b"PK\x03\x04",
            bytes.fromhex("D0CF11E0A1B11AE1"),
            b"<table>",
            b"[{",
            b"{",
            b"<xml>",
        ]
    ),
)
def test_random_bytes_never_crash(tmp_path: Path, data: bytes, prefix: bytes) -> None:
    """Whatever a file holds, sniffing and every converter answer with rows or problems, never an exception."""
    f = tmp_path / "random.bin"
    f.write_bytes(prefix + data)
    file_kind(prefix + data)
    decode_bytes(prefix + data)
    read_grid(f)
    fmt = detect_format(f)
    assert fmt is None or fmt in FORMATS
    out = convert_path(f, None, ConvertOptions(account="a"))
    assert out
    if fmt is None:
        assert out[0][2].problems  # a single unrecognised file is a clear problem
    for name in FORMATS:
        c = FORMATS[name](f, ConvertOptions(account="a"))
        assert c.rows_read >= 0

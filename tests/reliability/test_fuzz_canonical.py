"""Bad input into the canonical importer (CSV, JSON Lines, XLSX): random bytes, truncated files, wrong encodings,
huge fields, wrong types, duplicate ids, timestamps in the future or before 2000, negative amounts.

The contract (SPEC §1, issue 10): every file either imports or fails with a :class:`QunkpiError` naming file,
row and column — never another exception, never a hang, and a failed import writes nothing at all (every stored
table, the import log included, is byte-for-byte what it was).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from relhelp import count, fuzz_settings, no_hang, snapshot

from qunkpi.errors import QunkpiError, ValidationFailed
from qunkpi.importers.canonical import import_path
from qunkpi.workspace import Workspace

# -- a workspace shared by the examples of this module (each example checks its own before/after) ------------


@pytest.fixture(scope="module")
def fws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("fuzz") / "ws")
    d = tmp_path_factory.mktemp("base")
    (d / "communities.csv").write_text(
        "community_id,name,platform,purpose,created_at\nc1,打卡群,wecom_group,sales,2026-01-01 00:00:00\n",
        encoding="utf-8",
    )
    import_path(ws, d)
    yield ws
    ws.close()


def run_import(ws: Workspace, name: str, data: bytes) -> tuple[str, Any]:
    """Import one file; returns ("ok", report) or ("error", QunkpiError). Checks the no-partial-write rule."""
    before = snapshot(ws.con)
    with tempfile.TemporaryDirectory() as td:
        path = Path(td) / name
        path.write_bytes(data)
        try:
            with no_hang(60):
                report = import_path(ws, path)
        except QunkpiError as e:
            assert str(e).strip(), "an error must say what is wrong"
            assert snapshot(ws.con) == before, "a failed import changed stored rows (partial write)"
            if isinstance(e, ValidationFailed):
                assert e.problems, "ValidationFailed without problems"
                for p in e.problems:
                    assert p.file and p.message
            return "error", e
    after = snapshot(ws.con)
    for t in report.tables:
        assert after[t.table] == before[t.table] + t.inserted, (t, before[t.table], after[t.table])
    assert after["import_log"] == before["import_log"] + len(report.tables)
    return "ok", report


# -- value strategies ---------------------------------------------------------------------------------------------

NOW = datetime.now()
junk_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.sampled_from(
        [
            "",
            " ",
            "NULL",
            "null",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "0x1F",
            "true",
            "是",
            "１２３",
            "2026-13-45",
            "2026/10/05 25:61:00",
            "1999-12-31 23:59:59",
            "9999-12-31 23:59:59",
            '"',
            '""',
            ",",
            "\n",
            "\r\n",
            "\x00",
            "\t",
            "'; DROP TABLE members; --",
            "\ufeff",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=1, max_value=3).map(lambda k: "长" * (10_000 * k)),  # huge field
)
timestamps = st.one_of(
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.isoformat(sep=" ")
    ),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2026, 1, 1)).map(
        lambda d: d.strftime("%Y/%m/%d %H:%M")
    ),
    st.integers(min_value=0, max_value=2**41).map(str),  # epoch seconds or milliseconds: not a timestamp here
    junk_text,
)
amounts = st.one_of(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False).map(str),
    st.integers(min_value=-(10**6), max_value=10**6).map(lambda n: f"{n:,}"),
    junk_text,
)
ids = st.one_of(st.sampled_from(["o1", "o2", "o3", "m1", "m2"]), st.text(min_size=1, max_size=12), junk_text)

ORDER_COLS = [
    "order_id",
    "customer_id",
    "community_id",
    "paid_at",
    "amount",
    "refund_amount",
    "campaign_code",
]
MEMBER_COLS = [
    "community_id",
    "member_id",
    "joined_at",
    "left_at",
    "source_channel",
    "is_staff",
    "role",
    "profile_filled",
    "profile_total",
]
COLUMN_VALUES: dict[str, st.SearchStrategy[str]] = {
    "order_id": ids,
    "customer_id": ids,
    "community_id": st.one_of(st.just("c1"), ids),
    "paid_at": timestamps,
    "amount": amounts,
    "refund_amount": amounts,
    "campaign_code": st.one_of(st.none().map(lambda _: ""), junk_text),
    "member_id": ids,
    "joined_at": timestamps,
    "left_at": st.one_of(st.just(""), timestamps),
    "source_channel": junk_text,
    "is_staff": st.sampled_from(["true", "false", "1", "0", "是", "否", "maybe", ""]),
    "role": st.sampled_from(["member", "kol", "staff", "admin", "", "KOL"]),
    "profile_filled": amounts,
    "profile_total": amounts,
}


@st.composite
def table_rows(draw: st.DrawFn) -> tuple[str, list[str], list[dict[str, Any]]]:
    table, cols = draw(st.sampled_from([("orders", ORDER_COLS), ("members", MEMBER_COLS)]))
    # drop, repeat or rename a column now and then (wrong headers)
    cols = list(cols)
    if draw(st.integers(0, 9)) == 0:
        cols.remove(draw(st.sampled_from(cols)))
    if draw(st.integers(0, 9)) == 0:
        cols.append(draw(st.text(min_size=1, max_size=8)))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: COLUMN_VALUES.get(c, junk_text) for c in cols}), min_size=0, max_size=8
        )
    )
    return table, cols, rows


def to_csv(cols: list[str], rows: list[dict[str, Any]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, delimiter=delimiter, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def encode(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding`` (utf-8-sig adds the BOM; characters the encoding lacks become "?")."""
    return text.encode(encoding, errors="replace")


# -- the generic contract -------------------------------------------------------------------------------------------


@fuzz_settings(40, 2000)
@given(
    spec=table_rows(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]),
    cut=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
)
def test_csv_never_crashes_and_never_half_writes(
    fws: Workspace, spec: Any, encoding: str, cut: float | None
) -> None:
    table, cols, rows = spec
    data = encode(to_csv(cols, rows), encoding)
    if cut is not None:  # a truncated file
        data = data[: int(len(data) * cut)]
    run_import(fws, f"{table}.csv", data)
    count("canonical import: CSV (fuzzed cells/encodings/truncation)")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), junk_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@fuzz_settings(40, 1500)
@given(
    table=st.sampled_from(["orders", "members", "messages", "communities"]),
    records=st.lists(
        st.one_of(
            st.dictionaries(
                st.sampled_from(
                    [
                        *ORDER_COLS,
                        *MEMBER_COLS,
                        "message_id",
                        "sender_id",
                        "sent_at",
                        "msg_type",
                        "text",
                        "name",
                        "platform",
                        "created_at",
                    ]
                ),
                json_values,
                max_size=10,
            ),
            json_values,
        ),
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
    as_array=st.booleans(),
)
def test_jsonl_never_crashes_and_never_half_writes(
    fws: Workspace, table: str, records: list[Any], cut: float | None, as_array: bool
) -> None:
    text = (
        json.dumps(records, ensure_ascii=False)
        if as_array
        else "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    )
    data = text.encode("utf-8")
    if cut is not None:
        data = data[: int(len(data) * cut)]
    run_import(fws, f"{table}.jsonl", data)
    count("canonical import: JSON Lines (random types, truncation)")


@fuzz_settings(30, 1000)
@given(
    name=st.sampled_from(["members.csv", "orders.jsonl", "messages.xlsx", "orders.parquet", "posts.tsv"]),
    data=st.binary(max_size=2048),
)
def test_random_bytes(fws: Workspace, name: str, data: bytes) -> None:
    run_import(fws, name, data)
    count("canonical import: random bytes (csv/jsonl/xlsx/parquet/tsv)")


def xlsx_safe(v: str) -> str:
    """What an Excel cell can hold: no control characters (openpyxl refuses them); long texts are cut to keep
    the test quick (the CSV test covers huge fields)."""
    return v[:2000].translate({i: None for i in range(32) if i not in (9, 10, 13)})


@fuzz_settings(10, 300)
@given(
    spec=table_rows(),
    corrupt=st.one_of(st.none(), st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=16))),
)
def test_xlsx_never_crashes_and_never_half_writes(
    fws: Workspace, spec: Any, corrupt: tuple[int, bytes] | None
) -> None:
    import openpyxl

    table, cols, rows = spec
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append([xlsx_safe(c) for c in cols])
    for r in rows:
        sheet.append([xlsx_safe(str(r.get(c, ""))) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if corrupt is not None:
        at, junk = corrupt
        at %= len(data)
        data = data[:at] + junk + data[at + len(junk) :]
    run_import(fws, f"{table}.xlsx", data)
    count("canonical import: XLSX (fuzzed cells, corrupted zip)")


# -- targeted faults: the right error at the right row and column --------------------------------------------------


def valid_orders(n: int) -> list[dict[str, str]]:
    return [
        {
            "order_id": f"o{i}",
            "customer_id": f"m{i % 3}",
            "community_id": "c1",
            "paid_at": f"2026-10-{1 + i % 28:02d} 10:00:00",
            "amount": f"{10 + i}.50",
            "refund_amount": "0",
            "campaign_code": "",
        }
        for i in range(n)
    ]


FAULTS: dict[str, tuple[str, Any]] = {
    # fault name: (column, value or callable(row_index) for the faulty row)
    "negative amount": ("amount", "-12.00"),
    "negative refund": ("refund_amount", "-1"),
    "amount not a number": ("amount", "十二元"),
    "timestamp before 2000": ("paid_at", "1999-12-31 23:59:59"),
    "timestamp far in the future": ("paid_at", (NOW + timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S")),
    "timestamp unreadable": ("paid_at", "yesterday"),
    "empty required id": ("order_id", ""),
    "duplicate id": ("order_id", None),  # copies the id of row 0
}


@fuzz_settings(25, 800)
@given(
    n=st.integers(min_value=2, max_value=30),
    data=st.data(),
    fault=st.sampled_from(sorted(FAULTS)),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_bad_value_is_named_by_file_row_and_column(
    fws: Workspace, n: int, data: st.DataObject, fault: str, fmt: str
) -> None:
    rows = valid_orders(n)
    i = data.draw(st.integers(min_value=1, max_value=n - 1), label="faulty row")
    col, value = FAULTS[fault]
    rows[i][col] = rows[0]["order_id"] if value is None else value
    if fmt == "csv":
        raw = to_csv(ORDER_COLS, rows).encode("utf-8")
        shown_row = i + 2  # header is row 1, rows[0] is row 2
    else:
        raw = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("utf-8")
        shown_row = i + 1  # line numbers
    outcome, err = run_import(fws, f"orders.{fmt}", raw)
    assert outcome == "error", f"{fault} at row {shown_row} was accepted"
    assert isinstance(err, ValidationFailed)
    named = {(p.row, p.column) for p in err.problems}
    want_col = "order_id" if fault == "duplicate id" else col
    assert any(r == shown_row and want_col in (c or "") for r, c in named), (fault, shown_row, named)
    count("canonical import: targeted faults (row/column named)")


# -- encodings: what goes in comes out ------------------------------------------------------------------------------


# Common Chinese characters whose GB18030 bytes are not valid UTF-8 on their own (a GBK file made only of such
# pairs could be mistaken for UTF-8; see docs/reliability.md "Known limits").
def _valid_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_CJK = "".join(
    ch
    for ch in "群运营活动打卡签到分享问题回答课程宝妈轻食健身读书会员福利优惠券直播视频公众号社区团购母婴护肤新品上市售后服务"
    if not _valid_utf8(ch.encode("gb18030"))
)


@fuzz_settings(20, 600)
@given(
    names=st.lists(
        st.text(alphabet=_CJK + "ABC 123（）·-", min_size=3, max_size=20).map(str.strip).filter(bool),
        min_size=3,
        max_size=6,
        unique=True,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]),
    delimiter=st.sampled_from([",", "\t"]),
)
def test_encodings_round_trip(fws: Workspace, names: list[str], encoding: str, delimiter: str) -> None:
    rows = [
        {
            "community_id": f"enc{i}",
            "name": nm,
            "platform": "wechat_group",
            "created_at": "2026-01-01 00:00:00",
        }
        for i, nm in enumerate(names)
    ]
    text = to_csv(["community_id", "name", "platform", "created_at"], rows, delimiter=delimiter)
    raw = encode(text, encoding)
    outcome, err = run_import(fws, "communities.tsv" if delimiter == "\t" else "communities.csv", raw)
    assert outcome == "ok", err
    stored = dict(
        fws.con.execute(
            "SELECT community_id, name FROM communities WHERE community_id IN (SELECT unnest(?::VARCHAR[]))",
            [[r["community_id"] for r in rows]],
        ).fetchall()
    )
    assert stored == {r["community_id"]: r["name"] for r in rows}
    count("canonical import: encodings round trip")


def test_reimport_counts_no_duplicates(fws: Workspace) -> None:
    """Re-importing the same file updates, never duplicates (hand count: 5 orders in, 5 stored, twice)."""
    raw = to_csv(ORDER_COLS, valid_orders(5)).encode()
    run_import(fws, "orders.csv", raw)
    _, r2 = run_import(fws, "orders.csv", raw)
    assert r2.tables[0].inserted == 0 and r2.tables[0].updated == 5
    n = fws.con.execute(
        "SELECT count(*), count(DISTINCT order_id) FROM orders WHERE order_id IN ('o0','o1','o2','o3','o4')"
    ).fetchall()[0]
    assert n == (5, 5)

"""Bad input into every real-export converter (``qunkpi.importers.formats.FORMATS``) and the period parser.

Converters promise (importers/base.py) never to raise on a bad file: they return problems or counted skips. The
inputs are the hand-made fixtures of tests/importers/fixtures, damaged the ways real files get damaged (cut off
mid-download, bytes flipped, re-saved in another encoding, a line doubled, a huge field pasted in), plus pure
random bytes. The full import path (``import_with_format``) must then either store everything or nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from relhelp import count, fuzz_settings, no_hang, snapshot

from qunkpi.engine.periods import Period, parse_period
from qunkpi.errors import PeriodError, QunkpiError
from qunkpi.importers.base import Converted, ConvertOptions
from qunkpi.importers.formats import FORMATS, detect_format
from qunkpi.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "importers" / "fixtures"
SAMPLES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".md", ".py", ".toml"))
MAPPING = FIXTURES / "channels" / "custom_mapping.toml"


def test_fixtures_found() -> None:
    assert len(SAMPLES) >= 20, SAMPLES
    assert set(FORMATS) == {
        "wecom-archive",
        "wecom-groups",
        "wecom-group-events",
        "mp-datacube",
        "mp-excel",
        "channels",
        "wechat-history",
    }


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    """A fixture file (name, bytes) with one or two kinds of damage."""
    src = draw(st.sampled_from(SAMPLES))
    data = src.read_bytes()
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "reencode", "dup_line", "huge", "nul"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip":
            junk = draw(st.binary(min_size=1, max_size=8))
            data = data[:at] + junk + data[at + len(junk) :]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
        elif kind == "reencode":
            enc = draw(st.sampled_from(["gb18030", "utf-16", "utf-8-sig", "big5", "latin-1"]))
            data = data.decode("utf-8", "replace").encode(enc, "replace")
        elif kind == "dup_line":
            lines = data.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                data = b"".join(lines)
        elif kind == "huge":
            data = data[:at] + ("群" * draw(st.integers(10_000, 200_000))).encode() + data[at:]
        else:
            data = data[:at] + b"\x00" * draw(st.integers(1, 50)) + data[at:]
    return src.name, data


def convert_bytes(fmt: str, name: str, data: bytes) -> Converted:
    with tempfile.TemporaryDirectory() as td:
        path = Path(td) / name
        path.write_bytes(data)
        opts = ConvertOptions(community="c1", account="acc1", mapping=MAPPING if fmt == "channels" else None)
        with no_hang(60):
            got = FORMATS[fmt](path, opts)  # must not raise
            detect_format(path)  # must not raise either
    assert isinstance(got, Converted)
    for p in got.problems:
        assert p.file and p.message
    for n in got.skipped.values():
        assert n > 0
    return got


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_converters_survive_damaged_files(fmt: str) -> None:
    @fuzz_settings(25, 600)
    @given(sample=damaged())
    def run(sample: tuple[str, bytes]) -> None:
        convert_bytes(fmt, *sample)
        count(f"converter {fmt}: damaged fixtures")

    run()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_converters_survive_random_bytes(fmt: str) -> None:
    @fuzz_settings(15, 300)
    @given(
        name=st.sampled_from(["x.json", "x.jsonl", "x.csv", "x.xlsx", "x.xls", "x.xml", "x.txt", "x.html"]),
        data=st.binary(max_size=4096),
    )
    def run(name: str, data: bytes) -> None:
        convert_bytes(fmt, name, data)
        count(f"converter {fmt}: random bytes")

    run()


@pytest.fixture(scope="module")
def fws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace.init(tmp_path_factory.mktemp("fmt") / "ws")


@fuzz_settings(25, 600)
@given(sample=damaged())
def test_import_with_format_stores_all_or_nothing(fws: Workspace, sample: tuple[str, bytes]) -> None:
    from qunkpi.importers.dispatch import import_with_format

    name, data = sample
    before = snapshot(fws.con)
    with tempfile.TemporaryDirectory() as td:
        path = Path(td) / name
        path.write_bytes(data)
        opts = ConvertOptions(
            community="c1",
            account="acc1",
            mapping=MAPPING if "channels" in name or name.startswith(("works", "custom")) else None,
        )
        try:
            with no_hang(90):
                import_with_format(fws, path, None, opts)
        except QunkpiError as e:
            assert str(e).strip()
            assert snapshot(fws.con) == before, "a failed import changed stored rows"
    count("import --format: damaged fixtures end to end")


# -- periods ----------------------------------------------------------------------------------------------------------

labels = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A\s*-?\d{1,6}(-?[WwQq]?\d{0,3}){0,2}(\.\.\d{1,5}-\d{1,3}-\d{1,3})?\s*\Z"),
    st.builds(
        lambda y, m, d: f"{y}-{m}-{d}", st.integers(-5, 10**5), st.integers(-1, 14), st.integers(-1, 40)
    ),
    st.builds(lambda y, w: f"{y}-W{w}", st.integers(0, 10**4), st.integers(0, 60)),
    st.builds(lambda a, b: f"{a}..{b}", st.dates().map(str), st.dates().map(str)),
)


@fuzz_settings(300, 20000)
@given(label=labels)
def test_parse_period_gives_a_period_or_a_clear_error(label: str) -> None:
    try:
        p = parse_period(label)
    except PeriodError as e:
        assert str(e).strip()
        count("parse_period: rejected")
        return
    assert isinstance(p, Period)
    assert p.start < p.end
    assert parse_period(p.label) == p  # the label it prints reads back to the same period
    if p.grain != "range":
        assert p.previous().end == p.start and p.next().start == p.end
    count("parse_period: accepted")

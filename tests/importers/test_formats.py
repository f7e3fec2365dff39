"""Format detection and folder conversion: a folder of mixed formats and encodings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.importers.conftest import FIX, rows, skipped_with

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.formats import FORMATS, convert_path, detect_format, summary_counts


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("wecom-archive/archive.jsonl", "wecom-archive"),
        ("wecom-archive/archive_array.json", "wecom-archive"),
        ("wecom-archive/archive_truncated.jsonl", "wecom-archive"),
        ("wecom-groups/groupchat_get.json", "wecom-groups"),
        ("wecom-groups/groups.jsonl", "wecom-groups"),
        ("wecom-group-events/events.xml", "wecom-group-events"),
        ("wecom-group-events/events.json", "wecom-group-events"),
        ("mp-datacube/getusersummary.json", "mp-datacube"),
        ("mp-datacube/getarticletotal.json", "mp-datacube"),
        ("mp-excel/user_analysis_gbk.csv", "mp-excel"),
        ("mp-excel/user_analysis_bom.csv", "mp-excel"),
        ("mp-excel/user_analysis_ole.xls", "mp-excel"),
        ("mp-excel/articles_html.xls", "mp-excel"),
        ("mp-excel/articles.xlsx", "mp-excel"),
        ("mp-excel/channel_daily.csv", "mp-excel"),
        ("channels/works.csv", "channels"),
        ("channels/works.xlsx", "channels"),
        ("wechat-history/skincare_group_old.csv", "wechat-history"),
        ("wechat-history/live_group_new.csv", "wechat-history"),
        ("wechat-history/12345678901@chatroom_0_500.csv", "wechat-history"),
        ("wechat-history/wxpy_log.csv", "wechat-history"),
        ("mp-excel/damaged_ole.xls", None),
        ("channels/custom_headers.csv", None),  # needs --format channels --mapping
    ],
)
def test_detect_format(rel: str, fmt: str | None) -> None:
    assert detect_format(FIX / rel) == fmt


def test_every_format_has_fixtures() -> None:
    assert {p.name for p in FIX.iterdir() if p.is_dir()} == set(FORMATS)


def _mixed_folder(tmp_path: Path) -> Path:
    d = tmp_path / "exports"
    (d / "wechat").mkdir(parents=True)
    for rel in (
        "mp-excel/user_analysis_gbk.csv",  # GB18030
        "mp-excel/user_analysis_bom.csv",  # UTF-8 with BOM
        "mp-excel/articles_html.xls",  # HTML table, gb2312 meta
        "wecom-archive/archive.jsonl",  # UTF-8 JSON Lines
        "wecom-groups/groupchat_get.json",
    ):
        shutil.copy(FIX / rel, d / Path(rel).name)
    shutil.copy(FIX / "wechat-history/wxpy_log.csv", d / "wechat" / "wxpy_log.csv")  # GB18030, in a subfolder
    shutil.copy(
        FIX / "wechat-history/skincare_group_old.csv", d / "wechat" / "skincare_group_old.csv"
    )  # utf-8-sig
    (d / "README.md").write_text("notes about these exports", encoding="utf-8")
    (d / "mapping.toml").write_text("[columns]\n", encoding="utf-8")
    (d / ".hidden.csv").write_text("x", encoding="utf-8")
    (d / "photo.bin").write_bytes(b"\x00\x01\x02\x03" * 10)
    return d


def test_mixed_encoding_folder(tmp_path: Path) -> None:
    out = convert_path(_mixed_folder(tmp_path), None, ConvertOptions(account="gh_x"))
    got = [(f.name, fmt) for f, fmt, _c in out]
    assert ("photo.bin", "unknown") in got
    detected = [x for x in got if x[1] != "unknown"]
    # member lists first, then messages, then accounts
    assert detected == [
        ("groupchat_get.json", "wecom-groups"),
        ("archive.jsonl", "wecom-archive"),
        ("skincare_group_old.csv", "wechat-history"),
        ("wxpy_log.csv", "wechat-history"),
        ("articles_html.xls", "mp-excel"),
        ("user_analysis_bom.csv", "mp-excel"),
        ("user_analysis_gbk.csv", "mp-excel"),
    ]
    assert all(not c.problems for _f, _fmt, c in out)
    unknown = next(c for f, fmt, c in out if fmt == "unknown")
    assert skipped_with(unknown, "file format not recognised") == 1
    counts = summary_counts(out)
    assert counts["messages"] == 19 + 11 + 6
    # Chinese text survived every encoding
    texts = {m["text"] for _f, fmt, c in out if fmt == "wechat-history" for m in rows(c, "messages")}
    assert "第12天打卡：读完第三章" in texts and "大家晚上好" in texts
    titles = {p["title"] for _f, _fmt, c in out for p in rows(c, "posts")}
    assert "秋冬护肤的五个误区" in titles


def test_forced_format_and_unknown_format(tmp_path: Path) -> None:
    out = convert_path(
        FIX / "channels/custom_headers.csv",
        "channels",
        ConvertOptions(account="a", mapping=FIX / "channels/custom_mapping.toml"),
    )
    assert [fmt for _f, fmt, _c in out] == ["channels"] and not out[0][2].problems
    out = convert_path(FIX / "channels/works.csv", "tiktok", ConvertOptions())
    assert out[0][2].problems and "wecom-archive" in out[0][2].problems[0].hint
    out = convert_path(tmp_path / "missing", None, ConvertOptions())
    assert out[0][2].problems


def test_wrong_forced_format_is_a_problem_not_a_crash() -> None:
    out = convert_path(FIX / "wecom-groups/groupchat_get.json", "wecom-archive", ConvertOptions())
    c = out[0][2]
    assert c.problems and not c.tables.get("messages")

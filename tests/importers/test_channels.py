"""Channels exports through the column mapping (default and user-supplied)."""

from __future__ import annotations

from pathlib import Path

from tests.importers.conftest import FIX, by, convert, rows, skipped_with

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.channels import convert as convert_channels
from qunkpi.importers.channels import default_mapping

ACC = "sph_beauty"


def test_default_mapping_csv() -> None:
    c = convert("channels", "channels/works.csv", account=ACC)
    assert not c.problems
    posts = by(rows(c, "posts"), "title")
    p = posts["三分钟学会秋冬底妆"]
    assert p["kind"] == "video"
    assert p["read_users"] == "12000"
    assert p["completion_rate"] == "0.352"
    assert p["avg_watch_seconds"] == "42"
    assert (p["likes"], p["comments"], p["share_users"], p["new_followers"]) == ("560", "48", "130", "66")
    q = posts["会员日开箱"]
    assert q["read_users"] == "3000" and q["avg_watch_seconds"] == "65" and q["comments"] is None
    assert q["published_at"] == "2026-10-02T12:00:00+08:00"
    assert skipped_with(c, "total row") == 1
    (comm,) = rows(c, "communities")
    assert comm["platform"] == "channels"


def test_xlsx_gives_the_same_posts() -> None:
    a = by(rows(convert("channels", "channels/works.csv", account=ACC), "posts"), "post_id")
    b = by(rows(convert("channels", "channels/works.xlsx", account=ACC), "posts"), "post_id")
    assert set(a) == set(b)
    for k in a:
        assert {x: y for x, y in a[k].items() if x != "__row"} == {
            x: y for x, y in b[k].items() if x != "__row"
        }


def test_custom_mapping_file() -> None:
    opts = ConvertOptions(account=ACC, mapping=FIX / "channels/custom_mapping.toml")
    c = convert_channels(FIX / "channels/custom_headers.csv", opts)
    assert not c.problems
    posts = by(rows(c, "posts"), "title")
    assert posts["Autumn base makeup in 3 minutes"]["kind"] == "video"  # 短视频
    assert posts["Member day unboxing live"]["kind"] == "live"  # 直播
    assert posts["Behind the scenes"]["kind"] == "other"  # 花絮: unknown type
    assert skipped_with(c, "unknown content type 花絮 kept as other") == 1
    assert posts["Autumn base makeup in 3 minutes"]["completion_rate"] == "0.352"
    assert posts["Member day unboxing live"]["avg_watch_seconds"] == "65"


def test_without_mapping_the_custom_headers_are_not_found() -> None:
    c = convert("channels", "channels/custom_headers.csv", account=ACC)
    assert c.problems and "--mapping" in c.problems[0].hint


def test_bad_mapping_files(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text("[columns]\nviews = ['播放量']\n", encoding="utf-8")
    c = convert_channels(FIX / "channels/works.csv", ConvertOptions(account=ACC, mapping=bad))
    assert c.problems and c.problems[0].column == "columns.views"
    broken = tmp_path / "m.json"
    broken.write_text("{not json", encoding="utf-8")
    c = convert_channels(FIX / "channels/works.csv", ConvertOptions(account=ACC, mapping=broken))
    assert c.problems and "not valid" in c.problems[0].message
    yaml_map = tmp_path / "m.yaml"
    yaml_map.write_text("columns:\n  read_users: 播放量\n", encoding="utf-8")
    c = convert_channels(FIX / "channels/works.csv", ConvertOptions(account=ACC, mapping=yaml_map))
    assert not c.problems and len(rows(c, "posts")) == 2


def test_default_mapping_is_shipped() -> None:
    m = default_mapping()
    assert "播放量" in m["columns"]["read_users"] and m["kinds"]["直播"] == "live"

"""Official-account back-office downloads: OLE .xls, .xlsx, HTML-as-.xls, CSV in GB18030 / BOM."""

from __future__ import annotations

from tests.importers.conftest import by, convert, rows, skipped_with

ACC = "gh_skincare"


def _daily(rel: str) -> list[dict]:
    c = convert("mp-excel", rel, account=ACC)
    assert not c.problems, [p.format() for p in c.problems]
    return [{k: v for k, v in r.items() if k != "__row"} for r in rows(c, "account_daily")]


EXPECTED_USERS = [
    {
        "account_id": ACC,
        "day": "2026-10-01",
        "followers_total": "10520",
        "new_followers": "36",
        "unfollows": "3",
        "source": None,
    },
    {
        "account_id": ACC,
        "day": "2026-10-02",
        "followers_total": "10526",
        "new_followers": "8",
        "unfollows": None,
        "source": None,
    },
    {
        "account_id": ACC,
        "day": "2026-10-03",
        "followers_total": "10530",
        "new_followers": "5",
        "unfollows": "1",
        "source": None,
    },
]


def test_gb18030_csv_with_title_line_dash_and_total_row() -> None:
    assert _daily("mp-excel/user_analysis_gbk.csv") == EXPECTED_USERS
    c = convert("mp-excel", "mp-excel/user_analysis_gbk.csv", account=ACC)
    assert skipped_with(c, "total row") == 1
    assert [r["__row"] for r in rows(c, "account_daily")] == [
        3,
        4,
        5,
    ]  # spreadsheet rows, title line included


def test_legacy_ole_xls_with_date_cells() -> None:
    assert _daily("mp-excel/user_analysis_ole.xls") == EXPECTED_USERS


def test_bom_csv_with_channel_rows() -> None:
    c = convert("mp-excel", "mp-excel/user_analysis_bom.csv", account=ACC)
    daily = {(r["day"], r["source"]): r for r in rows(c, "account_daily")}
    assert daily[("2026-10-01", None)]["followers_total"] == "10520"  # 全部 = all channels
    assert ("2026-10-01", "扫描二维码") not in daily
    assert skipped_with(c, "per-channel row") == 1
    assert daily[("2026-10-02", "搜一搜")]["followers_total"] is None


def test_html_table_saved_as_xls_in_gbk() -> None:
    c = convert("mp-excel", "mp-excel/articles_html.xls", account=ACC)
    assert not c.problems
    posts = by(rows(c, "posts"), "title")
    assert set(posts) == {"秋冬护肤的五个误区", "十月会员日 福利"}
    p = posts["秋冬护肤的五个误区"]
    assert p["delivered"] == "10500"  # "10,500"
    assert p["favorite_users"] is None  # "-"
    assert p["is_original"] == "true" and posts["十月会员日 福利"]["is_original"] == "false"
    assert p["published_at"] == "2026-10-01T20:00:00+08:00"
    assert p["post_id"].startswith("mp:")
    assert skipped_with(c, "row without a title") == 1


def test_xlsx_articles_reads_from_share() -> None:
    c = convert("mp-excel", "mp-excel/articles.xlsx", account=ACC)
    assert not c.problems
    posts = by(rows(c, "posts"), "title")
    assert posts["秋冬护肤的五个误区"]["read_users"] == "1180"
    assert posts["秋冬护肤的五个误区"]["reads_from_share"] == "360"  # friends' shares + Moments
    assert posts["十月会员日"]["reads_from_share"] is None
    # the same article in the HTML download gets the same id: re-importing another download updates it
    html = by(rows(convert("mp-excel", "mp-excel/articles_html.xls", account=ACC), "posts"), "title")
    assert html["秋冬护肤的五个误区"]["post_id"] == posts["秋冬护肤的五个误区"]["post_id"]


def test_channel_daily_totals_are_skipped_with_reason() -> None:
    c = convert("mp-excel", "mp-excel/channel_daily.csv", account=ACC)
    assert not c.tables and not c.problems
    assert skipped_with(c, "daily reading totals by channel") == 2


def test_damaged_ole_gives_clear_error() -> None:
    c = convert("mp-excel", "mp-excel/damaged_ole.xls", account=ACC)
    assert len(c.problems) == 1
    assert "legacy Excel (.xls, OLE)" in c.problems[0].message
    assert ".xlsx" in c.problems[0].hint


def test_account_is_required() -> None:
    c = convert("mp-excel", "mp-excel/user_analysis_gbk.csv")
    assert c.problems and "--account" in c.problems[0].hint

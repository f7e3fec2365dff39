"""Official account back-office downloads (公众号后台 → 数据分析 → 下载表格) → account_daily and posts.

The files are legacy .xls (OLE), .xlsx, HTML tables saved as .xls, or CSV in UTF-8 / BOM / GB18030; a
title and a date range often sit above the header row. Which table a sheet feeds is decided by its header:

* 用户分析 (时间, 新关注人数, 取消关注人数, 净增关注人数, 累积关注人数[, 渠道]) → account_daily;
* 单篇图文 / 内容分析 with a title column (标题, 发表时间, 送达人数, 阅读人数, 分享人数, 微信收藏人数, ...) → posts;
* 图文分析 daily totals by channel (日期, 渠道, 阅读人数, ..., 发表篇数) hold no per-article data: counted as
  skipped with that reason.

"-" and empty cells are unknown (null), never 0.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector, Converted, ConvertOptions
from qunkpi.importers.mp_datacube import POST_FIELDS, need_account
from qunkpi.importers.sniff import is_blank, iso, parse_int, parse_time, text_or_none
from qunkpi.importers.tabular import find_header, norm_header, read_grid, records

USER_COLS: dict[str, tuple[str, ...]] = {
    "day": ("时间", "日期", "统计日期", "ref_date", "date"),
    "new_followers": ("新关注人数", "新增关注人数", "新关注用户数", "新增关注", "new_user"),
    "unfollows": ("取消关注人数", "取消关注用户数", "取消关注", "cancel_user"),
    "net": ("净增关注人数", "净增关注", "净增人数"),
    "followers_total": ("累积关注人数", "累计关注人数", "累积用户数", "总关注人数", "cumulate_user"),
    "source": ("渠道", "来源", "关注来源", "用户来源"),
}
POST_COLS: dict[str, tuple[str, ...]] = {
    "post_id": ("msgid", "消息id", "文章id", "图文id"),
    "title": ("标题", "文章标题", "图文标题", "内容标题"),
    "published_at": ("发表时间", "发布时间", "群发时间", "发送时间", "时间", "日期"),
    "delivered": ("送达人数", "送达用户数", "推送人数"),
    "read_users": ("阅读人数", "图文阅读人数", "图文页阅读人数", "阅读用户数", "总阅读人数"),
    "share_users": ("分享人数", "分享转发人数", "转发人数", "分享用户数"),
    "favorite_users": ("微信收藏人数", "收藏人数"),
    "reads_from_share": ("分享产生的阅读人数", "转发阅读人数", "好友转发阅读人数"),
    "moments_reads": ("朋友圈阅读人数",),
    "likes": ("点赞人数", "点赞数", "赞"),
    "comments": ("留言数", "评论数", "留言人数"),
    "is_original": ("是否原创", "原创"),
    "category": ("分类", "类别", "栏目"),
}
CHANNEL_DAILY = ("发表篇数", "跳转阅读原文", "跳转阅读原文人数")
TOTAL_WORDS = {"合计", "总计", "全部", "全部渠道", "汇总", "total", "all"}


def _find(header: list[str], names: tuple[str, ...]) -> str | None:
    for n in names:
        k = norm_header(n)
        if k in header:
            return k
    return None


def excel_day(value: Any, tz: str) -> datetime | None:
    """A day cell: a date, a date string, or an Excel serial number (days since 1899-12-30)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return datetime(1899, 12, 30) + timedelta(days=float(value))
    if (
        isinstance(value, str)
        and value.strip().replace(".", "", 1).isdigit()
        and 20000 < float(value) < 80000
    ):
        return datetime(1899, 12, 30) + timedelta(days=float(value))
    return parse_time(value, tz)


def parse_yes_no(value: Any) -> bool | None:
    s = text_or_none(value)
    if s is None or is_blank(s):
        return None
    if s.lower() in ("是", "原创", "true", "yes", "y", "1"):
        return True
    if s.lower() in ("否", "非原创", "false", "no", "n", "0"):
        return False
    return None


def convert(path: Path, opts: ConvertOptions) -> Converted:
    col = Collector(path)
    grid = read_grid(path, col)
    if not grid.rows:
        return col.result()
    known = [n for names in (*USER_COLS.values(), *POST_COLS.values()) for n in names] + list(CHANNEL_DAILY)
    hi = find_header(grid, known)
    if hi is None:
        col.problem(
            None,
            None,
            tr("没有找到公众号数据的表头", "no official-account data header found"),
            tr(
                "需要如 时间/新关注人数/取消关注人数/累积关注人数，或 标题/阅读人数/分享人数 的列",
                "expected columns such as 时间/新关注人数/取消关注人数/累积关注人数, or 标题/阅读人数/分享人数",
            ),
        )
        return col.result()
    header, rows = records(grid, hi)
    account = need_account(col, opts)
    col.rows_read = len(rows)
    if account is None:
        return col.result()
    title = _find(header, POST_COLS["title"])
    if title is not None:
        _posts(col, header, rows, account, opts.timezone)
    elif _find(header, USER_COLS["new_followers"]) or _find(header, USER_COLS["followers_total"]):
        _users(col, header, rows, account, opts.timezone)
    elif any(_find(header, (n,)) for n in CHANNEL_DAILY):
        col.skip(
            tr(
                "图文分析的每日渠道汇总（没有单篇文章数据，未导入；请下载单篇图文数据）",
                "daily reading totals by channel (no per-article data; not imported — download the per-article table)",
            ),
            len(rows),
        )
    else:
        col.problem(
            grid.rows[hi][0],
            None,
            tr("表头不是用户分析或单篇图文数据", "the header is neither user analysis nor per-article data"),
        )
    return col.result(
        {"posts": ["post_id", "account_id", "kind", "published_at", "title", "is_original", *POST_FIELDS]}
    )


def _users(
    col: Collector, header: list[str], rows: list[tuple[int, dict[str, Any]]], account: str, tz: str
) -> None:
    c = {k: _find(header, v) for k, v in USER_COLS.items()}
    if c["day"] is None:
        col.problem(None, "时间", tr("缺少日期列（时间/日期）", "no date column (时间/日期)"))
        return
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    per_channel: list[tuple[str, str | None]] = []
    total_days: set[str] = set()
    for rownum, r in rows:
        raw_day = r.get(c["day"])
        if text_or_none(raw_day) in TOTAL_WORDS or (
            isinstance(raw_day, str) and raw_day.strip().startswith(("合计", "总计"))
        ):
            col.skip(tr("合计行", "total row"))
            continue
        dt = excel_day(raw_day, tz)
        if dt is None:
            col.problem(rownum, c["day"], tr(f"无法识别的日期：{raw_day!r}", f"unreadable date: {raw_day!r}"))
            continue
        day = dt.date().isoformat()
        source = text_or_none(r.get(c["source"])) if c["source"] else None
        if source is not None and source.lower() in TOTAL_WORDS:
            source = None
        new = parse_int(r.get(c["new_followers"])) if c["new_followers"] else None
        unf = parse_int(r.get(c["unfollows"])) if c["unfollows"] else None
        net = parse_int(r.get(c["net"])) if c["net"] else None
        if new is None and unf is not None and net is not None:
            new = net + unf
        if unf is None and new is not None and net is not None:
            unf = new - net
        key = (day, source)
        if key in out:
            col.skip(tr("重复的日期行（保留第一行）", "duplicate day row (first kept)"))
            continue
        out[key] = {
            "account_id": account,
            "day": day,
            "followers_total": parse_int(r.get(c["followers_total"])) if c["followers_total"] else None,
            "new_followers": new,
            "unfollows": unf,
            "source": source,
            "__row": rownum,
        }
        if source is None:
            total_days.add(day)
        else:
            per_channel.append(key)
    for key in per_channel:
        if key[0] in total_days:
            out.pop(key)
            col.skip(
                tr(
                    "分渠道行（同一天已有“全部”合计行）",
                    "per-channel row (the day has an all-channel total row)",
                )
            )
    totals = {
        d: r["followers_total"] for (d, s), r in out.items() if s is None and r["followers_total"] is not None
    }
    for (d, _s), r in out.items():
        if r["followers_total"] is None and d in totals:
            r["followers_total"] = totals[d]
        col.add("account_daily", r)
    if out:
        _community(col, account, min(d for d, _ in out), tz)


def _posts(
    col: Collector, header: list[str], rows: list[tuple[int, dict[str, Any]]], account: str, tz: str
) -> None:
    c = {k: _find(header, v) for k, v in POST_COLS.items()}
    seen: set[str] = set()
    first_day: str | None = None
    for rownum, r in rows:
        title = text_or_none(r.get(c["title"])) if c["title"] else None
        if title is None or title in TOTAL_WORDS:
            col.skip(tr("没有标题的行（合计或空行）", "row without a title (total or empty)"))
            continue
        pub = excel_day(r.get(c["published_at"]), tz) if c["published_at"] else None
        if pub is None:
            col.problem(
                rownum,
                c["published_at"] or "发表时间",
                tr("缺少可识别的发表时间", "no readable publish time"),
                tr("单篇图文表需要“发表时间”列", "the per-article table needs a 发表时间 column"),
            )
            continue
        if pub.tzinfo is None:
            pub = parse_time(pub, tz) or pub
        pid = text_or_none(r.get(c["post_id"])) if c["post_id"] else None
        if pid is None:
            digest = hashlib.sha1(f"{account}|{pub.date().isoformat()}|{title}".encode()).hexdigest()[:16]
            pid = f"mp:{digest}"
        if pid in seen:
            col.skip(tr("重复的文章行（保留第一行）", "duplicate article row (first kept)"))
            continue
        seen.add(pid)

        def num(key: str, row: dict[str, Any] = r) -> int | None:
            k = c[key]
            return parse_int(row.get(k)) if k else None

        from_share = num("reads_from_share")
        moments = num("moments_reads")
        if from_share is None and moments is not None:
            from_share = moments
        elif (
            from_share is not None
            and moments is not None
            and c["reads_from_share"] == norm_header("好友转发阅读人数")
        ):
            from_share += moments
        col.add(
            "posts",
            {
                "post_id": pid,
                "account_id": account,
                "kind": "article",
                "published_at": iso(pub),
                "title": title,
                "is_original": parse_yes_no(r.get(c["is_original"])) if c["is_original"] else None,
                "category": text_or_none(r.get(c["category"])) if c["category"] else None,
                "delivered": num("delivered"),
                "read_users": num("read_users"),
                "reads_from_share": from_share,
                "share_users": num("share_users"),
                "favorite_users": num("favorite_users"),
                "likes": num("likes"),
                "comments": num("comments"),
                "__row": rownum,
            },
        )
        day = pub.date().isoformat()
        first_day = day if first_day is None or day < first_day else first_day
    if first_day:
        _community(col, account, first_day, tz)


def _community(col: Collector, account: str, day: str, tz: str) -> None:
    col.add(
        "communities",
        {
            "community_id": account,
            "name": account,
            "platform": "official_account",
            "purpose": None,
            "created_at": iso(parse_time(day, tz)),
        },
    )
    col.insert_only.add("communities")

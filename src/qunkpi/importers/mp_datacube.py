"""Official account (公众号) data-analytics API responses (``datacube``) → account_daily and posts.

Endpoints (silenceper/wechat ``officialaccount/datacube/user.go`` and ``broadcast.go``):

* ``getusersummary`` — per day and ``user_source``: new_user, cancel_user → account_daily rows per source
  (new_followers, unfollows).
* ``getusercumulate`` — per day: cumulate_user → followers_total of that day (on every source row of the
  day; a day with no source rows gets one row with source null).
* ``getarticlesummary`` — per day and article: daily figures; a post's figures are their sum over the days
  in the file (daily distinct readers summed: repeat readers on several days count more than once).
* ``getarticletotal`` — per article: ``details`` cumulative up to ``stat_date``; the post takes the latest
  figures, daily values (differences between consecutive details) are kept in the post's ``daily`` extra
  column. When both article endpoints describe one post, getarticletotal wins.

Mapping of a post: delivered = target_user, read_users = int_page_read_user, share_users = share_user,
favorite_users = add_to_fav_user, reads_from_share = int_page_from_friends_read_user +
int_page_from_feed_read_user (reads that came from a friend's share in a chat or in Moments; reads from the
account's own push, its history page and "other" are not shares). "-" is unknown (null), never 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector, Converted, ConvertOptions
from qunkpi.importers.jsonio import iter_records, read_text
from qunkpi.importers.sniff import iso, iso_day, parse_int, parse_time, text_or_none

#: getusersummary user_source codes (open: unknown codes are kept as ``other`` and counted)
USER_SOURCES: dict[int, str] = {
    0: "other",
    1: "search",
    17: "card_share",
    30: "qr_scan",
    51: "after_payment",
    57: "article_name",
    100: "ads",
    149: "mini_program",
    161: "article_repost",
    200: "channels",
    201: "live",
}

POST_FIELDS = ("delivered", "read_users", "reads_from_share", "share_users", "favorite_users")


def _sum(*vals: int | None) -> int | None:
    got = [v for v in vals if v is not None]
    return sum(got) if got else None


def _post_figures(d: dict[str, Any]) -> dict[str, int | None]:
    return {
        "delivered": parse_int(d.get("target_user")),
        "read_users": parse_int(d.get("int_page_read_user")),
        "reads_from_share": _sum(
            parse_int(d.get("int_page_from_friends_read_user")),
            parse_int(d.get("int_page_from_feed_read_user")),
        ),
        "share_users": parse_int(d.get("share_user")),
        "favorite_users": parse_int(d.get("add_to_fav_user")),
    }


@dataclass
class _State:
    tz: str
    summary: dict[tuple[str, str], list[int | None]] = field(
        default_factory=dict
    )  # (day, source) -> [new, cancel]
    cumulate: dict[str, int | None] = field(default_factory=dict)
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)  # msgid -> post (getarticletotal)
    dailies: dict[str, dict[str, Any]] = field(default_factory=dict)  # msgid -> post (getarticlesummary)


def _record(col: Collector, st: _State, line: int, rec: Any) -> None:
    col.rows_read += 1
    if not isinstance(rec, dict):
        col.problem(line, None, tr("这里应是一个 JSON 对象", "expected a JSON object here"))
        return
    if parse_int(rec.get("errcode")):
        col.problem(
            line,
            "errcode",
            tr(
                f"接口返回错误 {rec.get('errcode')}：{rec.get('errmsg', '')}",
                f"the API returned error {rec.get('errcode')}: {rec.get('errmsg', '')}",
            ),
        )
        return
    day = iso_day(rec.get("ref_date"), st.tz)
    if day is None:
        col.problem(
            line,
            "ref_date",
            tr(f"无法识别的日期：{rec.get('ref_date')!r}", f"unreadable ref_date: {rec.get('ref_date')!r}"),
        )
        return
    if isinstance(rec.get("details"), list):
        _article_total(col, st, line, day, rec)
    elif "msgid" in rec:
        _article_day(col, st, line, day, rec)
    elif "cumulate_user" in rec:
        st.cumulate[day] = parse_int(rec.get("cumulate_user"))
    elif "user_source" in rec or "new_user" in rec or "cancel_user" in rec:
        code = parse_int(rec.get("user_source"))
        source = USER_SOURCES.get(code if code is not None else 0)
        if source is None:
            col.skip(
                tr(
                    f"未知的 user_source 代码 {code}：按 other 保留",
                    f"unknown user_source code {code} kept as other",
                )
            )
            source = "other"
        cur = st.summary.setdefault((day, source), [None, None])
        cur[0] = _sum(cur[0], parse_int(rec.get("new_user")))
        cur[1] = _sum(cur[1], parse_int(rec.get("cancel_user")))
    else:
        col.skip(
            tr(
                "其他数据接口的记录（没有对应的数据表）",
                "record of another datacube endpoint (no canonical table)",
            )
        )


def _article_total(col: Collector, st: _State, line: int, day: str, rec: dict[str, Any]) -> None:
    msgid = text_or_none(rec.get("msgid"))
    if msgid is None:
        col.problem(line, "msgid", tr("缺少 msgid", "msgid is missing"))
        return
    details = sorted(
        (d for d in rec["details"] if isinstance(d, dict) and iso_day(d.get("stat_date"), st.tz)),
        key=lambda d: iso_day(d.get("stat_date"), st.tz) or "",
    )
    if not details:
        col.problem(line, "details", tr("details 中没有带 stat_date 的数据", "no details with a stat_date"))
        return
    daily: list[dict[str, Any]] = []
    prev: dict[str, int | None] = {}
    for d in details:
        cur = _post_figures(d)
        delta: dict[str, Any] = {"day": iso_day(d.get("stat_date"), st.tz)}
        for k in ("read_users", "reads_from_share", "share_users", "favorite_users"):
            v, p = cur[k], prev.get(k)
            delta[k] = None if v is None else (v - p if p is not None else v)
        daily.append(delta)
        prev = {k: (cur[k] if cur[k] is not None else prev.get(k)) for k in cur}
    last = _post_figures(details[-1])
    for k in POST_FIELDS:
        if last[k] is None:
            last[k] = prev.get(k)
    st.totals[msgid] = {
        "post_id": msgid,
        "title": text_or_none(rec.get("title")) or msgid,
        "published_at": iso(parse_time(day, st.tz)),
        **last,
        "daily": json.dumps(daily, ensure_ascii=False),
    }


def _article_day(col: Collector, st: _State, line: int, day: str, rec: dict[str, Any]) -> None:
    msgid = text_or_none(rec.get("msgid"))
    if msgid is None:
        col.problem(line, "msgid", tr("缺少 msgid", "msgid is missing"))
        return
    figs = _post_figures(rec)
    post = st.dailies.get(msgid)
    if post is None:
        post = st.dailies[msgid] = {
            "post_id": msgid,
            "title": text_or_none(rec.get("title")) or msgid,
            "published_at": iso(parse_time(day, st.tz)),
            "_days": [],
        }
        for k in POST_FIELDS:
            post[k] = None
    published = iso(parse_time(day, st.tz)) or ""
    if published < post["published_at"]:
        post["published_at"] = published
    for k in POST_FIELDS:
        if k == "delivered":
            continue  # getarticlesummary has no target_user
        post[k] = _sum(post[k], figs[k])
    post["_days"].append(
        {"day": day, **{k: figs[k] for k in ("read_users", "share_users", "favorite_users")}}
    )


def _finish(col: Collector, st: _State, account: str) -> None:
    days: set[str] = set()
    for (day, source), (new, cancel) in sorted(st.summary.items()):
        days.add(day)
        col.add(
            "account_daily",
            {
                "account_id": account,
                "day": day,
                "followers_total": st.cumulate.get(day),
                "new_followers": new,
                "unfollows": cancel,
                "source": source,
            },
        )
    for day, total in sorted(st.cumulate.items()):
        if day in days:
            continue
        days.add(day)
        col.add(
            "account_daily",
            {
                "account_id": account,
                "day": day,
                "followers_total": total,
                "new_followers": None,
                "unfollows": None,
                "source": None,
            },
        )
    posts: dict[str, dict[str, Any]] = {}
    for msgid, p in st.dailies.items():
        q = {k: v for k, v in p.items() if k != "_days"}
        q["daily"] = json.dumps(sorted(p["_days"], key=lambda d: d["day"]), ensure_ascii=False)
        posts[msgid] = q
    posts.update(st.totals)
    for p in posts.values():
        days.add((p["published_at"] or "")[:10])
        col.add(
            "posts",
            {"account_id": account, "kind": "article", "is_original": None, **p},
        )
    days.discard("")
    if days:
        col.add(
            "communities",
            {
                "community_id": account,
                "name": account,
                "platform": "official_account",
                "purpose": None,
                "created_at": iso(parse_time(min(days), st.tz)),
            },
        )
        col.insert_only.add("communities")


def need_account(col: Collector, opts: ConvertOptions) -> str | None:
    if opts.account:
        return opts.account
    col.problem(
        None,
        None,
        tr("文件里没有账号 ID", "the file does not say which account it is about"),
        tr(
            "用 --account 指定账号 ID（或在工作区设置 default_account）",
            "pass --account ID (or set default_account in the workspace)",
        ),
    )
    return None


def convert_many(paths: Iterable[Path], opts: ConvertOptions) -> Converted:
    paths = list(paths)
    col = Collector(paths[0])
    st = _State(tz=opts.timezone)
    for path in paths:
        sub = Collector(path)
        text = read_text(path, sub)
        if text is not None:
            for rec in iter_records(text, sub):
                _record(sub, st, rec.line, rec.value)
        col.rows_read += sub.rows_read
        col.skipped.update(sub.skipped)
        col.problems.extend(sub.problems)
    account = need_account(col, opts)
    if account is not None:
        _finish(col, st, account)
    return col.result(
        {"posts": ["post_id", "account_id", "kind", "published_at", "title", "is_original", *POST_FIELDS]}
    )


def convert(path: Path, opts: ConvertOptions) -> Converted:
    return convert_many([path], opts)


def looks_like(sample: dict[str, Any]) -> bool:
    return "ref_date" in sample or "cumulate_user" in sample or "user_source" in sample

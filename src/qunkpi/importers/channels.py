"""Channels (视频号) data exports → posts, through a column mapping.

There is no public specification of the 视频号助手 downloads, so the columns are mapped by a file: the
shipped default (``channels_mapping.toml``: the usual Chinese headers such as 播放量, 完播率, 平均播放时长,
点赞, 评论, 分享, 关注) merged with the user's ``--mapping`` file (TOML, YAML or JSON with the same
``columns`` / ``kinds`` / ``defaults`` sections; a target the user lists replaces the default candidates).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector, Converted, ConvertOptions
from qunkpi.importers.mp_datacube import need_account
from qunkpi.importers.mp_excel import TOTAL_WORDS, excel_day, parse_yes_no
from qunkpi.importers.sniff import iso, parse_duration, parse_int, parse_rate, parse_time, text_or_none
from qunkpi.importers.tabular import find_header, norm_header, read_grid, records

INT_TARGETS = (
    "read_users",
    "delivered",
    "reads_from_share",
    "share_users",
    "favorite_users",
    "comments",
    "likes",
    "product_impressions",
    "product_clicks",
    "new_followers",
)
TARGETS = (
    "post_id",
    "title",
    "published_at",
    "kind",
    "is_original",
    "category",
    "completion_rate",
    "avg_watch_seconds",
    *INT_TARGETS,
)
POST_KINDS = ("article", "video", "live")


def default_mapping() -> dict[str, Any]:
    text = resources.files("qunkpi.importers").joinpath("channels_mapping.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _load_user_mapping(path: Path, col: Collector) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        col.problem(
            None, None, tr(f"无法读取映射文件 {path}：{e}", f"cannot read the mapping file {path}: {e}")
        )
        return None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except Exception as e:
        col.problem(
            None,
            None,
            tr(f"映射文件 {path} 格式错误：{e}", f"the mapping file {path} is not valid: {e}"),
            tr("参照 docs/importing.md 中的默认映射", "start from the default mapping in docs/importing.md"),
        )
        return None
    if not isinstance(data, dict):
        col.problem(
            None, None, tr(f"映射文件 {path} 应是一个表", f"the mapping file {path} must be a table/object")
        )
        return None
    return data


def build_mapping(opts: ConvertOptions, col: Collector) -> dict[str, Any] | None:
    base = default_mapping()
    if opts.mapping is None:
        return base
    user = _load_user_mapping(opts.mapping, col)
    if user is None:
        return None
    ok = True
    cols = user.get("columns", {})
    if not isinstance(cols, dict):
        cols = {}
    for target, names in cols.items():
        if target not in TARGETS:
            col.problem(
                None,
                f"columns.{target}",
                tr(f"映射文件中未知的目标列 {target}", f"unknown target column {target} in the mapping file"),
                tr(f"可用的目标列：{', '.join(TARGETS)}", f"targets: {', '.join(TARGETS)}"),
            )
            ok = False
            continue
        base["columns"][target] = [names] if isinstance(names, str) else [str(n) for n in names or []]
    for section in ("kinds", "defaults"):
        extra = user.get(section)
        if isinstance(extra, dict):
            base.setdefault(section, {}).update(extra)
    for value in base.get("kinds", {}).values():
        if value not in POST_KINDS:
            col.problem(
                None,
                "kinds",
                tr(f"kind 只能是 {', '.join(POST_KINDS)}", f"kind must be one of {', '.join(POST_KINDS)}"),
            )
            ok = False
    return base if ok else None


def convert(path: Path, opts: ConvertOptions) -> Converted:
    col = Collector(path)
    mapping = build_mapping(opts, col)
    if mapping is None:
        return col.result()
    grid = read_grid(path, col)
    if not grid.rows:
        return col.result()
    candidates: dict[str, list[str]] = mapping.get("columns", {})
    hi = find_header(grid, [n for names in candidates.values() for n in names])
    if hi is None:
        col.problem(
            None,
            None,
            tr("没有找到与列映射相符的表头", "no header row matches the column mapping"),
            tr(
                "用 --mapping 提供你的表头（见 docs/importing.md 的“视频号”）",
                "pass --mapping with your headers (see the Channels section of docs/importing.md)",
            ),
        )
        return col.result()
    header, rows = records(grid, hi)
    col.rows_read = len(rows)
    defaults: dict[str, Any] = mapping.get("defaults", {})
    account = opts.account or text_or_none(defaults.get("account"))
    if account is None:
        need_account(col, opts)
        return col.result()
    found: dict[str, str] = {}
    for target, names in candidates.items():
        for n in names:
            if norm_header(n) in header:
                found[target] = norm_header(n)
                break
    if "published_at" not in found:
        col.problem(
            grid.rows[hi][0],
            "published_at",
            tr("没有找到发布时间列", "no publish-time column found"),
            tr(
                "在映射文件 [columns] 的 published_at 中写上你的表头",
                "name your header under published_at in the mapping's [columns]",
            ),
        )
        return col.result()
    kinds = {norm_header(k): v for k, v in mapping.get("kinds", {}).items()}
    seen: set[str] = set()
    first_day: str | None = None
    tz = opts.timezone
    for rownum, r in rows:

        def get(target: str, row: dict[str, Any] = r) -> Any:
            k = found.get(target)
            return row.get(k) if k else defaults.get(target)

        raw_pub = get("published_at")
        first_cell = next((text_or_none(v) for v in r.values() if text_or_none(v)), None)
        if text_or_none(raw_pub) in TOTAL_WORDS or first_cell in TOTAL_WORDS:
            col.skip(tr("合计行", "total row"))
            continue
        pub = excel_day(raw_pub, tz)
        if pub is None:
            col.problem(
                rownum,
                found["published_at"],
                tr(f"无法识别的时间：{raw_pub!r}", f"unreadable time: {raw_pub!r}"),
            )
            continue
        if pub.tzinfo is None:
            pub = parse_time(pub, tz) or pub
        raw_kind = text_or_none(get("kind"))
        kind = kinds.get(norm_header(raw_kind)) if raw_kind else None
        if kind is None:
            if raw_kind and raw_kind in POST_KINDS:
                kind = raw_kind
            elif raw_kind and found.get("kind"):
                col.skip(
                    tr(
                        f"未知的作品类型 {raw_kind}：按 other 保留",
                        f"unknown content type {raw_kind} kept as other",
                    )
                )
                kind = "other"
            else:
                kind = text_or_none(defaults.get("kind")) or "video"
        title = text_or_none(get("title")) or f"{kind} {pub.date().isoformat()}"
        pid = text_or_none(get("post_id"))
        if pid is None:
            digest = hashlib.sha1(f"{account}|{iso(pub)}|{title}".encode()).hexdigest()[:16]
            pid = f"sph:{digest}"
        if pid in seen:
            col.skip(tr("重复的作品行（保留第一行）", "duplicate post row (first kept)"))
            continue
        seen.add(pid)
        row: dict[str, Any] = {
            "post_id": pid,
            "account_id": account,
            "kind": kind,
            "published_at": iso(pub),
            "title": title,
            "is_original": parse_yes_no(get("is_original")),
            "category": text_or_none(get("category")),
            "completion_rate": parse_rate(get("completion_rate")),
            "avg_watch_seconds": parse_duration(get("avg_watch_seconds")),
            "__row": rownum,
        }
        for t in INT_TARGETS:
            row[t] = parse_int(get(t))
        col.add("posts", row)
        day = pub.date().isoformat()
        first_day = day if first_day is None or day < first_day else first_day
    if first_day:
        col.add(
            "communities",
            {
                "community_id": account,
                "name": account,
                "platform": "channels",
                "purpose": None,
                "created_at": iso(parse_time(first_day, tz)),
            },
        )
        col.insert_only.add("communities")
    return col.result()


def header_matches(header: list[str]) -> bool:
    """A header that names at least two Channels-only metrics (播放量, 完播率, 平均播放时长 ...)."""
    specific = {
        norm_header(n)
        for n in ("播放量", "完播率", "平均播放时长", "平均观看时长", "观看人数", "播放人数", "涨粉")
    }
    return sum(1 for h in header if h in specific) >= 2 or (
        sum(1 for h in header if h in specific) >= 1
        and sum(1 for h in header if h in {norm_header(x) for x in ("点赞", "评论", "分享", "关注")}) >= 2
    )

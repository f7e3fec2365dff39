"""The export formats: registry, detection from content, and conversion of a file or a folder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from qunkpi.i18n import tr
from qunkpi.importers import channels, mp_datacube, mp_excel, wechat_history, wecom_archive, wecom_groups
from qunkpi.importers.base import Collector, Converted, Converter, ConvertOptions, rows_to_table
from qunkpi.importers.jsonio import iter_records
from qunkpi.importers.sniff import decode_bytes, file_kind, read_head
from qunkpi.importers.tabular import find_header, norm_header, read_grid

FORMATS: dict[str, Converter] = {
    "wecom-archive": wecom_archive.convert,
    "wecom-groups": wecom_groups.convert_groups,
    "wecom-group-events": wecom_groups.convert_events,
    "mp-datacube": mp_datacube.convert,
    "mp-excel": mp_excel.convert,
    "channels": channels.convert,
    "wechat-history": wechat_history.convert,
}

TITLES: dict[str, tuple[str, str]] = {
    "wecom-archive": (
        "企业微信会话内容存档（解密后的消息 JSON）",
        "WeCom session archive (decrypted message JSON)",
    ),
    "wecom-groups": ("企业微信客户群详情（groupchat/get）", "WeCom customer groups (groupchat/get)"),
    "wecom-group-events": ("企业微信客户群变更回调", "WeCom customer-group change callbacks"),
    "mp-datacube": ("公众号数据统计接口（datacube）", "Official account datacube API"),
    "mp-excel": ("公众号后台下载的表格", "Official account back-office downloads"),
    "channels": ("视频号数据导出（列映射）", "Channels data exports (column mapping)"),
    "wechat-history": ("个人微信聊天记录导出", "Personal WeChat chat-history exports"),
}

#: Load order inside a folder: member lists before events before messages; accounts last.
ORDER = [
    "wecom-groups",
    "wecom-group-events",
    "wecom-archive",
    "wechat-history",
    "mp-datacube",
    "mp-excel",
    "channels",
]

UNKNOWN = "unknown"

#: Files a folder import leaves alone (notes, mapping files, scripts).
IGNORED_SUFFIXES = {".md", ".toml", ".yaml", ".yml", ".py", ".sh", ".ini", ".cfg", ".log~"}


def _detect_json(head: bytes) -> str | None:
    text, _enc, _lossy = decode_bytes(head)
    sink = Collector(Path("-"))
    for n, rec in enumerate(iter_records(text.lstrip("\ufeff"), sink)):
        if n > 50:
            break
        v = rec.value
        if not isinstance(v, dict):
            continue
        if wecom_groups.looks_like_group(v):
            return "wecom-groups"
        if wecom_groups.looks_like_event(v):
            return "wecom-group-events"
        if wecom_archive.looks_like(v):
            return "wecom-archive"
        if mp_datacube.looks_like(v):
            return "mp-datacube"
    return None


def _detect_table(path: Path, sink: Collector) -> str | None:
    grid = read_grid(path, sink, max_rows=40)
    if not grid.rows:
        return None
    wx = wechat_history._header_index(grid)
    if wx is not None and wechat_history.detect_variant([norm_header(h) for h in grid.rows[wx][1]]):
        return "wechat-history"
    for _, cells in grid.rows[:30]:
        if channels.header_matches([norm_header(c) for c in cells]):
            return "channels"
    known = [n for names in (*mp_excel.USER_COLS.values(), *mp_excel.POST_COLS.values()) for n in names]
    if find_header(grid, [*known, *mp_excel.CHANNEL_DAILY], min_hits=3) is not None:
        return "mp-excel"
    return None


def detect_format(path: Path) -> str | None:
    """The export format of a file, from its content (None when it is none of ours)."""
    return _detect(path, Collector(path))


def _detect(path: Path, sink: Collector) -> str | None:
    """:func:`detect_format`; why a table file could not be read goes to ``sink``."""
    if not path.is_file():
        return None
    head = read_head(path)
    kind = file_kind(head)
    if kind == "json":
        return _detect_json(head)
    if kind == "xml":
        low = head.decode("utf-8", "ignore").lower()
        if "change_external_chat" in low or "<chatid>" in low:
            return "wecom-group-events"
        return None
    if kind in ("ole", "xlsx", "html", "text"):
        try:
            return _detect_table(path, sink)
        except Exception:  # detection must never crash a folder import
            return None
    if kind == "binary":
        sink.problem(
            None, None, tr("二进制文件，不是可识别的导出格式", "a binary file, not a recognised export")
        )
    return None


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    out = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if any(part.startswith((".", "~$", "__")) for part in rel.parts):
            continue
        if p.is_file() and p.suffix.lower() not in IGNORED_SUFFIXES and p.name.lower() != "readme":
            out.append(p)
    return out


def _failed(path: Path, message: str, hint: str = "") -> Converted:
    col = Collector(path)
    col.problem(None, None, message, hint)
    return col.result()


def convert_file(path: Path, fmt: str, opts: ConvertOptions) -> Converted:
    """One file with one converter; an unexpected converter error becomes a problem, never a crash."""
    try:
        return FORMATS[fmt](path, opts)
    except Exception as e:
        return _failed(
            path,
            tr(
                f"按 {fmt} 格式转换时出错：{type(e).__name__}: {e}",
                f"converting as {fmt} failed: {type(e).__name__}: {e}",
            ),
            tr(
                "确认 --format 是否正确；若是，请附上文件报告此问题",
                "check --format; if it is right, please report this with the file",
            ),
        )


def convert_path(path: Path, fmt: str | None, opts: ConvertOptions) -> list[tuple[Path, str, Converted]]:
    """Convert a file or every file of a folder (formats and encodings may differ from file to file).

    Returns (file, format, converted) in load order. A folder's file whose format is not recognised comes back
    with format ``"unknown"`` and a counted skip; a single such file comes back with a problem.
    """
    if fmt is not None and fmt not in FORMATS:
        return [
            (
                path,
                UNKNOWN,
                _failed(
                    path,
                    tr(f"未知的格式 {fmt}", f"unknown format {fmt}"),
                    tr(f"可用格式：{', '.join(FORMATS)}", f"formats: {', '.join(FORMATS)}"),
                ),
            )
        ]
    if not path.exists():
        return [(path, UNKNOWN, _failed(path, tr("文件或文件夹不存在", "no such file or folder")))]
    files = _files(path)
    if not files:
        return [
            (
                path,
                UNKNOWN,
                _failed(path, tr("文件夹里没有可导入的文件", "the folder holds no importable file")),
            )
        ]
    planned: list[tuple[Path, str]] = []
    out: list[tuple[Path, str, Converted]] = []
    for f in files:
        sink = Collector(f)
        got = fmt or _detect(f, sink)
        if got is None:
            if path.is_dir():
                col = Collector(f)
                col.skip(
                    tr(
                        "无法识别文件格式（未导入；可用 --format 指定）",
                        "file format not recognised (not imported; use --format)",
                    )
                )
                out.append((f, UNKNOWN, col.result()))
            else:
                sink.problem(
                    None,
                    None,
                    tr("无法识别文件格式", "the file format is not recognised"),
                    tr(
                        f"用 --format 指定：{', '.join(FORMATS)}",
                        f"name it with --format: {', '.join(FORMATS)}",
                    ),
                )
                out.append((f, UNKNOWN, sink.result()))
            continue
        planned.append((f, got))
    planned.sort(key=lambda x: (ORDER.index(x[1]), str(x[0])))
    for f, got in planned:
        out.append((f, got, convert_file(f, got, opts)))
    merge_account_daily([c for _f, got, c in out if got in ("mp-datacube", "mp-excel")])
    return out


# -- account_daily across files -------------------------------------------------------------------------


def _rows(t: pa.Table | None) -> list[dict[str, Any]]:
    return [] if t is None else t.to_pylist()


def fill_account_daily(
    rows: list[dict[str, Any]], totals: dict[tuple[str, str], str], summarised: set[tuple[str, str]]
) -> tuple[list[dict[str, Any]], int]:
    """Complete account_daily rows from other data: a per-source row without a follower total takes the
    day's total; a total-only row (source null, no new/unfollow counts) is dropped when per-source rows
    for that day exist (its total is carried by them). Returns (rows, number dropped)."""
    out = []
    dropped = 0
    for r in rows:
        key = (str(r.get("account_id")), str(r.get("day")))
        if r.get("followers_total") in (None, "") and key in totals:
            r = {**r, "followers_total": totals[key]}
        if r.get("source") in (None, "") and r.get("new_followers") in (None, "") and key in summarised:
            dropped += 1
            continue
        out.append(r)
    return out, dropped


def merge_account_daily(results: list[Converted]) -> None:
    totals: dict[tuple[str, str], str] = {}
    summarised: set[tuple[str, str]] = set()
    for c in results:
        for r in _rows(c.tables.get("account_daily")):
            key = (str(r.get("account_id")), str(r.get("day")))
            if r.get("followers_total") not in (None, ""):
                totals.setdefault(key, r["followers_total"])
            if r.get("new_followers") not in (None, ""):
                summarised.add(key)
    if not totals and not summarised:
        return
    for c in results:
        t = c.tables.get("account_daily")
        if t is None:
            continue
        rows, dropped = fill_account_daily(t.to_pylist(), totals, summarised)
        if dropped:
            c.skipped[
                tr("累计关注人数已并入同日的分来源行", "follower total merged into the day's per-source rows")
            ] += dropped
        c.tables["account_daily"] = rows_to_table(rows, t.column_names)


def summary_counts(results: list[tuple[Path, str, Converted]]) -> Counter[str]:
    """Rows per canonical table over a conversion (for tests and dry runs)."""
    out: Counter[str] = Counter()
    for _f, _fmt, c in results:
        for name, t in c.tables.items():
            out[name] += t.num_rows
    return out

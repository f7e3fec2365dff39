"""Reading JSON exports record by record, with line numbers, surviving broken records.

Accepts one JSON object per line (JSON Lines), a JSON array of objects, a single object, concatenated
pretty-printed objects, and API wrappers (``{"errcode": 0, "list": [...]}``). A record that does not parse
(a truncated line, a stray comma) becomes a problem naming the line where the record starts; reading
resumes at the next line that starts a new object, so the rest of the file is still converted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector
from qunkpi.importers.sniff import decode_bytes

_WS = re.compile(r"[\s,]*")
_NEXT_OBJ = re.compile(r"\n([ \t]*)[\[{]")

_decoder = json.JSONDecoder()


@dataclass
class JsonRecord:
    line: int  # 1-based line where the record starts
    value: Any


def read_text(path: Path, col: Collector) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as e:
        col.problem(None, None, tr(f"无法读取文件：{e}", f"cannot read the file: {e}"))
        return None
    text, enc, lossy = decode_bytes(data)
    if lossy:
        col.problem(
            None,
            None,
            tr(
                f"文件编码无法识别（按 {enc} 读取时有无法解码的字节）",
                f"unknown text encoding (bytes {enc} cannot decode)",
            ),
            tr("请另存为 UTF-8 后重试", "save the file as UTF-8 and try again"),
        )
    return text.lstrip("\ufeff")


class _LineIndex:
    def __init__(self, text: str) -> None:
        self.starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def line(self, pos: int) -> int:
        import bisect

        return bisect.bisect_right(self.starts, pos)


def _decode_error(
    col: Collector, idx: _LineIndex, start: int, err: json.JSONDecodeError | ValueError
) -> None:
    line = idx.line(start)
    detail = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
    where = ""
    if isinstance(err, json.JSONDecodeError):
        where = f" (line {err.lineno}, col {err.colno})"
    col.problem(
        line,
        None,
        tr(
            f"第 {line} 行开始的记录不是完整的 JSON（可能被截断）：{detail}{where}",
            f"the record starting on line {line} is not valid JSON (truncated?): {detail}{where}",
        ),
        tr(
            "修复或删除这一行后重新导入；文件其余各行已照常检查",
            "fix or delete that line and import again; the other lines were checked",
        ),
    )


def _resync(text: str, start: int) -> int:
    """Position of the next line (after the one at ``start``) that begins an object or array at the same
    or a lower indentation (so a broken pretty-printed record does not resume inside its own nested lists)."""
    line_start = text.rfind("\n", 0, start) + 1
    indent = start - line_start if text[line_start:start].strip() == "" else 0
    for m in _NEXT_OBJ.finditer(text, start):
        if len(m.group(1)) <= indent:
            return m.start() + 1
    return len(text)


def iter_values(text: str, col: Collector) -> Iterator[JsonRecord]:
    """Top-level JSON values of a file, one by one (arrays at the top level are opened)."""
    idx = _LineIndex(text)
    pos = 0
    n = len(text)
    depth_array = False
    while pos < n:
        m = _WS.match(text, pos)
        pos = m.end() if m else pos
        if pos >= n:
            break
        ch = text[pos]
        if ch == "[" and not depth_array:
            # Open a top-level array: its elements are the records.
            depth_array = True
            pos += 1
            continue
        if ch == "]" and depth_array:
            depth_array = False
            pos += 1
            continue
        try:
            value, end = _decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, ValueError, RecursionError) as e:
            err = e if isinstance(e, (json.JSONDecodeError, ValueError)) else ValueError(str(e))
            _decode_error(col, idx, pos, err)
            pos = _resync(text, pos)
            continue
        yield JsonRecord(idx.line(pos), value)
        pos = end


WRAPPER_KEYS = ("list", "chatdata", "data", "items", "messages", "msg_list", "records", "result")


def iter_records(text: str, col: Collector) -> Iterator[JsonRecord]:
    """Objects of a JSON export: top-level objects, array elements, and the list inside API wrappers."""
    for rec in iter_values(text, col):
        v = rec.value
        if isinstance(v, list):
            for item in v:
                yield JsonRecord(rec.line, item)
        elif isinstance(v, dict):
            inner = None
            for k in WRAPPER_KEYS:
                if isinstance(v.get(k), list) and all(isinstance(x, dict) for x in v[k]):
                    inner = v[k]
                    break
            if inner is not None and "msgid" not in v and "chat_id" not in v:
                for item in inner:
                    yield JsonRecord(rec.line, item)
            else:
                yield rec
        else:
            col.problem(
                rec.line,
                None,
                tr("这里应是一个 JSON 对象", "expected a JSON object here"),
            )

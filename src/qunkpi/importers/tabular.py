"""Reading tabular exports whatever they really are: legacy .xls (OLE), .xlsx, an HTML table saved as .xls,
CSV/TSV in UTF-8 (with or without BOM), UTF-16 or GB18030.

The file's content decides, not its extension. Rows come back with the row number a user sees in a
spreadsheet (1-based, header included), so problems can name them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr
from qunkpi.importers.base import Collector
from qunkpi.importers.sniff import decode_bytes, file_kind


@dataclass
class Grid:
    """A sheet: ``rows`` are (row number, cells)."""

    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    kind: str = ""
    encoding: str | None = None


def read_grid(path: Path, col: Collector | None = None, max_rows: int | None = None) -> Grid:
    """The first non-empty sheet (or the largest HTML table, or the CSV) of a file; problems go to ``col``."""
    sink = col or Collector(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        sink.problem(None, None, tr(f"无法读取文件：{e}", f"cannot read the file: {e}"))
        return Grid()
    kind = file_kind(data[:65536])
    try:
        if kind == "ole":
            return _read_ole(data, sink, max_rows)
        if kind == "xlsx":
            return _read_xlsx(data, sink, max_rows)
        if kind in ("html", "xml"):
            return _read_html(data, sink, max_rows)
        if kind == "empty":
            sink.problem(None, None, tr("文件是空的", "the file is empty"))
            return Grid(kind=kind)
        if kind == "binary":
            sink.problem(
                None,
                None,
                tr("不是可识别的表格文件（二进制内容）", "not a recognised table file (binary content)"),
                tr("请从后台重新下载，或另存为 .xlsx / CSV", "download it again, or save it as .xlsx / CSV"),
            )
            return Grid(kind=kind)
        return _read_csv(data, sink, max_rows)
    except Exception as e:  # a damaged workbook must not crash an import
        sink.problem(
            None,
            None,
            tr(
                f"无法读取表格（{kind}）：{type(e).__name__}: {e}",
                f"cannot read the table ({kind}): {type(e).__name__}: {e}",
            ),
            tr("文件可能已损坏；请从后台重新下载", "the file may be damaged; download it again"),
        )
        return Grid(kind=kind)


# -- OLE .xls --------------------------------------------------------------------------------------------


def _read_ole(data: bytes, col: Collector, max_rows: int | None) -> Grid:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as e:
        col.problem(
            None,
            None,
            tr(
                f"这是旧版 Excel (.xls, OLE) 文件，但无法读取：{e}",
                f"this is a legacy Excel (.xls, OLE) file but it cannot be read: {e}",
            ),
            tr("请在 Excel/WPS 中另存为 .xlsx 后重试", "open it in Excel/WPS, save as .xlsx and try again"),
        )
        return Grid(kind="ole")
    grid = Grid(kind="ole")
    for si in range(book.nsheets):
        sheet = book.sheet_by_index(si)
        if sheet.nrows == 0:
            continue
        for r in range(sheet.nrows if max_rows is None else min(sheet.nrows, max_rows)):
            cells: list[Any] = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        cells.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                    except Exception:
                        cells.append(cell.value)
                elif (
                    cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or cell.ctype == xlrd.XL_CELL_ERROR
                ):
                    cells.append(None)
                else:
                    cells.append(cell.value)
            grid.rows.append((r + 1, cells))
        break
    return grid


# -- .xlsx -----------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, col: Collector, max_rows: int | None) -> Grid:
    import zipfile

    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile as e:
        col.problem(
            None, None, tr(f"不是有效的 .xlsx（zip 损坏）：{e}", f"not a valid .xlsx (damaged zip): {e}")
        )
        return Grid(kind="xlsx")
    if "xl/workbook.xml" not in names:
        col.problem(
            None,
            None,
            tr("这是一个 zip 压缩包，不是 Excel 工作簿", "this is a zip archive, not an Excel workbook"),
            tr("请先解压，再导入其中的文件或文件夹", "unzip it and import the files (or the folder) inside"),
        )
        return Grid(kind="zip")
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    grid = Grid(kind="xlsx")
    try:
        for ws in wb.worksheets:
            rows: list[tuple[int, list[Any]]] = []
            for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if max_rows is not None and i > max_rows:
                    break
                rows.append((i, list(values)))
            if any(any(v is not None and str(v).strip() for v in cells) for _, cells in rows):
                grid.rows = rows
                break
    finally:
        wb.close()
    return grid


# -- HTML tables saved as .xls ---------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._colspan = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._close_row()
            self._row = []
        elif tag in ("td", "th") and self._stack:
            if self._row is None:
                self._row = []
            self._close_cell()
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._colspan = int(span) if span.isdigit() and 0 < int(span) < 100 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            self._close_row()
        elif tag == "table" and self._stack:
            self._close_row()
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            text = "".join(self._cell).replace("\xa0", " ").strip()
            self._row.append(text)
            self._row.extend([""] * (self._colspan - 1))
        self._cell = None
        self._colspan = 1

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None and self._stack:
            self._stack[-1].append(self._row)
        self._row = None

    def close(self) -> None:
        super().close()
        while self._stack:
            self._close_row()
            self.tables.append(self._stack.pop())


def _read_html(data: bytes, col: Collector, max_rows: int | None) -> Grid:
    text: str | None = None
    enc: str | None = None
    m = _META_CHARSET.search(data[:8192])
    if m:
        name = m.group(1).decode("ascii", "ignore").lower()
        if name in ("gb2312", "gbk"):
            name = "gb18030"  # a superset: back offices say gb2312 and write GBK
        try:
            text = data.decode(name)
            enc = name
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, enc, lossy = decode_bytes(data)
        if lossy:
            col.problem(None, None, tr("文件编码无法识别", "unknown text encoding"))
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    if not parser.tables:
        col.problem(
            None,
            None,
            tr("HTML 文件里没有表格", "the HTML file holds no table"),
            tr("后台“导出”有时保存成网页；请确认下载的是数据表", "make sure you downloaded the data table"),
        )
        return Grid(kind="html", encoding=enc)
    table = max(parser.tables, key=len)
    rows = table if max_rows is None else table[:max_rows]
    return Grid(rows=[(i, list(r)) for i, r in enumerate(rows, start=1)], kind="html", encoding=enc)


# -- CSV / TSV -------------------------------------------------------------------------------------------


def _read_csv(data: bytes, col: Collector, max_rows: int | None) -> Grid:
    text, enc, lossy = decode_bytes(data)
    if lossy:
        col.problem(
            None,
            None,
            tr(
                f"文件编码无法识别（按 {enc} 读取时有无法解码的字节）",
                f"unknown text encoding (bytes {enc} cannot decode)",
            ),
            tr("请另存为 UTF-8 CSV 后重试", "save it as UTF-8 CSV and try again"),
        )
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delim = max((",", "\t", ";", "|"), key=first.count)
    if first.count(delim) == 0:
        delim = ","
    grid = Grid(kind="csv", encoding=enc)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    start = 1
    try:
        for cells in reader:
            grid.rows.append((start, list(cells)))
            start = reader.line_num + 1
            if max_rows is not None and len(grid.rows) >= max_rows:
                break
    except csv.Error as e:
        col.problem(start, None, tr(f"CSV 格式错误：{e}", f"malformed CSV: {e}"))
    return grid


# -- headers ---------------------------------------------------------------------------------------------


def norm_header(value: Any) -> str:
    s = "" if value is None else str(value)
    return re.sub(r"[\s\ufeff\u200b（）()：:*]+", "", s).lower()


def find_header(grid: Grid, known: Iterable[str], min_hits: int = 2, scan: int = 30) -> int | None:
    """Index in ``grid.rows`` of the header row: the first row (within ``scan``) naming at least ``min_hits``
    of the ``known`` headers. Back-office downloads often put a title and a date range above it."""
    wanted = {norm_header(k) for k in known}
    best: tuple[int, int] | None = None
    for i, (_, cells) in enumerate(grid.rows[:scan]):
        hits = sum(1 for c in cells if norm_header(c) in wanted)
        if hits >= min_hits and (best is None or hits > best[1]):
            best = (i, hits)
            if hits >= len(wanted):
                break
    return None if best is None else best[0]


def records(grid: Grid, header_index: int) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Rows after the header as dicts keyed by the normalised header; fully blank rows are dropped."""
    header = [norm_header(h) for h in grid.rows[header_index][1]]
    out: list[tuple[int, dict[str, Any]]] = []
    for rownum, cells in grid.rows[header_index + 1 :]:
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        row: dict[str, Any] = {}
        for h, v in zip(header, cells, strict=False):
            if h and h not in row:
                row[h] = v
        out.append((rownum, row))
    return header, out

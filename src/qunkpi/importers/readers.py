"""Reading canonical files (CSV/TSV, Parquet, JSON Lines, XLSX), whatever their encoding.

Two ways: :func:`read_file` returns an Arrow table; :func:`open_file` leaves CSV/TSV and Parquet to DuckDB and
returns a relation (SQL) instead, so that a large file never sits in Python memory whole: Parquet is scanned in
place (row groups, streamed), CSV/TSV is loaded once into a DuckDB temporary table (spillable). Both number the
rows as a user sees them (``__row``: header = row 1 for tabular files, the first Parquet row = 1).
"""

from __future__ import annotations

import codecs
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from qunkpi.errors import Problem
from qunkpi.i18n import tr

ROW_COL = "__row"
SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


def file_kind(path: Path) -> str | None:
    return SUFFIXES.get(path.suffix.lower())


def table_name_for(path: Path) -> str:
    """``members.csv`` → members; ``messages.2026-10.parquet`` → messages."""
    return path.name.split(".", 1)[0].strip().lower()


def detect_encoding(path: Path, chunk: int = 1 << 20) -> str:
    """utf-8-sig for a UTF-8 BOM, utf-16 for its BOMs, utf-8 when the whole file decodes strictly, else gb18030.

    GB18030 is a superset of GBK and GB2312, so GBK files decode with it too.
    """
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        dec = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            while block := f.read(chunk):
                dec.decode(block)
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _transcode(path: Path, encoding: str, tmpdir: Path) -> Path:
    out = tmpdir / (path.stem + ".utf8" + path.suffix)
    with (
        path.open("r", encoding=encoding, newline="") as src,
        out.open("w", encoding="utf-8", newline="") as dst,
    ):
        while block := src.read(1 << 20):
            dst.write(block)
    return out


@dataclass
class ReadResult:
    table: pa.Table | None
    encoding: str | None
    problems: list[Problem]
    # open_file only: SQL selecting every column (names trimmed) plus ``__row``, when DuckDB reads the file itself
    relation: str | None = None
    temp_tables: list[str] = field(default_factory=list)  # to drop when done
    rereads_file: bool = False  # the relation reads the file again on every query (Parquet)
    blocks: list[int] | None = None  # rows per Parquet row group, in file order


def _stringify_columns(t: pa.Table) -> pa.Table:
    return t.rename_columns([str(c).strip().lstrip("\ufeff") for c in t.column_names])


def read_file(path: Path, con: duckdb.DuckDBPyConnection, tmpdir: Path | None = None) -> ReadResult:
    """Read one canonical file into Arrow with a 1-based ``__row`` column (header = row 1 for tabular files)."""
    kind = file_kind(path)
    name = str(path)
    if kind is None:
        return ReadResult(
            None,
            None,
            [
                Problem(
                    name,
                    None,
                    None,
                    tr("不支持的文件类型", "unsupported file type"),
                    tr("请使用 .csv .tsv .parquet .jsonl .xlsx", "use .csv .tsv .parquet .jsonl or .xlsx"),
                )
            ],
        )
    encoding: str | None = None
    try:
        if kind in ("csv", "tsv"):
            encoding = detect_encoding(path)
            with tempfile.TemporaryDirectory(dir=tmpdir) as td:
                src = path if encoding == "utf-8" else _transcode(path, encoding, Path(td))
                delim = "\t" if kind == "tsv" else _sniff_delim(src)
                rel = con.read_csv(str(src), header=True, all_varchar=True, delimiter=delim, quotechar='"')
                t = rel.to_arrow_table()
            first = 2
        elif kind == "parquet":
            t = con.read_parquet(str(path)).to_arrow_table()
            first = 1
        elif kind == "jsonl":
            encoding = detect_encoding(path)
            t, problems = _read_json(path, encoding)
            if problems:
                return ReadResult(None, encoding, problems)
            first = 1
        else:  # xlsx
            t = _read_xlsx(path)
            first = 2
    # The boundary of an untrusted file: whatever a reader library raises on damaged input (zipfile, openpyxl,
    # xml, DuckDB's CSV sniffer ...) becomes a problem naming the file, never a crash.
    except Exception as e:
        return ReadResult(None, encoding, [unreadable(name, e)])
    t = _stringify_columns(t)
    rows = pa.array(range(first, first + t.num_rows), pa.int64())
    return ReadResult(t.append_column(ROW_COL, rows), encoding, [])


def unreadable(name: str, e: BaseException) -> Problem:
    """The problem for a file a reader library could not read (damaged, truncated, wrong delimiter ...)."""
    msg = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
    return Problem(
        name,
        None,
        None,
        tr(f"无法读取文件：{msg}", f"cannot read the file: {msg}"),
        tr(
            "检查文件是否完整、分隔符与表头是否正确",
            "check that the file is complete and its delimiter and header are right",
        ),
    )


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _projection(columns: list[str]) -> list[str]:
    """``"raw name" AS "trimmed name"`` for each column (names trimmed as :func:`_stringify_columns` does;
    a name that trims to one already taken gets DuckDB's ``_1``, ``_2`` suffix)."""
    taken: set[str] = set()
    out = []
    for c in columns:
        n = str(c).strip().lstrip("\ufeff")
        base, i = n, 0
        while n in taken:
            i += 1
            n = f"{base}_{i}"
        taken.add(n)
        out.append(f"{_q(c)} AS {_q(n)}")
    return out


def open_file(
    path: Path, con: duckdb.DuckDBPyConnection, temp_name: str, tmpdir: Path | None = None
) -> ReadResult:
    """Like :func:`read_file`, but CSV/TSV and Parquet stay in DuckDB: ``relation`` is the SQL to select from.

    Parquet: a scan of the file itself (``file_row_number``), nothing loaded up front. CSV/TSV: one
    temporary table ``temp_name`` (same reader options as :func:`read_file`), rows numbered by insertion order.
    Other kinds: an Arrow table, as :func:`read_file` returns it.
    """
    kind = file_kind(path)
    if kind not in ("csv", "tsv", "parquet"):
        return read_file(path, con, tmpdir)
    name = str(path)
    encoding: str | None = None
    temp: list[str] = []
    try:
        if kind == "parquet":
            scan = f"read_parquet('{_sql_str(str(path))}', file_row_number = true)"
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_sql_str(str(path))}')").fetchall()]
            if "file_row_number" in cols or ROW_COL in cols:
                return read_file(path, con, tmpdir)
            sql = f'SELECT {", ".join([*_projection(cols), f"file_row_number + 1 AS {ROW_COL}"])} FROM {scan}'
            blocks = [
                int(r[0])
                for r in con.execute(
                    "SELECT any_value(row_group_num_rows) FROM parquet_metadata(?) GROUP BY row_group_id ORDER BY row_group_id",
                    [str(path)],
                ).fetchall()
            ]
            return ReadResult(None, None, [], relation=sql, rereads_file=True, blocks=blocks)
        encoding = detect_encoding(path)
        with tempfile.TemporaryDirectory(dir=tmpdir) as td:
            src = path if encoding == "utf-8" else _transcode(path, encoding, Path(td))
            delim = "\t" if kind == "tsv" else _sniff_delim(src)
            temp.append(temp_name)
            con.execute(
                f"CREATE TEMP TABLE {_q(temp_name)} AS SELECT * FROM read_csv('{_sql_str(str(src))}', header = true, "
                f"all_varchar = true, delim = '{_sql_str(delim)}', quote = '\"')"
            )
        cols = [r[0] for r in con.execute(f"DESCRIBE {_q(temp_name)}").fetchall()]
        if "rowid" in cols or ROW_COL in cols:
            con.execute(f"DROP TABLE IF EXISTS {_q(temp_name)}")
            return read_file(path, con, tmpdir)
        # rowid is the insertion order, i.e. the order of the records in the file; the header is row 1
        sql = f'SELECT {", ".join([*_projection(cols), f"rowid + 2 AS {ROW_COL}"])} FROM {_q(temp_name)}'
        return ReadResult(None, encoding, [], relation=sql, temp_tables=temp)
    # The boundary of an untrusted file, as in read_file.
    except Exception as e:
        for t in temp:
            con.execute(f"DROP TABLE IF EXISTS {_q(t)}")
        return ReadResult(None, encoding, [unreadable(name, e)])


def _sniff_delim(path: Path) -> str:
    with path.open("r", encoding="utf-8", errors="replace") as f:
        header = f.readline()
    return "\t" if header.count("\t") > header.count(",") else ","


def _read_json(path: Path, encoding: str) -> tuple[pa.Table, list[Problem]]:
    """JSON Lines (or one JSON array); every bad line is reported with its line number."""
    text = path.read_text(encoding=encoding)
    records: list[dict[str, object]] = []
    problems: list[Problem] = []
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            return pa.table({}), [
                Problem(
                    str(path),
                    e.lineno,
                    None,
                    tr(f"JSON 无法解析：{e.msg}", f"invalid JSON: {e.msg}"),
                    tr("修正该行后重新导入", "fix that line and import again"),
                )
            ]
        records = [r for r in data if isinstance(r, dict)]
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(
                    Problem(
                        str(path),
                        lineno,
                        None,
                        tr(
                            f"JSON 行无法解析（可能被截断）：{e.msg}",
                            f"invalid JSON line (truncated?): {e.msg}",
                        ),
                        tr("修正或删除该行后重新导入", "fix or remove that line and import again"),
                    )
                )
                continue
            if not isinstance(obj, dict):
                problems.append(
                    Problem(str(path), lineno, None, tr("应为 JSON 对象", "expected a JSON object"), "")
                )
                continue
            records.append(obj)
    cols: dict[str, list[str | None]] = {}
    for i, r in enumerate(records):
        for k in r:
            cols.setdefault(str(k), [None] * i)
        for k, lst in cols.items():
            v = r.get(k)
            lst.append(
                None
                if v is None
                else (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else _scalar(v))
            )
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()}), problems


def _scalar(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _read_xlsx(path: Path) -> pa.Table:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return pa.table({})
        names = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)]
        data: list[list[str | None]] = [[] for _ in names]
        for row in rows:
            if row is None or all(v is None for v in row):
                continue
            for i in range(len(names)):
                v = row[i] if i < len(row) else None
                data[i].append(None if v is None else _xlsx_cell(v))
        return pa.table({n: pa.array(d, pa.string()) for n, d in zip(names, data, strict=True)})
    finally:
        wb.close()


def _xlsx_cell(v: object) -> str:
    import datetime as dt

    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return _scalar(v)

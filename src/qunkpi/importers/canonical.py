"""Validate and store canonical tables (SPEC §2): all problems at once, one transaction per file, idempotent.

The pipeline for one source (a file, or an Arrow table a format converter produced), never holding a large file
in Python memory:

1. make it a DuckDB relation with a ``__row`` column (the row number a user sees in the file): Parquet is scanned
   in place (``file_row_number``), CSV/TSV loaded into a temporary table, other sources registered as Arrow;
2. validate every column in one aggregate query over a typed projection of it (missing columns, nulls, types,
   enums, ranges, duplicate keys) and collect up to ``MAX_PROBLEMS`` problems naming file, row and column;
3. build lookup tables from distinct values: person id → pseudonym (HMAC with the workspace key), free text the
   PII prefilter flags → redacted text;
4. in one transaction per source: delete the stored rows with the same keys, insert the typed, pseudonymised and
   redacted rows in source order (``INSERT ... SELECT`` per chunk of row groups), write the import log.

Nothing is written unless every source validated.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from qunkpi.errors import Problem, QunkpiError, ValidationFailed
from qunkpi.i18n import tr
from qunkpi.importers.readers import ROW_COL, ReadResult, file_kind, open_file, table_name_for, unreadable
from qunkpi.workspace.schema import DUCKDB_TYPE, EXTRA_COLUMN, TABLE_ORDER, TABLES, ColType, Column, Table
from qunkpi.workspace.workspace import Workspace, first, scalar_int

MAX_PROBLEMS = 200
ORD_COL = "__ord"  # a source's row order (rows are stored in it)
CHUNK_ROWS = 2_000_000  # rows per INSERT when storing a file: bounds the memory of the ordered write; two 1M-row
# row groups per INSERT keep both DuckDB threads busy (a Parquet row group is scanned by one thread)
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "对", "true.")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "不是")
MIN_TS = "2000-01-01"
# Tables whose change alters message classes (staff membership) — classification must rerun in full.
CONTEXT_TABLES = frozenset({"members", "staff", "communities"})
FREE_TEXT = {"messages": ("text",), "surveys": ("comment",)}


@dataclass
class Source:
    """One thing to load: a file, or a converted Arrow table."""

    name: str  # file path as the user gave it (for messages)
    table: str
    data: pa.Table | None = None
    path: Path | None = None
    sha256: str = ""
    fmt: str = "canonical"
    problems: list[Problem] = field(default_factory=list)
    encoding: str | None = None


@dataclass
class TableReport:
    file: str
    table: str
    rows_read: int
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    open_enum_other: int = 0
    encoding: str | None = None
    note: str = ""


@dataclass
class ImportReport:
    import_id: str
    tables: list[TableReport] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    recalls_applied: int = 0
    recalls_audit_only: int = 0
    service_messages: int = 0
    file: str = ""  # the export file a format converter read (set by importers.dispatch)
    format: str = "canonical"
    file_rows_read: int | None = None  # records read from that file, before mapping to tables

    def rows_stored(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for t in self.tables:
            out[t.table] += t.inserted + t.updated
        return dict(out)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def discover(path: Path, table: str | None = None) -> list[Source]:
    """The canonical files under ``path`` (a folder or a single file), in load order."""
    if not path.exists():
        raise QunkpiError(tr(f"{path}：文件或文件夹不存在", f"{path}: no such file or folder"))
    files = (
        sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if path.is_dir()
        else [path]
    )
    sources: list[Source] = []
    problems: list[Problem] = []
    for f in files:
        name = table or table_name_for(f)
        if file_kind(f) is None and path.is_dir():
            continue
        if name not in TABLES:
            problems.append(
                Problem(
                    str(f),
                    None,
                    None,
                    tr(f"文件名不对应任何数据表（{name}）", f"the file name names no table ({name})"),
                    tr(
                        f"将文件命名为表名，如 members.csv，或使用 --table；可用表：{', '.join(TABLES)}",
                        f"name the file after its table (e.g. members.csv) or pass --table; tables: {', '.join(TABLES)}",
                    ),
                )
            )
            continue
        sources.append(Source(name=str(f), table=name, path=f))
    if problems:
        raise ValidationFailed(problems, what="files")
    if not sources:
        raise QunkpiError(tr(f"{path}：没有找到可导入的文件", f"{path}: no importable files found"))
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    sources.sort(key=lambda s: (order[s.table], s.name))
    return sources


@dataclass
class _Plan:
    """A validated source, ready to store: the SQL of its typed rows and the lookup tables built for it."""

    table: Table
    typed: str  # SELECT of "__row", the typed columns (c), raw values (r__c) and "__extra" over the source
    present: set[str]  # canonical columns the source has
    rows: int
    person_maps: dict[str, str] = field(default_factory=dict)  # column -> temp table (raw, pid)
    text_maps: dict[str, str] = field(default_factory=dict)  # column -> temp table (orig, red): changed texts only
    path: Path | None = None  # a file the plan reads again when storing: it must still have this sha256
    sha256: str = ""
    # ranges of "__ord" (inclusive) stored one INSERT each, in order; None = all rows in one INSERT
    chunks: list[tuple[int, int]] | None = None
    no_text: str | None = None  # temp table (t, ty, s): summaries of no-consent texts, built at write time


class Loader:
    """Validates and loads a batch of sources into one workspace.

    A source is never copied into Python memory when DuckDB can read it: Parquet files are scanned in place
    (twice: once to validate, once to store, streamed in row groups), CSV/TSV files are loaded once into a
    temporary table. Validation is one aggregate query per source; pseudonymisation and PII redaction are
    lookup tables built from the *distinct* values (person ids; texts the RE2 prefilter flags), joined into a
    single ``INSERT ... SELECT`` per source at write time.
    """

    def __init__(self, ws: Workspace, progress: Callable[[str], None] | None = None) -> None:
        self.ws = ws
        self.con = ws.con
        self.progress = progress or (lambda _msg: None)
        # Conversions name the workspace zone explicitly: never depend on the session TimeZone (Ibis sets UTC).
        self.tz = ws.settings.timezone
        self._plans: dict[str, _Plan] = {}
        self._temp: list[str] = []  # temporary tables to drop at the end
        self._views: list[str] = []  # registered Arrow tables to unregister at the end
        self._n = 0

    # -- public ------------------------------------------------------------------------------------
    def load(
        self,
        sources: list[Source],
        *,
        recalls: pa.Table | None = None,
        service_messages: pa.Table | None = None,
        skipped: Counter[str] | None = None,
    ) -> ImportReport:
        report = ImportReport(import_id=uuid.uuid4().hex[:12], skipped=Counter(skipped or {}))
        staged: list[tuple[Source, str, TableReport]] = []
        all_problems: list[Problem] = []
        total = 0
        try:
            for src in sources:
                self.progress(tr(f"校验 {src.name}", f"validating {src.name}"))
                stg, rep, problems, n = self._stage(src)
                all_problems.extend(problems)
                total += n
                if stg is not None and rep is not None:
                    staged.append((src, stg, rep))
            if all_problems:
                raise ValidationFailed(
                    all_problems[:MAX_PROBLEMS], total=max(total, len(all_problems)), what="import"
                )
            for src, stg, rep in staged:
                self.progress(tr(f"写入 {src.table}", f"writing {src.table}"))
                self._commit(src, stg, rep, report)
            if recalls is not None and recalls.num_rows:
                self._apply_recalls(recalls, report)
            if service_messages is not None and service_messages.num_rows:
                self._store_service(service_messages, report)
        finally:
            self._cleanup()
        return report

    def _cleanup(self) -> None:
        for view in self._views:
            self.con.unregister(view)
        for t in self._temp:
            self.con.execute(f'DROP TABLE IF EXISTS "{t}"')
        self._views.clear()
        self._temp.clear()
        self._plans.clear()

    # -- staging -----------------------------------------------------------------------------------
    def _register(self, t: pa.Table) -> str:
        """An Arrow source as a relation; ``__ord`` keeps its row order (a converter's ``__row`` may not)."""
        if ROW_COL not in t.column_names:
            t = t.append_column(ROW_COL, pa.array(range(1, t.num_rows + 1), pa.int64()))
        t = t.append_column(ORD_COL, pa.array(range(t.num_rows), pa.int64()))
        view = f"__src_{self._n}"
        self.con.register(view, t)
        self._views.append(view)
        return f'SELECT * FROM "{view}"'

    def _read(self, src: Source) -> tuple[str | None, ReadResult | None]:
        """The source as a relation (SQL with ``__row``), and how it was read (None for Arrow sources)."""
        self._n += 1
        if src.data is not None:
            return self._register(src.data), None
        assert src.path is not None
        src.sha256 = sha256_file(src.path)
        res = open_file(src.path, self.con, f"__src_{self._n}")
        self._temp.extend(res.temp_tables)
        src.encoding = res.encoding
        src.problems.extend(res.problems)
        if res.relation is not None:
            return res.relation, res
        if res.table is None:
            return None, None
        return self._register(res.table), None

    def _stage(self, src: Source) -> tuple[str | None, TableReport | None, list[Problem], int]:
        """Validate one source; when it is valid, build its lookup tables and keep its plan (``stg`` names it)."""
        relation, how = self._read(src)
        if relation is None:
            return None, None, src.problems, len(src.problems)
        table = TABLES[src.table]
        try:
            source_types = {
                r[0]: str(r[1]).upper() for r in self.con.execute(f"DESCRIBE {relation}").fetchall()
            }
            missing = self._missing_columns(src, table, set(source_types))
            if missing:
                return None, None, src.problems + missing, len(src.problems) + len(missing)
            typed = self._typed_sql(table, relation, source_types)
            problems, total, other, rows = self._check(src, table, typed, source_types)
            if problems:
                return None, None, src.problems + problems, total + len(src.problems)
            plan = _Plan(table, typed, {c.name for c in table.columns if c.name in source_types}, rows)
            if how is not None and how.rereads_file and src.path is not None:
                plan.path, plan.sha256 = src.path, src.sha256
            if how is not None and how.blocks is not None:  # Parquet: row groups, rows from 1
                plan.chunks = _chunks(how.blocks, 1)
            elif how is not None:  # CSV/TSV in a temporary table: rows from 2 (the header is row 1)
                plan.chunks = _chunks([CHUNK_ROWS] * (rows // CHUNK_ROWS) + [rows % CHUNK_ROWS], 2)
            self._build_maps(plan)
        except duckdb.Error as e:
            if src.path is None:
                raise
            # A damaged Parquet page shows only when DuckDB reads it: the file's problem, never a crash.
            return None, None, [*src.problems, unreadable(src.name, e)], len(src.problems) + 1
        stg = f"__plan_{self._n}"
        self._plans[stg] = plan
        rep = TableReport(
            file=src.name,
            table=src.table,
            rows_read=rows,
            open_enum_other=other,
            encoding=src.encoding,
        )
        return stg, rep, [], 0

    def _missing_columns(self, src: Source, table: Table, cols: set[str]) -> list[Problem]:
        header_row = 1 if src.path and file_kind(src.path) in ("csv", "tsv", "xlsx") else None
        return [
            Problem(
                src.name,
                header_row,
                c.name,
                tr(
                    f"缺少必需的列 {c.name}（{c.type.value}）",
                    f"required column {c.name} ({c.type.value}) is missing",
                ),
                tr(
                    f"在表头加入 {c.name} 列；{table.name} 的列：{', '.join(table.column_names)}",
                    f"add a {c.name} column to the header; {table.name} columns: {', '.join(table.column_names)}",
                ),
            )
            for c in table.columns
            if c.name not in cols and c.required
        ]

    def _typed_sql(self, table: Table, relation: str, source_types: dict[str, str]) -> str:
        """One projection of the source: every canonical column converted (``"c"``), the raw value kept beside
        it (``"r__c"``) where a conversion can fail, and extra columns folded into JSON."""
        exprs = [f'"{ROW_COL}"', f'"{ORD_COL}"' if ORD_COL in source_types else f'"{ROW_COL}" AS "{ORD_COL}"']
        for c in table.columns:
            if c.name not in source_types:
                continue
            src_type = source_types[c.name]
            exprs.append(f"{_typed_expr(c, f'{_q(c.name)}', src_type, self.tz)} AS {_q(c.name)}")
            if _can_fail(c, src_type):
                exprs.append(f"{_q(c.name)} AS {_q('r__' + c.name)}")
        extras = [n for n in source_types if n not in table.column_names and n not in (ROW_COL, ORD_COL)]
        if extras:
            pairs = ", ".join(f"'{_sql_str(n)}', CAST({_q(n)} AS VARCHAR)" for n in extras)
            exprs.append(f'CAST(json_object({pairs}) AS VARCHAR) AS "__extra"')
        else:
            exprs.append('CAST(NULL AS VARCHAR) AS "__extra"')
        return f'SELECT {", ".join(exprs)} FROM ({relation})'

    def _check(
        self, src: Source, table: Table, typed: str, source_types: dict[str, str]
    ) -> tuple[list[Problem], int, int, int]:
        """Every rule as one ``count_if`` in a single aggregate query; rows are fetched only for failing rules."""
        checks: list[tuple[str, str, str, str]] = []  # shown column, failing condition, message, hint
        for c in table.columns:
            if c.name not in source_types:
                continue
            col = _q(c.name)
            raw = _q("r__" + c.name)
            can_fail = _can_fail(c, source_types[c.name])
            if c.required:
                empty = f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '') IS NULL" if can_fail else f"{col} IS NULL"
                checks.append(
                    (c.name, empty, tr("不能为空", "must not be empty"), tr("填入该值", "fill in a value"))
                )
            if can_fail:
                checks.append(
                    (
                        c.name,
                        f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '') IS NOT NULL AND {col} IS NULL",
                        _type_msg(c),
                        _type_hint(c),
                    )
                )
            if c.type is ColType.TS:
                checks.append(
                    (
                        c.name,
                        f"{col} < TIMESTAMP '{MIN_TS}'",
                        tr("时间早于 2000 年", "timestamp before 2000"),
                        tr("检查时间格式或时区", "check the date format and time zone"),
                    )
                )
                checks.append(
                    (
                        c.name,
                        f"{col} > CAST(now() AS TIMESTAMP) + INTERVAL 2 DAY",
                        tr("时间在未来", "timestamp is in the future"),
                        tr(
                            "检查年份与时区（毫秒/秒）",
                            "check the year, the time zone and seconds vs milliseconds",
                        ),
                    )
                )
            if c.enum and not c.open_enum:
                vals = ", ".join(f"'{v}'" for v in c.enum)
                checks.append(
                    (
                        c.name,
                        f"{col} IS NOT NULL AND {col} NOT IN ({vals})",
                        tr(
                            f"取值不在允许范围：{', '.join(c.enum)}", f"value not one of: {', '.join(c.enum)}"
                        ),
                        tr("改为允许的取值之一", "use one of the allowed values"),
                    )
                )
            if c.min_value is not None:
                checks.append(
                    (
                        c.name,
                        f"{col} < {c.min_value}",
                        tr(f"不能小于 {c.min_value:g}", f"must be ≥ {c.min_value:g}"),
                        tr(
                            "检查数值（退款请填在 refund_amount）",
                            "check the number (refunds go in refund_amount)",
                        ),
                    )
                )
            if c.max_value is not None:
                checks.append(
                    (
                        c.name,
                        f"{col} > {c.max_value}",
                        tr(f"不能大于 {c.max_value:g}", f"must be ≤ {c.max_value:g}"),
                        tr("检查数值范围", "check the value range"),
                    )
                )
        if table.name == "surveys" and {"kind", "score"} <= set(source_types):
            checks.append(
                (
                    "score",
                    "kind = 'csat' AND score NOT BETWEEN 1 AND 5",
                    tr("CSAT 分数应为 1–5", "a CSAT score must be 1–5"),
                    tr("NPS 为 0–10，CSAT 为 1–5", "NPS is 0–10, CSAT 1–5"),
                )
            )
        if table.name == "members" and {"joined_at", "left_at"} <= set(source_types):
            checks.append(
                (
                    "left_at",
                    "left_at < joined_at",
                    tr("退群时间早于入群时间", "left_at is before joined_at"),
                    tr("检查两列是否填反", "check whether the two columns are swapped"),
                )
            )
        open_enums = [c for c in table.columns if c.enum and c.open_enum and c.name in source_types]
        aggs = [f"count_if({cond})" for _, cond, _, _ in checks]
        aggs += [
            f"count_if({_q(c.name)} IS NOT NULL AND {_q(c.name)} NOT IN ({', '.join(repr(v) for v in c.enum or ())}))"
            for c in open_enums
        ]
        n_rules = len(aggs)
        # The key's distinct count (one-column keys; NULLs form one group, as in GROUP BY): fewer groups than
        # rows means duplicates, and the rows are looked up only then.
        one_key = table.key[0] if len(table.key) == 1 and table.key[0] in source_types else None
        if one_key:
            aggs.append(f"count(DISTINCT {_q(one_key)}) + (count_if({_q(one_key)} IS NULL) > 0)::BIGINT")
        # Every column is read once in validation, so that a damaged file fails here, not the write: columns no rule
        # reads are counted (person ids and free text are read whole when their lookup tables are built).
        checked = {name for name, *_ in checks} | {c.name for c in open_enums} | set(FREE_TEXT.get(table.name, ()))
        if self.ws.pseudonymizer.enabled:
            checked |= {c.name for c in table.columns if c.person}
        aggs += [
            f"count({_q(n)})"
            for n in [*source_types, "__extra"]
            if n not in checked and (n in table.column_names or n == "__extra")
        ]
        # count_if over an empty file is NULL, not 0
        row = first(self.con.execute(f'SELECT count(*), {", ".join(aggs) or "0"} FROM ({typed}) t'))
        n_rows = int(row[0]) if row else 0
        counts = [int(x or 0) for x in (row[1 : 1 + n_rules] if row else [])]
        groups = int(row[1 + n_rules] or 0) if row and one_key else None
        other = int(sum(counts[len(checks) :])) if open_enums else 0
        problems: list[Problem] = []
        total = 0
        for (name, cond, msg, hint), n in zip(checks, counts, strict=False):
            if not n:
                continue
            total += int(n)
            room = MAX_PROBLEMS - len(problems)
            if room <= 0:
                continue
            shown_col = _q("r__" + name) if f'"r__{name}"' in cond else _q(name)
            for r, val in self.con.execute(
                f'SELECT "{ROW_COL}", CAST({shown_col} AS VARCHAR) FROM ({typed}) t WHERE {cond} ORDER BY "{ROW_COL}" LIMIT {room}'
            ).fetchall():
                shown = "" if val is None else f" (got {str(val)[:60]!r})"
                problems.append(Problem(src.name, int(r), name, msg + shown, hint))
        # Duplicate keys inside the file (only meaningful once the key columns are valid).
        if not problems and all(k in source_types for k in table.key) and self._has_duplicates(table, typed, groups, n_rows):
            keys = ", ".join(_q(k) for k in table.key)
            for rows, n in self.con.execute(
                f'SELECT list("{ROW_COL}" ORDER BY "{ROW_COL}"), count(*) OVER () FROM ({typed}) t GROUP BY {keys} '
                f'HAVING count(*) > 1 ORDER BY min("{ROW_COL}") LIMIT {MAX_PROBLEMS}'
            ).fetchall():
                total = int(n)
                problems.append(
                    Problem(
                        src.name,
                        int(rows[1]),
                        ",".join(table.key),
                        tr(f"主键重复（与第 {rows[0]} 行相同）", f"duplicate key (same as row {rows[0]})"),
                        tr("删除或合并重复的行", "remove or merge the duplicate rows"),
                    )
                )
        return problems, total, other, n_rows

    def _has_duplicates(self, table: Table, typed: str, groups: int | None, n_rows: int) -> bool:
        if groups is not None:
            return groups < n_rows
        keys = ", ".join(_q(k) for k in table.key)
        return bool(self.con.execute(f"SELECT 1 FROM ({typed}) t GROUP BY {keys} HAVING count(*) > 1 LIMIT 1").fetchall())

    def _temp_table(self, data: pa.Table) -> str:
        """Copy an Arrow table into a DuckDB temporary table (dropped when the load ends)."""
        self._n += 1
        name, view = f"__map_{self._n}", f"__map_{self._n}_v"
        self.con.register(view, data)
        try:
            self.con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM "{view}"')
        finally:
            self.con.unregister(view)
        self._temp.append(name)
        return name

    def _build_maps(self, plan: _Plan) -> None:
        """Pseudonyms for the distinct person ids; redacted texts for the distinct texts the PII prefilter flags.

        Python sees each distinct id and each candidate text once, never a row; the maps are joined in at write.
        """
        from qunkpi.classify.pii import PREFILTER, redact_array

        table = plan.table
        pseudo = self.ws.pseudonymizer
        if pseudo.enabled:
            for c in table.columns:
                if not c.person or c.name not in plan.present:
                    continue
                col = _q(c.name)
                raw = self.con.execute(
                    f"SELECT DISTINCT {col} FROM ({plan.typed}) t WHERE {col} IS NOT NULL"
                ).to_arrow_table().column(0)
                if len(raw):
                    plan.person_maps[c.name] = self._temp_table(pa.table({"raw": raw, "pid": pseudo.array(raw)}))
        for name in FREE_TEXT.get(table.name, ()):
            if name not in plan.present:
                continue
            col = _q(name)
            # The same RE2 prefilter redact_array applies (which applies it again, so the result is its result).
            cand = self.con.execute(
                f"SELECT DISTINCT {col} FROM ({plan.typed}) t WHERE regexp_matches({col}, '{_sql_str(PREFILTER)}')"
            ).to_arrow_table().column(0).combine_chunks()
            if not len(cand):
                continue
            red = redact_array(cand)
            changed = pc.not_equal(cand, red)
            if pc.any(changed).as_py():
                plan.text_maps[name] = self._temp_table(
                    pa.table({"orig": cand.filter(changed), "red": red.filter(changed)})
                )

    def _stored_sql(self, plan: _Plan, keys_only: bool = False, where: str = "") -> str:
        """The rows as they will be stored: canonical columns (absent ones defaulted, open enums folded into
        "other", person ids pseudonymised, free text redacted), ``extra`` and the source order ``__ord``."""
        table = plan.table
        exprs: list[str] = []
        joins: list[str] = []
        for c in table.columns:
            if keys_only and c.name not in table.key:
                continue
            col = f"t.{_q(c.name)}"
            if c.name in plan.present:
                e = col
                if c.enum and c.open_enum:
                    vals = ", ".join(f"'{v}'" for v in c.enum)
                    e = f"CASE WHEN {col} IS NULL OR {col} IN ({vals}) THEN {col} ELSE 'other' END"
                if c.name in plan.person_maps:
                    alias = f"j{len(joins)}"
                    joins.append(f'LEFT JOIN "{plan.person_maps[c.name]}" {alias} ON {col} = {alias}.raw')
                    e = f"{alias}.pid"
                if c.name in plan.text_maps:
                    alias = f"j{len(joins)}"
                    joins.append(f'LEFT JOIN "{plan.text_maps[c.name]}" {alias} ON {col} = {alias}.orig')
                    e = f"coalesce({alias}.red, {col})"
            elif c.default is not None:
                e = _literal(c)
            else:
                e = f"CAST(NULL AS {DUCKDB_TYPE[c.type]})"
            exprs.append(f"{e} AS {_q(c.name)}")
        if not keys_only:
            exprs.append(f't."__extra" AS "{EXTRA_COLUMN}"')
            exprs.append(f't."{ORD_COL}"')
        return f"SELECT {', '.join(exprs)} FROM ({plan.typed}) t {' '.join(joins)} {where}"

    def _rows_sql(self, plan: _Plan, where: str = "") -> str:
        """:meth:`_stored_sql`, and for messages of communities without archive consent (SPEC §9 / issue 3) no
        text: its class, sentiment and length instead, computed now from the redacted text into ``extra``."""
        stored = self._stored_sql(plan, where=where)
        if plan.no_text is None:
            return stored
        ids = ", ".join(f"'{_sql_str(c)}'" for c in sorted(self._no_consent_ids()))
        flagged = f'SELECT *, CASE WHEN community_id IN ({ids}) THEN "text" END AS __nc_text FROM ({stored}) s'
        extra = f'f."{EXTRA_COLUMN}"'
        cols = [
            'CASE WHEN n.s IS NULL THEN f."text" END AS "text"' if c == "text" else f"f.{_q(c)}"
            for c in plan.table.column_names
        ]
        cols.append(
            f"CASE WHEN n.s IS NULL THEN {extra} ELSE CAST(json_merge_patch(json_merge_patch("
            f"coalesce({extra}, '{{}}'), n.s), '{{\"consent\": false}}') AS VARCHAR) END AS \"{EXTRA_COLUMN}\""
        )
        cols.append(f'f."{ORD_COL}"')
        return (
            f'SELECT {", ".join(cols)} FROM ({flagged}) f LEFT JOIN "{plan.no_text}" n '
            "ON f.__nc_text = n.t AND f.msg_type = n.ty"
        )

    def _summarise_no_consent(self, plan: _Plan) -> None:
        """The (text, type) pairs of messages of communities without archive consent, each summarised once."""
        if plan.table.name != "messages" or "text" not in plan.present:
            return
        no_consent = sorted(self._no_consent_ids())
        if not no_consent:
            return
        from qunkpi.classify.engine import no_text_summary

        ids = ", ".join(f"'{_sql_str(c)}'" for c in no_consent)
        pairs = self.con.execute(
            f'SELECT DISTINCT "text", msg_type FROM ({self._stored_sql(plan)}) s '
            f'WHERE community_id IN ({ids}) AND "text" IS NOT NULL'
        ).to_arrow_table()
        if pairs.num_rows == 0:
            return
        summary = no_text_summary(pairs.column(0), [str(x) for x in pairs.column(1).to_pylist()])
        plan.no_text = self._temp_table(
            pa.table({"t": pairs.column(0), "ty": pairs.column(1), "s": pa.array(summary, pa.string())})
        )

    def _strip_text(self, where: str) -> str:
        """SPEC §9 / issue 3: for stored messages of communities without session-archive consent keep only the
        class, sentiment and length of a message (computed from the redacted text now, into ``extra``).

        Returns the table of the (community, day) pairs of the messages it changed (for
        Workspace.messages_changed)."""
        from qunkpi.classify.engine import no_text_summary

        table = "messages"
        touched = self._touched_days(f'SELECT community_id, sent_at FROM "{table}" WHERE text IS NOT NULL AND {where}')
        pairs = self.con.execute(
            f'SELECT DISTINCT text, msg_type FROM "{table}" WHERE text IS NOT NULL AND {where}'
        ).to_arrow_table()
        if pairs.num_rows == 0:
            return touched
        summary = no_text_summary(pairs.column(0), [str(x) for x in pairs.column(1).to_pylist()])
        self.con.register(
            "__no_text", pa.table({"t": pairs.column(0), "ty": pairs.column(1), "s": pa.array(summary, pa.string())})
        )
        try:
            self.con.execute(
                f'''UPDATE "{table}" SET "{EXTRA_COLUMN}" = CAST(json_merge_patch(json_merge_patch(coalesce("{EXTRA_COLUMN}", '{{}}'), n.s),
                       '{{"consent": false}}') AS VARCHAR), text = NULL
                   FROM __no_text n WHERE "{table}".text = n.t AND "{table}".msg_type = n.ty AND {where}'''
            )
        finally:
            self.con.unregister("__no_text")
        # the metric engine's stored copy holds the text of questions: it goes with the text (rebuilt later)
        from qunkpi.engine.facts import drop_facts

        drop_facts(self.ws)
        return touched

    def _replaced_messages(self, plan: _Plan) -> tuple[int, int]:
        """How many stored messages this file replaces, and how many of them with a row of another community or
        day: one pass over the stored ids."""
        row = first(
            self.con.execute(
                f"""SELECT count(*), count(*) FILTER (WHERE moved) FROM (
                  SELECT bool_or(t.community_id IS DISTINCT FROM s.community_id
                                 OR CAST(t.sent_at AS DATE) IS DISTINCT FROM CAST(s.sent_at AS DATE)) AS moved
                  FROM messages t JOIN (SELECT message_id, community_id, sent_at FROM ({plan.typed}) x) s
                    ON t.message_id = s.message_id
                  GROUP BY t.rowid)"""
            )
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def _touched_days(self, rows_sql: str) -> str:
        """A temp table of the distinct (community_id, day) of ``rows_sql`` (columns community_id, sent_at): the
        days a write to ``messages`` touches (Workspace.messages_changed)."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE __qk_touched AS "
            f"SELECT DISTINCT community_id, CAST(sent_at AS DATE) AS day FROM ({rows_sql}) r"
        )
        return "__qk_touched"

    def _no_consent_ids(self) -> set[str]:
        """Communities lacking archive consent. Communities are stored before messages, so this includes the
        communities of the batch being loaded."""
        return {r[0] for r in self.con.execute("SELECT community_id FROM communities WHERE archive_consent = false").fetchall()}

    # -- writing -----------------------------------------------------------------------------------
    def _commit(self, src: Source, stg: str, rep: TableReport, report: ImportReport) -> None:
        table = TABLES[src.table]
        plan = self._plans[stg]
        self._summarise_no_consent(plan)
        on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in table.key)
        con = self.con
        with self.ws.transaction():
            existing = moved = 0
            if con.execute(f'SELECT 1 FROM "{table.name}" LIMIT 1').fetchall():
                keys = self._stored_sql(plan, keys_only=True)
                if table.name == "messages":
                    existing, moved = self._replaced_messages(plan)
                else:
                    existing = scalar_int(
                        con, f'SELECT count(*) FROM "{table.name}" t WHERE EXISTS (SELECT 1 FROM ({keys}) s WHERE {on})'
                    )
                if existing:
                    con.execute(f'DELETE FROM "{table.name}" t WHERE EXISTS (SELECT 1 FROM ({keys}) s WHERE {on})')
            names = ", ".join(f'"{n}"' for n in [*table.column_names, EXTRA_COLUMN])
            try:
                # In source order: a hash join does not keep it, so each chunk is sorted (chunks bound the memory).
                ordered = bool(plan.person_maps or plan.text_maps or plan.no_text)
                ranges: list[tuple[int, int] | None] = list(plan.chunks) if plan.chunks else [None]
                for rng in ranges:
                    where = "" if rng is None else f'WHERE t."{ORD_COL}" BETWEEN {rng[0]} AND {rng[1]}'
                    order = f'ORDER BY r."{ORD_COL}"' if ordered else ""
                    con.execute(
                        f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM ({self._rows_sql(plan, where)}) r {order}'
                    )
            except duckdb.Error as e:
                if plan.path is None:
                    raise
                raise QunkpiError(unreadable(src.name, e).format()) from e
            if plan.path is not None and sha256_file(plan.path) != plan.sha256:
                raise QunkpiError(
                    tr(
                        f"{src.name}：文件在导入过程中被修改，本文件未写入；请重新导入",
                        f"{src.name}: the file changed while it was being imported; nothing of it was stored — import it again",
                    )
                )
            rep.updated = existing
            rep.inserted = rep.rows_read - existing
            touched: str | None = None  # the days of the messages written, when none moved to another day
            if table.name == "messages":
                recall = "WHERE NOT recalled AND message_id IN (SELECT message_id FROM recall_audit)"
                if not moved:
                    touched = self._touched_days(
                        f"SELECT community_id, sent_at FROM ({plan.typed}) t "
                        f"UNION ALL SELECT community_id, sent_at FROM messages {recall}"
                    )
                # A recall seen in another file keeps its original marked recalled after a re-import.
                con.execute(f"UPDATE messages SET recalled = true {recall}")
            if table.name == "communities":
                # Consent withdrawn later: drop the text already stored for those communities.
                touched = self._strip_text("community_id IN (SELECT community_id FROM communities WHERE archive_consent = false)")
            if table.name in CONTEXT_TABLES or moved:
                # staff context changed, or a stored message moved to another community or day (the labels of
                # its old neighbours may change too): every label is remade. A message replaced on its own
                # day (an overlapping export) is found by the incremental run through its input hash.
                con.execute("INSERT OR REPLACE INTO kv VALUES ('labels_dirty', '1')")
            if table.name in ("messages", "communities"):  # communities: withdrawn consent strips message text
                self.ws.messages_changed(touched)
            con.execute(
                "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    report.import_id,
                    datetime.now(),
                    src.name,
                    src.sha256,
                    src.fmt,
                    table.name,
                    rep.rows_read,
                    rep.inserted,
                    rep.updated,
                    rep.skipped,
                    f"encoding={rep.encoding}; other={rep.open_enum_other}",
                ],
            )
        report.tables.append(rep)

    def _apply_recalls(self, recalls: pa.Table, report: ImportReport) -> None:
        """Recall records mark their originals recalled; all of them are kept in the audit table."""
        t = recalls
        pseudo = self.ws.pseudonymizer
        if "sender_id" in t.column_names and pseudo.enabled:
            t = t.set_column(
                t.column_names.index("sender_id"), "sender_id", pseudo.array(t.column("sender_id"))
            )
        self.con.register("__recalls", t)
        con = self.con
        try:
            with self.ws.transaction():
                found = scalar_int(
                    con, "SELECT count(*) FROM __recalls r WHERE r.message_id IN (SELECT message_id FROM messages)"
                )
                touched = self._touched_days(
                    "SELECT community_id, sent_at FROM messages WHERE message_id IN (SELECT message_id FROM __recalls)"
                )
                con.execute(
                    "UPDATE messages SET recalled = true WHERE message_id IN (SELECT message_id FROM __recalls)"
                )
                self.ws.messages_changed(touched)
                con.execute(
                    f"""INSERT INTO recall_audit SELECT CAST(message_id AS VARCHAR), CAST(community_id AS VARCHAR),
                       CAST(sender_id AS VARCHAR), {_local_ts("recalled_at", self.tz)}, 'import'
                       FROM __recalls r WHERE NOT EXISTS (SELECT 1 FROM recall_audit a WHERE a.message_id = r.message_id)"""
                )
        finally:
            con.unregister("__recalls")
        report.recalls_applied += found
        report.recalls_audit_only += t.num_rows - found

    def _store_service(self, msgs: pa.Table, report: ImportReport) -> None:
        from qunkpi.classify.pii import redact_array

        t = msgs
        pseudo = self.ws.pseudonymizer
        for col in ("sender_id", "staff_id"):
            if col in t.column_names and pseudo.enabled:
                t = t.set_column(t.column_names.index(col), col, pseudo.array(t.column(col)))
        if "text" in t.column_names:
            t = t.set_column(t.column_names.index("text"), "text", redact_array(t.column("text")))
        self.con.register("__svc", t)
        con = self.con
        try:
            with self.ws.transaction():
                con.execute(
                    "DELETE FROM service_messages WHERE message_id IN (SELECT CAST(message_id AS VARCHAR) FROM __svc)"
                )
                con.execute(
                    f"""INSERT INTO service_messages SELECT CAST(message_id AS VARCHAR), CAST(conversation_id AS VARCHAR),
                       CAST(staff_id AS VARCHAR), CAST(sender_id AS VARCHAR),
                       {_local_ts("sent_at", self.tz)}, CAST(msg_type AS VARCHAR),
                       CAST(text AS VARCHAR), TRY_CAST(from_staff AS BOOLEAN) FROM __svc"""
                )
        finally:
            con.unregister("__svc")
        report.service_messages += t.num_rows


# -- SQL expression helpers --------------------------------------------------------------------------


def _chunks(blocks: list[int], first_row: int) -> list[tuple[int, int]]:
    """Inclusive row ranges from ``first_row`` on, each made of whole blocks (Parquet row groups) and of at most
    ``CHUNK_ROWS`` rows unless one block alone is larger."""
    out: list[tuple[int, int]] = []
    lo = hi = first_row  # the current range is [lo, hi)
    for n in blocks:
        if hi > lo and hi - lo + n > CHUNK_ROWS:
            out.append((lo, hi - 1))
            lo = hi
        hi += n
    if hi > lo:
        out.append((lo, hi - 1))
    return out


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _literal(c: Column) -> str:
    v = c.default
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"CAST({v} AS {DUCKDB_TYPE[c.type]})"
    return f"'{_sql_str(str(v))}'"


def _local_ts(col: str, tz: str) -> str:
    """A converter-produced timestamp string (with or without offset) as naive local time in ``tz``."""
    c = Column(col, ColType.TS)
    return _typed_expr(c, col, "VARCHAR", tz)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_NATIVE = {
    ColType.TS: (
        "TIMESTAMP",
        "TIMESTAMP_NS",
        "TIMESTAMP_MS",
        "TIMESTAMP_S",
        "TIMESTAMP WITH TIME ZONE",
        "DATE",
    ),
    ColType.DATE: ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
    ColType.INT: (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "HUGEINT",
    ),
    ColType.DECIMAL: ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "HUGEINT"),
    ColType.FLOAT: ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "HUGEINT"),
    ColType.BOOL: ("BOOLEAN",),
}


def _native(c: Column, src_type: str) -> bool:
    """The source column already has the canonical type (Parquet, typed Arrow): no parsing, nothing can fail."""
    natives = _NATIVE.get(c.type, ())
    return src_type in natives or (
        c.type in (ColType.DECIMAL, ColType.FLOAT) and src_type.startswith("DECIMAL")
    )


def _can_fail(c: Column, src_type: str) -> bool:
    return c.type is not ColType.STR and not _native(c, src_type)


# A timestamp string ending in a UTC offset or Z (after a time of day): convert from that offset.
_OFFSET_RE = r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([zZ]|[+-]\d{2}(:?\d{2})?)$"


def _typed_expr(c: Column, raw: str, src_type: str = "VARCHAR", tz: str = "Asia/Shanghai") -> str:
    """A DuckDB expression turning the raw column into the canonical type (NULL where it cannot)."""
    t = c.type
    if _native(c, src_type):
        if t is ColType.TS and src_type == "TIMESTAMP WITH TIME ZONE":
            return f"timezone('{tz}', {raw})"
        return f"CAST({raw} AS {DUCKDB_TYPE[t]})"
    txt = f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '')"
    if t is ColType.STR:
        if c.enum:
            return f"lower({txt})"
        return f"NULLIF(CAST({raw} AS VARCHAR), '')"
    if t is ColType.TS:
        # Offsets are honoured; naive values are wall-clock time in the workspace time zone (fast path, no ICU).
        return (
            f"CASE WHEN regexp_matches({txt}, '{_OFFSET_RE}') "
            f"THEN timezone('{tz}', TRY_CAST({txt} AS TIMESTAMPTZ)) "
            f"ELSE COALESCE(TRY_CAST({txt} AS TIMESTAMP), "
            f"TRY_STRPTIME({txt}, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d', '%Y%m%d %H:%M:%S'])) END"
        )
    if t is ColType.DATE:
        return f"COALESCE(TRY_CAST({txt} AS DATE), CAST(TRY_STRPTIME({txt}, ['%Y/%m/%d', '%Y%m%d']) AS DATE))"
    if t is ColType.INT:
        d = f"TRY_CAST({txt} AS DOUBLE)"
        return f"CASE WHEN {d} = floor({d}) AND abs({d}) < 9e18 THEN CAST({d} AS BIGINT) END"
    if t in (ColType.DECIMAL, ColType.FLOAT):
        return f"TRY_CAST(replace({txt}, ',', '') AS DOUBLE)"
    if t is ColType.BOOL:
        trues = ", ".join(f"'{w}'" for w in TRUE_WORDS)
        falses = ", ".join(f"'{w}'" for w in FALSE_WORDS)
        return f"CASE WHEN lower({txt}) IN ({trues}) THEN true WHEN lower({txt}) IN ({falses}) THEN false END"
    if t is ColType.MONTH:
        return f"CASE WHEN regexp_full_match({txt}, '\\d{{4}}-(0[1-9]|1[0-2])') THEN {txt} END"
    raise AssertionError(t)


def _type_msg(c: Column) -> str:
    names = {
        ColType.TS: ("时间格式无法识别", "not a timestamp"),
        ColType.DATE: ("日期格式无法识别", "not a date"),
        ColType.INT: ("应为整数", "not an integer"),
        ColType.DECIMAL: ("应为数字", "not a number"),
        ColType.FLOAT: ("应为数字", "not a number"),
        ColType.BOOL: ("应为 true/false", "not a boolean"),
        ColType.MONTH: ("应为 YYYY-MM 月份", "not a month (YYYY-MM)"),
    }
    zh, en = names[c.type]
    return tr(zh, en)


def _type_hint(c: Column) -> str:
    hints = {
        ColType.TS: (
            "使用 ISO 8601，如 2026-10-05 20:15:00 或 2026-10-05T20:15:00+08:00",
            "use ISO 8601, e.g. 2026-10-05 20:15:00 or 2026-10-05T20:15:00+08:00",
        ),
        ColType.DATE: ("使用 YYYY-MM-DD", "use YYYY-MM-DD"),
        ColType.INT: ("填入整数，如 12", "write a whole number such as 12"),
        ColType.DECIMAL: ("填入数字（元），如 199.00", "write a number in yuan such as 199.00"),
        ColType.FLOAT: ("填入数字，如 0.42", "write a number such as 0.42"),
        ColType.BOOL: ("填 true 或 false", "write true or false"),
        ColType.MONTH: ("如 2026-10", "e.g. 2026-10"),
    }
    zh, en = hints[c.type]
    return tr(zh, en)


# -- entry points ------------------------------------------------------------------------------------


def import_path(
    ws: Workspace, path: Path, table: str | None = None, progress: Callable[[str], None] | None = None
) -> ImportReport:
    """Import a canonical folder or file (``qunkpi import PATH``)."""
    sources = discover(path, table)
    with ws.writing():
        return Loader(ws, progress).load(sources)


def load_tables(
    ws: Workspace,
    tables: dict[str, pa.Table],
    *,
    source: str,
    fmt: str,
    recalls: pa.Table | None = None,
    service_messages: pa.Table | None = None,
    skipped: Counter[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Store tables a format converter produced (canonical column names; values may be strings)."""
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    unknown = [name for name in tables if name not in TABLES]
    if unknown:
        raise QunkpiError(f"unknown canonical tables: {', '.join(unknown)}")
    sources = [
        Source(name=f"{source} [{name}]", table=name, data=_as_strings(tables[name]), fmt=fmt)
        for name in sorted(tables, key=lambda n: order[n])
        if tables[name].num_rows
    ]
    with ws.writing():
        return Loader(ws, progress).load(
            sources, recalls=recalls, service_messages=service_messages, skipped=skipped
        )


def _as_strings(t: pa.Table) -> pa.Table:
    cols = []
    for col in t.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols.append(col)
        elif pa.types.is_boolean(col.type):
            cols.append(pa.chunked_array([c.cast(pa.string()) for c in col.chunks], pa.string()))
        else:
            cols.append(col)
    return pa.table(cols, names=t.column_names)


def iter_problems(e: ValidationFailed) -> Iterable[str]:
    for p in e.problems:
        yield p.format()


__all__ = [
    "ImportReport",
    "Loader",
    "Source",
    "TableReport",
    "discover",
    "duckdb",
    "import_path",
    "load_tables",
]

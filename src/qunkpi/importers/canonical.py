"""Validate and store canonical tables (SPEC §2): all problems at once, one transaction per file, idempotent.

The pipeline for one source (a file, or an Arrow table a format converter produced):

1. register it in DuckDB with a ``__row`` column (the row number a user sees in the file);
2. validate every column in bulk SQL (missing columns, nulls, types, enums, ranges, duplicate keys) and collect
   up to ``MAX_PROBLEMS`` problems naming file, row and column;
3. build a typed staging table (timestamps converted to naive local time of the workspace), pseudonymise person
   ids with the workspace key and redact PII from free text;
4. in one transaction: delete the stored rows with the same keys, insert the staged rows, write the import log.

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

from qunkpi.errors import Problem, QunkpiError, ValidationFailed
from qunkpi.i18n import tr
from qunkpi.importers.readers import ROW_COL, file_kind, read_file, table_name_for
from qunkpi.workspace.schema import DUCKDB_TYPE, EXTRA_COLUMN, TABLE_ORDER, TABLES, ColType, Column, Table
from qunkpi.workspace.workspace import Workspace, first

MAX_PROBLEMS = 200
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


class Loader:
    """Validates and loads a batch of sources into one workspace."""

    def __init__(self, ws: Workspace, progress: Callable[[str], None] | None = None) -> None:
        self.ws = ws
        self.con = ws.con
        self.progress = progress or (lambda _msg: None)
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
            for _src, stg, _rep in staged:
                self.con.execute(f'DROP TABLE IF EXISTS "{stg}"')
        return report

    # -- staging -----------------------------------------------------------------------------------
    def _read(self, src: Source) -> pa.Table | None:
        if src.data is not None:
            t = src.data
            if ROW_COL not in t.column_names:
                t = t.append_column(ROW_COL, pa.array(range(1, t.num_rows + 1), pa.int64()))
            return t
        assert src.path is not None
        src.sha256 = sha256_file(src.path)
        res = read_file(src.path, self.con)
        src.encoding = res.encoding
        src.problems.extend(res.problems)
        return res.table

    def _stage(self, src: Source) -> tuple[str | None, TableReport | None, list[Problem], int]:
        data = self._read(src)
        if data is None:
            return None, None, src.problems, len(src.problems)
        table = TABLES[src.table]
        self._n += 1
        view = f"__src_{self._n}"
        self.con.register(view, data)
        try:
            problems, total = self._validate(src, table, view, data.column_names)
            if problems:
                return None, None, src.problems + problems, total + len(src.problems)
            stg = f"__stg_{self._n}"
            other = self._build_staging(src, table, view, data.column_names, stg)
        finally:
            self.con.unregister(view)
        rep = TableReport(
            file=src.name,
            table=src.table,
            rows_read=data.num_rows,
            open_enum_other=other,
            encoding=src.encoding,
        )
        return stg, rep, [], 0

    def _validate(
        self, src: Source, table: Table, view: str, present: list[str]
    ) -> tuple[list[Problem], int]:
        problems: list[Problem] = []
        total = 0
        cols = set(present)
        for c in table.columns:
            if c.name not in cols and c.required:
                problems.append(
                    Problem(
                        src.name,
                        1 if src.path and file_kind(src.path) in ("csv", "tsv", "xlsx") else None,
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
                )
        if problems:
            return problems, len(problems)
        checks: list[tuple[Column, str, str, str]] = []  # column, failing condition, message, hint
        for c in table.columns:
            if c.name not in cols:
                continue
            raw = f'"{c.name}"'
            txt = f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '')"
            if c.required:
                checks.append(
                    (
                        c,
                        f"{txt} IS NULL",
                        tr("不能为空", "must not be empty"),
                        tr("填入该值", "fill in a value"),
                    )
                )
            typed = _typed_expr(c, raw)
            if c.type is not ColType.STR:
                checks.append((c, f"{txt} IS NOT NULL AND ({typed}) IS NULL", _type_msg(c), _type_hint(c)))
            if c.type is ColType.TS:
                checks.append(
                    (
                        c,
                        f"({typed}) < TIMESTAMP '{MIN_TS}'",
                        tr("时间早于 2000 年", "timestamp before 2000"),
                        tr("检查时间格式或时区", "check the date format and time zone"),
                    )
                )
                checks.append(
                    (
                        c,
                        f"({typed}) > CAST(now() AS TIMESTAMP) + INTERVAL 2 DAY",
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
                        c,
                        f"{txt} IS NOT NULL AND lower({txt}) NOT IN ({vals})",
                        tr(
                            f"取值不在允许范围：{', '.join(c.enum)}", f"value not one of: {', '.join(c.enum)}"
                        ),
                        tr("改为允许的取值之一", "use one of the allowed values"),
                    )
                )
            if c.min_value is not None:
                checks.append(
                    (
                        c,
                        f"({typed}) < {c.min_value}",
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
                        c,
                        f"({typed}) > {c.max_value}",
                        tr(f"不能大于 {c.max_value:g}", f"must be ≤ {c.max_value:g}"),
                        tr("检查数值范围", "check the value range"),
                    )
                )
        if table.name == "surveys" and {"kind", "score"} <= cols:
            checks.append(
                (
                    table.column("score"),
                    "lower(trim(kind)) = 'csat' AND TRY_CAST(score AS BIGINT) NOT BETWEEN 1 AND 5",
                    tr("CSAT 分数应为 1–5", "a CSAT score must be 1–5"),
                    tr("NPS 为 0–10，CSAT 为 1–5", "NPS is 0–10, CSAT 1–5"),
                )
            )
        if table.name == "members" and {"joined_at", "left_at"} <= cols:
            checks.append(
                (
                    table.column("left_at"),
                    f"({_typed_expr(table.column('left_at'), 'left_at')}) < ({_typed_expr(table.column('joined_at'), 'joined_at')})",
                    tr("退群时间早于入群时间", "left_at is before joined_at"),
                    tr("检查两列是否填反", "check whether the two columns are swapped"),
                )
            )
        for c, cond, msg, hint in checks:
            row = first(self.con.execute(f'SELECT count(*) FROM "{view}" WHERE {cond}'))
            n = int(row[0]) if row else 0
            if not n:
                continue
            total += n
            room = MAX_PROBLEMS - len(problems)
            if room <= 0:
                continue
            for r, val in self.con.execute(
                f'SELECT "{ROW_COL}", CAST("{c.name}" AS VARCHAR) FROM "{view}" WHERE {cond} ORDER BY "{ROW_COL}" LIMIT {room}'
            ).fetchall():
                shown = "" if val is None else f" (got {str(val)[:60]!r})"
                problems.append(Problem(src.name, int(r), c.name, msg + shown, hint))
        # Duplicate keys inside the file.
        key_cols = [k for k in table.key if k in cols]
        if len(key_cols) == len(table.key):
            keys = ", ".join(
                _typed_expr(table.column(k), f'"{k}"')
                if table.column(k).type is not ColType.STR
                else f'"{k}"'
                for k in table.key
            )
            dups = self.con.execute(
                f'SELECT list("{ROW_COL}" ORDER BY "{ROW_COL}"), count(*) OVER () FROM "{view}" GROUP BY {keys} HAVING count(*) > 1 '
                f'ORDER BY min("{ROW_COL}") LIMIT {max(1, MAX_PROBLEMS - len(problems))}'
            ).fetchall()
            for rows, n in dups:
                total += int(n)
                problems.append(
                    Problem(
                        src.name,
                        int(rows[1]),
                        ",".join(table.key),
                        tr(f"主键重复（与第 {rows[0]} 行相同）", f"duplicate key (same as row {rows[0]})"),
                        tr("删除或合并重复的行", "remove or merge the duplicate rows"),
                    )
                )
        return problems, total

    def _build_staging(self, src: Source, table: Table, view: str, present: list[str], stg: str) -> int:
        cols = set(present)
        exprs = []
        other_count = 0
        for c in table.columns:
            if c.name in cols:
                e = _typed_expr(c, f'"{c.name}"')
                if c.enum and c.open_enum:
                    vals = ", ".join(f"'{v}'" for v in c.enum)
                    row = first(
                        self.con.execute(
                            f'SELECT count(*) FROM "{view}" WHERE ({e}) IS NOT NULL AND ({e}) NOT IN ({vals})'
                        )
                    )
                    other_count += int(row[0]) if row else 0
                    e = f"CASE WHEN ({e}) IS NULL OR ({e}) IN ({vals}) THEN ({e}) ELSE 'other' END"
            elif c.default is not None:
                e = _literal(c)
            else:
                e = f"CAST(NULL AS {DUCKDB_TYPE[c.type]})"
            exprs.append(f'{e} AS "{c.name}"')
        extras = [n for n in present if n not in table.column_names and n != ROW_COL]
        if extras:
            pairs = ", ".join(f"'{_sql_str(n)}', CAST(\"{n}\" AS VARCHAR)" for n in extras)
            exprs.append(f'CAST(json_object({pairs}) AS VARCHAR) AS "{EXTRA_COLUMN}"')
        else:
            exprs.append(f'CAST(NULL AS VARCHAR) AS "{EXTRA_COLUMN}"')
        self.con.execute(f'CREATE TEMP TABLE "{stg}" AS SELECT {", ".join(exprs)} FROM "{view}"')
        self._pseudonymise(table, stg)
        self._protect_text(table, stg)
        return other_count

    def _pseudonymise(self, table: Table, stg: str) -> None:
        pseudo = self.ws.pseudonymizer
        if not pseudo.enabled:
            return
        for c in table.columns:
            if not c.person:
                continue
            uniques = self.con.execute(
                f'SELECT DISTINCT "{c.name}" FROM "{stg}" WHERE "{c.name}" IS NOT NULL'
            ).fetch_arrow_table()
            raw = uniques.column(0)
            if len(raw) == 0:
                continue
            mapping = pa.table({"raw": raw, "pid": pseudo.array(raw)})
            self.con.register("__pid_map", mapping)
            try:
                self.con.execute(
                    f'UPDATE "{stg}" SET "{c.name}" = m.pid FROM __pid_map m WHERE "{stg}"."{c.name}" = m.raw'
                )
            finally:
                self.con.unregister("__pid_map")

    def _protect_text(self, table: Table, stg: str) -> None:
        cols = FREE_TEXT.get(table.name, ())
        if not cols:
            return
        from qunkpi.classify.pii import redact_array

        for col in cols:
            t = self.con.execute(
                f'SELECT rowid AS rid, "{col}" AS v FROM "{stg}" WHERE "{col}" IS NOT NULL'
            ).fetch_arrow_table()
            if t.num_rows == 0:
                continue
            red = pa.table({"rid": t.column("rid"), "v": redact_array(t.column("v"))})
            self.con.register("__red", red)
            try:
                self.con.execute(
                    f'UPDATE "{stg}" SET "{col}" = r.v FROM __red r WHERE "{stg}".rowid = r.rid AND "{stg}"."{col}" IS DISTINCT FROM r.v'
                )
            finally:
                self.con.unregister("__red")
        if table.name == "messages":
            # SPEC §9: a community without session-archive consent stores no text, only its length.
            self.con.execute(
                f"""UPDATE "{stg}" SET "{EXTRA_COLUMN}" = CAST(json_object('chars', length(regexp_replace(coalesce(text, ''),
                        '\\[[^\\[\\]]{{1,8}}\\]|https?://\\S+|[[:punct:][:space:]]', '', 'g')), 'consent', false) AS VARCHAR),
                    text = NULL
                WHERE community_id IN (SELECT community_id FROM communities WHERE archive_consent = false)"""
            )

    # -- writing -----------------------------------------------------------------------------------
    def _commit(self, src: Source, stg: str, rep: TableReport, report: ImportReport) -> None:
        table = TABLES[src.table]
        on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM s."{k}"' for k in table.key)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            row = first(
                con.execute(
                    f'SELECT count(*) FROM "{table.name}" t WHERE EXISTS (SELECT 1 FROM "{stg}" s WHERE {on})'
                )
            )
            existing = int(row[0]) if row else 0
            if existing:
                con.execute(f'DELETE FROM "{table.name}" t WHERE EXISTS (SELECT 1 FROM "{stg}" s WHERE {on})')
            names = ", ".join(f'"{n}"' for n in [*table.column_names, EXTRA_COLUMN])
            con.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stg}"')
            rep.updated = existing
            rep.inserted = rep.rows_read - existing
            if table.name == "communities":
                con.execute(
                    """UPDATE messages SET text = NULL WHERE text IS NOT NULL AND community_id IN
                       (SELECT community_id FROM communities WHERE archive_consent = false)"""
                )
            if table.name in CONTEXT_TABLES or (table.name == "messages" and existing):
                con.execute("INSERT OR REPLACE INTO kv VALUES ('labels_dirty', '1')")
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
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
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
        con.execute("BEGIN TRANSACTION")
        try:
            row = first(
                con.execute(
                    "SELECT count(*) FROM __recalls r WHERE r.message_id IN (SELECT message_id FROM messages)"
                )
            )
            found = int(row[0]) if row else 0
            con.execute(
                "UPDATE messages SET recalled = true WHERE message_id IN (SELECT message_id FROM __recalls)"
            )
            con.execute(
                """INSERT INTO recall_audit SELECT CAST(message_id AS VARCHAR), CAST(community_id AS VARCHAR),
                   CAST(sender_id AS VARCHAR), timezone(current_setting('TimeZone'), TRY_CAST(recalled_at AS TIMESTAMPTZ)), 'import'
                   FROM __recalls r WHERE NOT EXISTS (SELECT 1 FROM recall_audit a WHERE a.message_id = r.message_id)"""
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
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
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "DELETE FROM service_messages WHERE message_id IN (SELECT CAST(message_id AS VARCHAR) FROM __svc)"
            )
            con.execute(
                """INSERT INTO service_messages SELECT CAST(message_id AS VARCHAR), CAST(conversation_id AS VARCHAR),
                   CAST(staff_id AS VARCHAR), CAST(sender_id AS VARCHAR),
                   timezone(current_setting('TimeZone'), TRY_CAST(sent_at AS TIMESTAMPTZ)), CAST(msg_type AS VARCHAR),
                   CAST(text AS VARCHAR), TRY_CAST(from_staff AS BOOLEAN) FROM __svc"""
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("__svc")
        report.service_messages += t.num_rows


# -- SQL expression helpers --------------------------------------------------------------------------


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _literal(c: Column) -> str:
    v = c.default
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"CAST({v} AS {DUCKDB_TYPE[c.type]})"
    return f"'{_sql_str(str(v))}'"


def _typed_expr(c: Column, raw: str) -> str:
    """A DuckDB expression turning the raw column into the canonical type (NULL where it cannot)."""
    txt = f"NULLIF(TRIM(CAST({raw} AS VARCHAR)), '')"
    t = c.type
    if t is ColType.STR:
        e = txt
        if c.enum:
            e = f"lower({txt})"
        return e
    if t is ColType.TS:
        # Offsets are honoured; naive values are in the workspace time zone (the session TimeZone).
        return (
            f"timezone(current_setting('TimeZone'), COALESCE(TRY_CAST({txt} AS TIMESTAMPTZ), "
            f"CAST(TRY_STRPTIME({txt}, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d', '%Y%m%d %H:%M:%S']) AS TIMESTAMPTZ)))"
        )
    if t is ColType.DATE:
        return f"COALESCE(TRY_CAST({txt} AS DATE), CAST(TRY_STRPTIME({txt}, ['%Y/%m/%d', '%Y%m%d']) AS DATE))"
    if t is ColType.INT:
        return f"CASE WHEN TRY_CAST({txt} AS DOUBLE) = floor(TRY_CAST({txt} AS DOUBLE)) THEN TRY_CAST(TRY_CAST({txt} AS DOUBLE) AS BIGINT) END"
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

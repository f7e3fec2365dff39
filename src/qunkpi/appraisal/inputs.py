"""Manual appraisal inputs with an append-only audit trail.

``appraisal_inputs`` keeps every value a supervisor entered (who, what, when, from where); nothing is updated
or deleted, and the latest entry per (staff, period, item) wins. The canonical ``reviews`` table (self and
supervisor scores, imported like any other table) is the fallback for ``self_score`` / ``supervisor_score``:
an entry made here is newer than any imported review and overrides it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd

from qunkpi.appraisal.scorecard import REVIEW_KEYS, Scorecards
from qunkpi.engine.periods import parse_period
from qunkpi.errors import Problem, QunkpiError, ValidationFailed
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

TABLE = "appraisal_inputs"
CREATE_SQL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    seq BIGINT, staff_id VARCHAR, period VARCHAR, item VARCHAR, value DOUBLE,
    entered_by VARCHAR, entered_at TIMESTAMP, note VARCHAR, source VARCHAR)"""


@dataclass(frozen=True)
class InputRow:
    staff_id: str  # stored (pseudonymised) id
    period: str
    item: str
    value: float
    note: str | None = None
    line: int | None = None  # row in the file it came from (header = 1)


def ensure_table(ws: Workspace) -> None:
    ws.con.execute(CREATE_SQL)


def known_staff(ws: Workspace) -> dict[str, str]:
    """stored staff id → name."""
    if not ws.has_table("staff"):
        return {}
    return {str(a): str(b) for a, b in ws.con.execute("SELECT staff_id, name FROM staff").fetchall()}


def resolve_staff(ws: Workspace, raw: str) -> str:
    """A staff id or name a user typed → the stored id; a clear error when nobody matches."""
    staff = known_staff(ws)
    if not staff:
        raise QunkpiError(tr("工作区中还没有员工表（staff），请先导入 staff.csv",
                             "the workspace has no staff table yet; import staff.csv first"))
    pid = ws.person_id(raw)
    if pid in staff:
        return pid
    if raw in staff:  # already a stored id (e.g. copied from JSON output)
        return raw
    by_name = [sid for sid, name in staff.items() if name == raw]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise QunkpiError(tr(f"有多名员工叫 {raw}，请用员工 ID", f"several staff members are called {raw}; use the staff id"))
    raise QunkpiError(tr(f"找不到员工 {raw}（员工表中的 ID 或姓名）", f"no staff member {raw} (an id or name from the staff table)"))


def validate_rows(rows: list[InputRow], cards: Scorecards, staff: dict[str, str], file: str, first_row: int = 2) -> list[Problem]:
    keys = cards.manual_keys()
    out: list[Problem] = []
    for i, r in enumerate(rows):
        n = r.line if r.line is not None else first_row + i
        if r.staff_id not in staff:
            out.append(Problem(file, n, "staff_id", tr("员工表中没有此员工", "not in the staff table"),
                               tr("先导入 staff 表，或检查 ID", "import the staff table first or check the id")))
        try:
            parse_period(r.period)
        except QunkpiError as e:
            out.append(Problem(file, n, "period", str(e)))
        if r.item not in keys:
            out.append(Problem(file, n, "item", tr(f"未知录入项 {r.item}", f"unknown input item {r.item}"),
                               tr(f"可选：{', '.join(sorted(keys))}", f"one of: {', '.join(sorted(keys))}")))
            continue
        lo, hi = keys[r.item]
        if math.isnan(r.value) or not lo <= r.value <= hi:
            shown_hi = "∞" if math.isinf(hi) else f"{hi:g}"
            out.append(Problem(file, n, "value", tr(f"{r.value:g} 超出范围 [{lo:g}, {shown_hi}]", f"{r.value:g} is outside [{lo:g}, {shown_hi}]")))
    return out


def record(ws: Workspace, rows: list[InputRow], *, entered_by: str, source: str, cards: Scorecards,
           at: datetime | None = None, file: str = "input") -> int:
    """Append validated inputs (all or nothing). Returns the number of rows written."""
    if not entered_by.strip():
        raise QunkpiError(tr("需要录入人（--by）", "who entered it is required (--by)"))
    problems = validate_rows(rows, cards, known_staff(ws), file)
    if problems:
        raise ValidationFailed(problems, what="appraisal inputs")
    # stored like every other timestamp: naive wall-clock time in the workspace time zone
    when = at or datetime.now(ZoneInfo(ws.settings.timezone)).replace(microsecond=0, tzinfo=None)
    with ws.writing():
        ensure_table(ws)
        row = ws.con.execute(f"SELECT coalesce(max(seq), 0) FROM {TABLE}").fetchall()
        seq0 = int(row[0][0]) if row else 0
        data = [
            (seq0 + i + 1, r.staff_id, parse_period(r.period).label, r.item, float(r.value), entered_by.strip(), when, r.note, source)
            for i, r in enumerate(rows)
        ]
        with ws.transaction():
            ws.con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", data)
    return len(rows)


def latest(ws: Workspace) -> dict[tuple[str, str, str], float]:
    """(staff_id, period, item) → the latest value entered; imported reviews fill self/supervisor gaps."""
    out: dict[tuple[str, str, str], float] = {}
    if ws.has_table("reviews"):
        for sid, period, self_s, sup_s in ws.con.execute(
            "SELECT staff_id, period, self_score, supervisor_score FROM reviews"
        ).fetchall():
            label = _label(str(period))
            if self_s is not None:
                out[(str(sid), label, "self_score")] = float(self_s)
            if sup_s is not None:
                out[(str(sid), label, "supervisor_score")] = float(sup_s)
    if ws.has_table(TABLE):
        for sid, period, item, value in ws.con.execute(
            f"SELECT staff_id, period, item, arg_max(value, seq) FROM {TABLE} GROUP BY ALL"
        ).fetchall():
            out[(str(sid), str(period), str(item))] = float(value)
    return out


def _label(period: str) -> str:
    try:
        return parse_period(period).label
    except QunkpiError:
        return period


def history(ws: Workspace, staff_id: str | None = None, period: str | None = None) -> pd.DataFrame:
    """The audit trail, oldest first: who entered what, when, from where."""
    cols = ["seq", "staff_id", "name", "period", "item", "value", "entered_by", "entered_at", "note", "source"]
    if not ws.has_table(TABLE):
        return pd.DataFrame(columns=cols)
    where, args = [], []
    if staff_id is not None:
        where.append("i.staff_id = ?")
        args.append(staff_id)
    if period is not None:
        where.append("i.period = ?")
        args.append(parse_period(period).label)
    join = "LEFT JOIN staff s ON s.staff_id = i.staff_id" if ws.has_table("staff") else ""
    name = "s.name" if join else "NULL"
    sql = (f"SELECT i.seq, i.staff_id, {name} AS name, i.period, i.item, i.value, i.entered_by, i.entered_at, i.note, i.source "
           f"FROM {TABLE} i {join} {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY i.seq")
    return ws.con.execute(sql, args).df()[cols]


# -- files --------------------------------------------------------------------------------------------

def read_input_file(ws: Workspace, path: Path) -> tuple[list[InputRow], list[Problem]]:
    """Rows of a CSV/Excel file in either layout:

    - long: ``staff_id, period, item, value[, note]`` (one input per row);
    - the canonical reviews layout: ``staff_id, period, self_score, supervisor_score[, notes]``.

    Raw staff ids (or names) are resolved to stored ids.
    """
    df = _read_frame(path)
    cols = {c.strip().lower(): c for c in df.columns}
    problems: list[Problem] = []
    rows: list[InputRow] = []
    file = str(path)
    for need in ("staff_id", "period"):
        if need not in cols:
            problems.append(Problem(file, 1, need, tr("缺少必需的列", "required column missing")))
    long = "item" in cols and "value" in cols
    wide = [k for k in REVIEW_KEYS if k in cols]
    if not long and not wide:
        problems.append(Problem(file, 1, None, tr("需要 item 与 value 列，或 self_score / supervisor_score 列",
                                                  "needs item and value columns, or self_score / supervisor_score columns")))
    if problems:
        return [], problems
    staff = known_staff(ws)
    by_name: dict[str, list[str]] = {}
    for sid, nm in staff.items():
        by_name.setdefault(nm, []).append(sid)
    note_col = cols.get("note") or cols.get("notes")
    for i, rec in enumerate(df.to_dict(orient="records")):
        n = i + 2
        raw = _cell(rec.get(cols["staff_id"]))
        period = _cell(rec.get(cols["period"]))
        if raw is None or period is None:
            problems.append(Problem(file, n, "staff_id" if raw is None else "period", tr("不能为空", "must not be blank")))
            continue
        sid = ws.person_id(raw)
        if sid not in staff:
            names = by_name.get(raw, [])
            sid = names[0] if len(names) == 1 else (raw if raw in staff else sid)
        note = _cell(rec.get(note_col)) if note_col else None
        pairs: list[tuple[str, Any]] = []
        if long:
            item = _cell(rec.get(cols["item"]))
            if item is None:
                problems.append(Problem(file, n, "item", tr("不能为空", "must not be blank")))
                continue
            pairs.append((item, rec.get(cols["value"])))
        else:
            pairs.extend((k, rec.get(cols[k])) for k in wide)
        for item, v in pairs:
            if _cell(v) is None:
                if long:
                    problems.append(Problem(file, n, "value", tr("不能为空", "must not be blank")))
                continue
            try:
                val = float(str(v).strip().rstrip("%")) / (100.0 if str(v).strip().endswith("%") else 1.0)
            except ValueError:
                problems.append(Problem(file, n, "value" if long else item, tr(f"不是数字：{v!r}", f"not a number: {v!r}")))
                continue
            rows.append(InputRow(sid, period, item, val, note, n))
    return rows, problems


def import_file(ws: Workspace, path: Path, *, entered_by: str, cards: Scorecards) -> int:
    """Validate a whole file first (every problem at once), then append it to the audit trail."""
    rows, problems = read_input_file(ws, path)
    problems += validate_rows(rows, cards, known_staff(ws), str(path))
    if problems:
        raise ValidationFailed(sorted(problems, key=lambda p: (p.row or 0)), what="appraisal inputs")
    if not rows:
        raise QunkpiError(tr(f"{path}：没有可录入的数值", f"{path}: no values to record"))
    return record(ws, rows, entered_by=entered_by, source=f"file:{path.name}", cards=cards, file=str(path))


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise QunkpiError(tr(f"{path}：文件不存在", f"{path}: no such file"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, dtype=str)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, encoding=enc)
        except UnicodeDecodeError:
            continue
    raise QunkpiError(tr(f"{path}：无法识别编码（应为 UTF-8 或 GBK）", f"{path}: unknown encoding (expected UTF-8 or GBK)"))


def _cell(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None

"""The canonical data layout (SPEC §2) as data.

This module is the single source for table and column definitions: the importer validates
against it, the DuckDB tables are created from it, the demo generator writes it and
docs/data-layout.md is generated from it (``qunkpi docs`` / ``scripts/gen_docs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColType(StrEnum):
    STR = "str"
    TS = "ts"  # timestamp; stored naive in the workspace time zone
    DATE = "date"
    INT = "int"
    DECIMAL = "decimal"  # money in yuan; stored as DOUBLE
    FLOAT = "float"
    BOOL = "bool"
    MONTH = "month"  # YYYY-MM, stored as VARCHAR


DUCKDB_TYPE: dict[ColType, str] = {
    ColType.STR: "VARCHAR",
    ColType.TS: "TIMESTAMP",
    ColType.DATE: "DATE",
    ColType.INT: "BIGINT",
    ColType.DECIMAL: "DOUBLE",
    ColType.FLOAT: "DOUBLE",
    ColType.BOOL: "BOOLEAN",
    ColType.MONTH: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    nullable: bool = False
    default: object | None = None
    enum: tuple[str, ...] | None = None
    # A person identifier: pseudonymised with the workspace key at import (SPEC §9).
    person: bool = False
    # Values outside ``enum`` are stored as "other" (and counted) instead of rejected.
    open_enum: bool = False
    min_value: float | None = None
    max_value: float | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        """A column that must be present in the file (nullable or defaulted columns may be absent)."""
        return not self.nullable and self.default is None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    doc_zh: str = ""
    doc_en: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, type_: ColType = ColType.STR, **kw: object) -> Column:
    return Column(name, type_, **kw)  # type: ignore[arg-type]


S, TS, D, I, DEC, F, B, M = (  # noqa: E741 - short aliases keep the table readable
    ColType.STR,
    ColType.TS,
    ColType.DATE,
    ColType.INT,
    ColType.DECIMAL,
    ColType.FLOAT,
    ColType.BOOL,
    ColType.MONTH,
)

PLATFORMS = ("wecom_group", "wechat_group", "official_account", "channels", "other")
PURPOSES = ("sales", "service", "content", "leads")
STAGES = ("startup", "growth", "mature")
MEMBER_ROLES = ("member", "kol", "staff")
MSG_TYPES = ("text", "image", "voice", "video", "link", "file", "emotion", "redpacket", "vote", "system", "other")
ACTIVITY_KINDS = ("topic", "checkin", "lecture", "webinar", "lottery", "bounty", "promotion", "other")
SURVEY_KINDS = ("nps", "csat")
LEAD_SOURCES = ("whitepaper", "webinar", "inquiry", "consult", "other")
POST_KINDS = ("article", "video", "live")
STAFF_ROLES = ("specialist", "manager", "director")
STAFF_LOG_KINDS = ("interview", "topic", "sop_check", "profile_update", "proposal", "other")

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "communities",
            (
                _c("community_id"),
                _c("name"),
                _c("platform", enum=PLATFORMS, open_enum=True),
                _c("purpose", nullable=True, enum=PURPOSES),
                _c("created_at", TS),
                _c("owner_staff_id", nullable=True, person=True),
                _c("stage", nullable=True, enum=STAGES, doc="blank = derived from created_at"),
                _c("archive_consent", B, default=True),
            ),
            key=("community_id",),
            required=True,
            doc_zh="社群（群、公众号、视频号）",
            doc_en="Communities (groups, official accounts, Channels)",
        ),
        Table(
            "members",
            (
                _c("community_id"),
                _c("member_id", person=True),
                _c("joined_at", TS),
                _c("left_at", TS, nullable=True),
                _c("source_channel", nullable=True),
                _c("inviter_id", nullable=True, person=True),
                _c("is_staff", B, default=False),
                _c("role", default="member", enum=MEMBER_ROLES),
                _c("profile_filled", I, nullable=True, min_value=0),
                _c("profile_total", I, nullable=True, min_value=0),
            ),
            key=("community_id", "member_id", "joined_at"),
            required=True,
            doc_zh="成员入群记录（每次入群一行，可重复入群）",
            doc_en="Membership spells (one row per spell; members may rejoin)",
        ),
        Table(
            "messages",
            (
                _c("message_id"),
                _c("community_id"),
                _c("sender_id", person=True),
                _c("sent_at", TS),
                _c("msg_type", enum=MSG_TYPES, open_enum=True),
                _c("text", nullable=True),
                _c("reply_to", nullable=True),
                _c("recalled", B, default=False),
            ),
            key=("message_id",),
            doc_zh="群消息",
            doc_en="Messages",
        ),
        Table(
            "activities",
            (
                _c("activity_id"),
                _c("community_id"),
                _c("name"),
                _c("kind", enum=ACTIVITY_KINDS, open_enum=True),
                _c("planned_start_at", TS, nullable=True),
                _c("start_at", TS),
                _c("end_at", TS),
                _c("notified_count", I, min_value=0),
                _c("cost", DEC, nullable=True, min_value=0),
                _c("campaign_code", nullable=True),
            ),
            key=("activity_id",),
            doc_zh="社群活动",
            doc_en="Activities",
        ),
        Table(
            "activity_participants",
            (
                _c("activity_id"),
                _c("member_id", person=True),
                _c("participated_at", TS),
                _c("submitted", B, nullable=True),
            ),
            key=("activity_id", "member_id"),
            doc_zh="活动参与记录",
            doc_en="Activity participation",
        ),
        Table(
            "orders",
            (
                _c("order_id"),
                _c("customer_id", person=True),
                _c("community_id", nullable=True),
                _c("paid_at", TS),
                _c("amount", DEC, min_value=0),
                _c("refund_amount", DEC, default=0.0, min_value=0),
                _c("campaign_code", nullable=True),
                _c("utm_source", nullable=True),
                _c("utm_medium", nullable=True),
                _c("utm_campaign", nullable=True),
            ),
            key=("order_id",),
            doc_zh="订单",
            doc_en="Orders",
        ),
        Table(
            "costs",
            (
                _c("community_id"),
                _c("month", M),
                _c("kind"),
                _c("amount", DEC, min_value=0),
            ),
            key=("community_id", "month", "kind"),
            doc_zh="运营成本（按月）",
            doc_en="Monthly costs",
        ),
        Table(
            "surveys",
            (
                _c("response_id"),
                _c("community_id"),
                _c("member_id", person=True),
                _c("kind", enum=SURVEY_KINDS),
                _c("score", I, min_value=0, max_value=10),
                _c("answered_at", TS),
                _c("comment", nullable=True),
            ),
            key=("response_id",),
            doc_zh="NPS / 满意度问卷",
            doc_en="NPS / CSAT survey responses",
        ),
        Table(
            "leads",
            (
                _c("lead_id"),
                _c("community_id"),
                _c("member_id", person=True),
                _c("source", enum=LEAD_SOURCES, open_enum=True),
                _c("created_at", TS),
                _c("qualified", B, nullable=True),
                _c("converted_at", TS, nullable=True),
                _c("deal_amount", DEC, nullable=True, min_value=0),
            ),
            key=("lead_id",),
            doc_zh="销售线索",
            doc_en="Leads",
        ),
        Table(
            "reach",
            (
                _c("community_id"),
                _c("channel"),
                _c("day", D),
                _c("reached", I, min_value=0),
            ),
            key=("community_id", "channel", "day"),
            doc_zh="渠道曝光（看到邀请/二维码的人数）",
            doc_en="Channel reach (people shown the invite / QR code)",
        ),
        Table(
            "posts",
            (
                _c("post_id"),
                _c("account_id"),
                _c("kind", enum=POST_KINDS, open_enum=True),
                _c("published_at", TS),
                _c("title"),
                _c("is_original", B, nullable=True, doc="blank when the export does not say"),
                _c("category", nullable=True),
                _c("delivered", I, nullable=True, min_value=0),
                _c("read_users", I, min_value=0),
                _c("reads_from_share", I, nullable=True, min_value=0),
                _c("share_users", I, nullable=True, min_value=0),
                _c("favorite_users", I, nullable=True, min_value=0),
                _c("comments", I, nullable=True, min_value=0),
                _c("likes", I, nullable=True, min_value=0),
                _c("completion_rate", F, nullable=True, min_value=0, max_value=1),
                _c("avg_watch_seconds", F, nullable=True, min_value=0),
                _c("product_impressions", I, nullable=True, min_value=0),
                _c("product_clicks", I, nullable=True, min_value=0),
                _c("new_followers", I, nullable=True, min_value=0),
            ),
            key=("post_id",),
            doc_zh="公众号文章 / 视频号作品",
            doc_en="Official-account articles / Channels videos and lives",
        ),
        Table(
            "account_daily",
            (
                _c("account_id"),
                _c("day", D),
                _c("followers_total", I, min_value=0),
                _c("new_followers", I, min_value=0),
                _c("unfollows", I, min_value=0),
                _c("source", nullable=True),
            ),
            key=("account_id", "day", "source"),
            doc_zh="账号每日粉丝数据（可按来源分行）",
            doc_en="Account daily follower statistics (per-source rows allowed)",
        ),
        Table(
            "staff",
            (
                _c("staff_id", person=True),
                _c("name"),
                _c("role", enum=STAFF_ROLES),
                _c("team", nullable=True),
            ),
            key=("staff_id",),
            doc_zh="运营人员",
            doc_en="Staff",
        ),
        Table(
            "staff_logs",
            (
                _c("staff_id", person=True),
                _c("day", D),
                _c("kind", enum=STAFF_LOG_KINDS, open_enum=True),
                _c("count", I, min_value=0),
                _c("passed", B, nullable=True),
            ),
            key=("staff_id", "day", "kind"),
            doc_zh="运营人员工作日志（访谈、话题、SOP 检查……）",
            doc_en="Staff work logs (interviews, topics, SOP checks, ...)",
        ),
        Table(
            "reviews",
            (
                _c("staff_id", person=True),
                _c("period"),
                _c("self_score", F, nullable=True, min_value=0, max_value=100),
                _c("supervisor_score", F, nullable=True, min_value=0, max_value=100),
                _c("notes", nullable=True),
            ),
            key=("staff_id", "period"),
            doc_zh="考核评分（自评、上级评分）",
            doc_en="Appraisal reviews (self and supervisor scores)",
        ),
    ]
}

# Load order when a folder holds several tables: referenced tables first.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

#: Columns every canonical table carries in the workspace besides its own.
EXTRA_COLUMN = "extra"  # JSON text of columns the file had beyond the canonical ones


#: Free-text columns stored with FSST: it compresses repeated and unique texts alike, whereas a forced
#: dictionary would store a workspace of mostly unique texts (real chats) barely compressed.
_FSST_TEXT = {("messages", "text"), ("messages", "reply_to")}
#: Non-key identifier columns that repeat within a table (few distinct values per segment).
_DICT_REFS = {"community_id", "account_id", "activity_id", "channel"}


def column_compression(table: Table, column: Column) -> str | None:
    """The DuckDB compression fixed for a column, or ``None`` to let DuckDB choose per segment.

    Choosing up front skips DuckDB's per-segment trial of every method (writing the 5.36M messages
    of the medium demo: ≈ 5.2 CPU-s instead of ≈ 6.3; docs/benchmarks.md).
    Only string columns whose best method is clear are fixed: enums and months (few values) →
    dictionary; unique keys, pseudonymised person ids and message texts → FSST; repeated references
    (``community_id`` …) → dictionary. Numbers, timestamps, booleans and ``extra`` stay automatic.
    The choice is a storage detail: files created without it read and write the same.
    """
    if column.type not in (ColType.STR, ColType.MONTH):
        return None
    if column.enum is not None or column.type is ColType.MONTH:
        return "dictionary"
    if table.key == (column.name,) or column.person or (table.name, column.name) in _FSST_TEXT:
        return "fsst"
    if column.name in _DICT_REFS:
        return "dictionary"
    return None


def create_table_sql(table: Table, compression: bool = True) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a canonical table plus its ``extra`` column.

    ``compression=False`` leaves every column's compression to DuckDB (engines that reject
    ``USING COMPRESSION``)."""
    cols = []
    for c in table.columns:
        method = column_compression(table, c) if compression else None
        using = f" USING COMPRESSION '{method}'" if method else ""
        cols.append(f'"{c.name}" {DUCKDB_TYPE[c.type]}{using}')
    cols.append(f'"{EXTRA_COLUMN}" VARCHAR')
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({", ".join(cols)})'


# ``message_labels``: the stored message classes (SPEC §4), written by qunkpi.classify.engine.classify_workspace.
# No per-row rules hash: every run leaves all labels under one rules hash (a changed hash makes every message stale,
# so the run is full), kept in kv ``labels_rules_hash``. ``cls`` and ``sentiment`` are ENUM types (read as text
# everywhere, stored as one byte). Writing 5M labels costs ≈ 40 % less than with VARCHAR + dictionary
# (docs/benchmarks.md, *Classification*). ``message_id`` stays FSST-compressed: uncompressed would save ≈ 0.4 CPU-s
# per 5M labels but add ≈ 20 % to the workspace file and ≈ 270 MiB to the peak memory of the metric step at 20M.
#
# A label also carries its message's ``sent_at`` (``LABEL_MESSAGE_COLUMNS``; bit-packed, it costs next to nothing
# to write). While the labels cover exactly the stored messages (kv ``labels_version`` = kv ``messages_version``,
# see qunkpi.classify.engine.labels_cover_messages), the metric engine joins only the labels of its time window
# to the messages: a hash table of the window's labels instead of all of them (docs/benchmarks.md, *Metrics*).
# Copying more message columns (community, sender, type, reply-to) would remove the join altogether, but writing
# them costs ≈ 2–3 CPU-s per 5M labels, beyond issue 3's classification budget (measured; docs/benchmarks.md).
LABEL_CLASSES = ("system", "staff", "spam", "filler", "question", "answer", "checkin", "share", "chat")
LABEL_SENTIMENTS = ("negative", "neutral", "positive")
LABEL_TYPES_SQL = [
    f"CREATE TYPE IF NOT EXISTS qk_class AS ENUM ({', '.join(repr(c) for c in LABEL_CLASSES)})",
    f"CREATE TYPE IF NOT EXISTS qk_sentiment AS ENUM ({', '.join(repr(s) for s in LABEL_SENTIMENTS)})",
]
# the message columns a label carries for the metric engine (kept out of the Parquet lake, which has the messages)
LABEL_MESSAGE_COLUMNS = ("sent_at",)
LABEL_COLUMNS = (
    "message_id VARCHAR, cls qk_class, reason VARCHAR, sentiment qk_sentiment, "
    "sentiment_score DOUBLE, chars INTEGER, is_effective BOOLEAN, is_ugc BOOLEAN, input_hash UBIGINT, "
    "sent_at TIMESTAMP"
)
# The same columns with their compression chosen up front: DuckDB's per-segment analysis of the best
# method costs more than the write itself.
LABEL_COLUMNS_COMPRESSED = (
    "message_id VARCHAR USING COMPRESSION 'fsst', cls qk_class, reason VARCHAR USING COMPRESSION 'dictionary', "
    "sentiment qk_sentiment, sentiment_score DOUBLE USING COMPRESSION 'alp', "
    "chars INTEGER, is_effective BOOLEAN, is_ugc BOOLEAN, input_hash UBIGINT, "
    "sent_at TIMESTAMP USING COMPRESSION 'bitpacking'"
)

"""``qunkpi classify`` and ``qunkpi topics``."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from qunkpi.cli.common import console, df_records, err_console, print_json, progress_bar, user_errors
from qunkpi.i18n import tr

CLASS_NAMES = {
    "system": ("系统", "system"),
    "staff": ("员工", "staff"),
    "spam": ("垃圾/刷屏", "spam"),
    "filler": ("无效", "filler"),
    "question": ("提问", "question"),
    "answer": ("回答", "answer"),
    "checkin": ("打卡", "check-in"),
    "share": ("分享", "share"),
    "chat": ("闲聊", "chat"),
}
SENT_NAMES = {
    "negative": ("负面", "negative"),
    "neutral": ("中性", "neutral"),
    "positive": ("正面", "positive"),
}


def _cls_name(c: str) -> str:
    zh, en = CLASS_NAMES.get(c, (c, c))
    return f"{c} ({tr(zh, en)})" if zh != c else c


def _sent_name(s: str) -> str:
    zh, en = SENT_NAMES.get(s, (s, s))
    return tr(zh, en)


def _label_record(text: str | None, lab: Any) -> dict[str, Any]:
    return {
        "text": text,
        "class": lab.cls,
        "reason": lab.reason,
        "sentiment": lab.sentiment,
        "sentiment_score": lab.sentiment_score,
        "polarity": lab.polarity,
        "chars": lab.chars,
        "redacted_text": lab.text,
        "sentiment_hits": list(lab.sentiment_hits),
        "model_score": lab.model_score,
    }


def _print_label(rec: dict[str, Any]) -> None:
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    t.add_row(
        tr("文本（已脱敏）", "text (redacted)"),
        escape(str(rec.get("redacted_text") or rec.get("text") or "")),
    )
    t.add_row(tr("类别", "class"), _cls_name(rec["class"]))
    t.add_row(tr("原因", "reason"), escape(str(rec["reason"])))
    t.add_row(tr("情感", "sentiment"), f"{_sent_name(rec['sentiment'])}  ({rec['sentiment_score']:+.3f})")
    if rec.get("sentiment_hits"):
        t.add_row(tr("情感词", "sentiment words"), escape("、".join(rec["sentiment_hits"])))
    if rec.get("model_score") is not None:
        t.add_row(tr("模型得分", "model score"), f"{rec['model_score']:+.3f}")
    t.add_row(tr("有效字数", "characters of substance"), str(rec.get("chars", "")))
    for k, label in (
        ("sender", tr("发送者", "sender")),
        ("staff", tr("员工", "staff")),
        ("reply_to", tr("回复", "reply to")),
    ):
        if rec.get(k) is not None:
            t.add_row(label, escape(str(rec[k])))
    console.print(t)


def _open(workspace: Path, read_only: bool = False) -> Any:
    from qunkpi.workspace import Workspace

    return Workspace.open(workspace, read_only=read_only)


def _texts_path(lexicon_ws: Any) -> Path | None:
    from qunkpi.classify.lexicons import workspace_lexicon_dir

    return workspace_lexicon_dir(lexicon_ws) if lexicon_ws is not None else None


def _classify_workspace(ws: Any, full: bool, fmt: str) -> None:
    from qunkpi.classify.engine import classify_workspace

    with ws.writing(), progress_bar(tr("分类消息", "classifying messages")) as advance:
        res = classify_workspace(
            ws, full=full, progress=lambda done, total: advance(done=done, total_=total), compare=True
        )
    with ws.writing():
        facts = refresh_facts_step(ws)
    if fmt == "json":
        print_json([{**res, "facts": facts}])
        return
    mode_zh, mode_en = classify_mode(res)
    console.print(
        tr(
            f"共 {res['total']:,} 条消息；本次分类 {res['classified']:,} 条（{mode_zh}），"
            f"类别改变 {res['changed']:,} 条，用时 {res['elapsed_ms'] / 1000:.1f} 秒",
            f"{res['total']:,} messages; classified {res['classified']:,} ({mode_en}), "
            f"{res['changed']:,} changed class, in {res['elapsed_ms'] / 1000:.1f} s",
        )
    )
    t = Table(title=tr("类别分布", "class counts"))
    t.add_column(tr("类别", "class"))
    t.add_column(tr("消息数", "messages"), justify="right")
    for c in CLASS_NAMES:
        n = res.get(f"cls_{c}", 0)
        t.add_row(_cls_name(c), f"{n:,}")
    console.print(t)
    print_facts(facts)


def _show_message(ws: Any, message_id: str, fmt: str) -> None:
    from qunkpi.classify.engine import LABELS_TABLE, classify_workspace, labels_fresh
    from qunkpi.classify.lexicons import load_lexicons, workspace_lexicon_dir
    from qunkpi.classify.rules import classify_texts
    from qunkpi.errors import QunkpiError

    if not labels_fresh(ws):
        with ws.writing():
            classify_workspace(ws)
    row = ws.con.execute(
        f"""SELECT m.message_id, m.community_id, m.sender_id, m.sent_at, m.msg_type, m.text, m.reply_to, m.recalled,
                   l.cls, l.reason, l.sentiment, l.sentiment_score, l.chars
            FROM messages m JOIN {LABELS_TABLE} l USING (message_id) WHERE m.message_id = ?""",
        [message_id],
    ).fetchone()
    if row is None:
        raise QunkpiError(tr(f"找不到消息 {message_id}", f"no message {message_id}"))
    mid, cid, sender, sent_at, msg_type, text, reply_to, recalled, cls, reason, sent, score, chars = row
    lab = classify_texts(
        [text], [msg_type], lexicons=load_lexicons(workspace_lexicon_dir(ws)), redact_first=False
    )[0]
    rec = {
        "message_id": mid,
        "community_id": cid,
        "sender": sender,
        "sent_at": str(sent_at),
        "msg_type": msg_type,
        "text": text,
        "redacted_text": text,
        "reply_to": reply_to,
        "recalled": bool(recalled),
        "class": cls,
        "reason": reason,
        "sentiment": sent,
        "sentiment_score": score,
        "chars": chars,
        "text_level_class": lab.cls,
        "sentiment_hits": list(lab.sentiment_hits),
        "model_score": lab.model_score,
    }
    if fmt == "json":
        print_json([rec])
        return
    _print_label(rec)
    if lab.cls != cls:
        console.print(
            tr(
                f"[dim]仅看文本时为 {lab.cls}（{lab.reason}）；上下文（员工、回复、刷屏、撤回）改为 {cls}[/]",
                f"[dim]text alone gives {lab.cls} ({lab.reason}); context (staff, reply, flooding, recall) makes it {cls}[/]",
            )
        )


def _sample(ws: Any, n: int, cls: str | None, seed: int | None, fmt: str) -> None:
    from qunkpi.classify.engine import LABELS_TABLE, classify_workspace, labels_fresh
    from qunkpi.classify.rules import CLASSES
    from qunkpi.errors import QunkpiError

    if cls is not None and cls not in CLASSES:
        raise QunkpiError(
            tr(
                f"未知类别 {cls}；可选：{', '.join(CLASSES)}",
                f"unknown class {cls}; one of {', '.join(CLASSES)}",
            )
        )
    if not labels_fresh(ws):
        with ws.writing():
            classify_workspace(ws)
    where = "WHERE l.cls = ?" if cls else ""
    params: list[Any] = [cls] if cls else []
    if seed is not None:
        ws.con.execute(f"SELECT setseed({(seed % 1000) / 1000.0})")
    df = ws.con.execute(
        f"""SELECT m.message_id, m.community_id, m.sent_at, m.msg_type, m.text, l.cls, l.reason,
                   l.sentiment, l.sentiment_score
            FROM {LABELS_TABLE} l JOIN messages m USING (message_id) {where}
            ORDER BY random() LIMIT {int(n)}""",
        params,
    ).df()
    if fmt == "json":
        print_json(df_records(df.rename(columns={"cls": "class"})))
        return
    t = Table(title=tr(f"随机抽样 {len(df)} 条", f"random sample of {len(df)}"))
    for _col, (zh, en) in {
        "message_id": ("消息", "message"),
        "text": ("文本", "text"),
        "class": ("类别", "class"),
        "reason": ("原因", "reason"),
        "sentiment": ("情感", "sentiment"),
    }.items():
        t.add_column(tr(zh, en), overflow="fold")
    for r in df.itertuples():
        t.add_row(
            escape(str(r.message_id)),
            escape(str(r.text if r.text is not None else f"<{r.msg_type}>")),
            str(r.cls),
            escape(str(r.reason)),
            f"{_sent_name(r.sentiment)} {r.sentiment_score:+.2f}",
        )
    console.print(t)


def _activity(ws: Any, start: str | None, end: str | None, fmt: str) -> None:
    from qunkpi.classify.engine import activity_table, classify_workspace, labels_fresh

    if not labels_fresh(ws):
        with ws.writing():
            classify_workspace(ws)
    s = _parse_day(start) if start else None
    e = _parse_day(end) + timedelta(days=1) if end else None
    df = activity_table(ws, s, e)
    if fmt == "json":
        print_json(df_records(df))
        return
    t = Table(
        title=tr(
            "每日活跃构成（员工占比高、有效占比低 = 虚假活跃）",
            "daily activity (high staff share + low effective share = fake activity)",
        )
    )
    heads = [
        ("社群", "community"),
        ("日期", "day"),
        ("消息", "messages"),
        ("员工占比", "staff share"),
        ("垃圾", "spam"),
        ("刷屏", "flood"),
        ("水军", "coordinated"),
        ("有效占比", "effective share"),
    ]
    for zh, en in heads:
        t.add_column(tr(zh, en), justify="left" if en in ("community", "day") else "right")
    for r in df.itertuples():
        t.add_row(
            escape(str(r.community_id)),
            str(r.day),
            f"{r.messages:,}",
            f"{r.staff_share:.0%}",
            f"{r.spam_messages:,}",
            f"{r.flood_messages:,}",
            f"{r.coordinated_messages:,}",
            f"{r.effective_share:.0%}",
        )
    console.print(t)


def _scores_table(title: str, label_header: str, rows: list[dict[str, Any]]) -> Table:
    """Support, precision and recall per label (rows of ``Scores.table()``)."""
    t = Table(title=title)
    for h in (label_header, tr("样本", "support"), tr("精确率", "precision"), tr("召回率", "recall")):
        t.add_column(h, justify="right")
    for r in rows:
        p, rc = r["precision"], r["recall"]
        t.add_row(r["label"], str(r["support"]), "n/a" if p is None else f"{p:.1%}", "n/a" if rc is None else f"{rc:.1%}")
    return t


def _evaluate_polarity(path: Path, fmt: str) -> None:
    from qunkpi.classify.evaluate import evaluate_polarity

    res = evaluate_polarity(path)
    sc = res.scores
    if fmt == "json":
        print_json(
            [
                {
                    "polarity_accuracy": sc.accuracy,
                    "texts": len(sc.pairs),
                    "skipped_empty": res.skipped,
                    "texts_per_second": round(res.texts_per_second),
                    "polarity": sc.table(),
                }
            ]
        )
        return
    title = tr(
        f"二分类情感准确率 {sc.accuracy:.1%}（{len(sc.pairs)} 条，{res.texts_per_second:,.0f} 条/秒）",
        f"binary sentiment accuracy {sc.accuracy:.1%} ({len(sc.pairs)} texts, {res.texts_per_second:,.0f} texts/s)",
    )
    console.print(_scores_table(title, tr("极性", "polarity"), sc.table()))
    console.print(sc.markdown(), markup=False)
    if res.skipped:
        console.print(tr(f"跳过 {res.skipped} 行空文本", f"skipped {res.skipped} rows without text"))


def _evaluate(path: Path, ws: Any, fmt: str, use_model: bool) -> None:
    from qunkpi.classify.evaluate import evaluate_rows, is_polarity_file, load_labelled

    if is_polarity_file(path):
        _evaluate_polarity(path, fmt)
        return
    rows = load_labelled(path)
    res = evaluate_rows(rows, lexicon_dir=_texts_path(ws), use_model=use_model)
    if fmt == "json":
        print_json(
            [
                {
                    "class_accuracy": res.classes.accuracy,
                    "sentiment_accuracy": res.sentiment.accuracy if res.sentiment.pairs else None,
                    "classes": res.classes.table(),
                    "sentiment": res.sentiment.table(),
                    "errors": [
                        {k: r.get(k) for k in ("id", "text", "expected_class", "cls", "reason")}
                        for r in res.errors()
                    ],
                }
            ]
        )
        return
    title = tr(
        f"类别准确率 {res.classes.accuracy:.1%}（{len(rows)} 条）",
        f"class accuracy {res.classes.accuracy:.1%} ({len(rows)} rows)",
    )
    shown = [r for r in res.classes.table() if r["support"] or r["predicted"]]
    console.print(_scores_table(title, tr("类别", "class"), shown))
    console.print(res.classes.markdown(), markup=False)
    if res.sentiment.pairs:
        console.print(
            tr(f"情感准确率 {res.sentiment.accuracy:.1%}", f"sentiment accuracy {res.sentiment.accuracy:.1%}")
        )
        console.print(res.sentiment.markdown(), markup=False)
    errs = res.errors()
    if errs:
        console.print(tr(f"分错的 {len(errs)} 条：", f"{len(errs)} misclassified:"))
        for r in errs[:50]:
            console.print(
                f"  {r['id']}: {r['expected_class']} → {r['cls']} ({r['reason']})  {r.get('text') or ''}",
                markup=False,
            )


def _parse_day(s: str) -> datetime:
    from qunkpi.errors import QunkpiError

    try:
        return datetime.combine(date.fromisoformat(s), datetime.min.time())
    except ValueError as e:
        raise QunkpiError(tr(f"日期格式应为 YYYY-MM-DD：{s}", f"dates are YYYY-MM-DD: {s}")) from e


def _resolve_period(period: str | None, start: str | None, end: str | None) -> tuple[datetime, datetime]:
    from qunkpi.errors import QunkpiError

    if period:
        try:
            from qunkpi.engine.periods import parse_period
        except ImportError:  # pragma: no cover - the engine ships periods.py
            raise QunkpiError(
                tr("无法解析 --period，请用 --start/--end", "cannot parse --period here; use --start/--end")
            ) from None
        p = parse_period(period)
        return p.start, p.end
    if start and end:
        return _parse_day(start), _parse_day(end) + timedelta(days=1)
    raise QunkpiError(tr("需要 --period，或 --start 和 --end", "--period, or --start and --end, is required"))


StartOpt = Annotated[
    str | None, typer.Option("--start", help=tr("开始日期 YYYY-MM-DD（含）", "start date YYYY-MM-DD (inclusive)"))
]
EndOpt = Annotated[str | None, typer.Option("--end", help=tr("结束日期 YYYY-MM-DD（含）", "end date YYYY-MM-DD (inclusive)"))]


def register(app: typer.Typer) -> None:
    @app.command(
        "classify",
        help=tr(
            "消息分类：显示一条文本或一条消息的类别、原因与情感；--file 批量（JSON 供团队核对词典）；"
            "--workspace 单独使用时为整个工作区分类（增量，--full 全量）；--sample 抽样人工核对；--eval 用已标注样本评估",
            "classify messages: show one text's or one message's class, reason and sentiment; --file for many "
            "(JSON, to test lexicon changes); --workspace alone classifies the whole workspace (incremental, --full for all); "
            "--sample for a random sample to check by hand; --eval to measure against labelled samples",
        ),
    )
    def classify_cmd(
        text: Annotated[
            str | None,
            typer.Argument(
                help=tr(
                    "要分类的一段文本（按成员文本消息、无回复上下文处理）",
                    "a text to classify (as a member's text message with no reply context)",
                )
            ),
        ] = None,
        workspace: Annotated[
            Path | None,
            typer.Option(
                "--workspace",
                "-w",
                help=tr(
                    "工作区文件夹（也会使用其中的自定义词典）",
                    "workspace folder (its custom lexicons are used too)",
                ),
                envvar="QUNKPI_WORKSPACE",
            ),
        ] = None,
        message: Annotated[
            str | None,
            typer.Option(
                "--message",
                "-m",
                help=tr(
                    "显示工作区中这条消息的分类（消息 ID）",
                    "show how this workspace message (id) is classified",
                ),
            ),
        ] = None,
        file: Annotated[
            Path | None,
            typer.Option("--file", "-f", help=tr("文本文件，每行一条", "text file, one text per line")),
        ] = None,
        fmt: Annotated[
            str, typer.Option("--format", help=tr("输出格式：table 或 json", "output format: table or json"))
        ] = "table",
        sample: Annotated[
            int | None,
            typer.Option(
                "--sample", help=tr("从工作区随机抽取 N 条", "random sample of N messages from the workspace")
            ),
        ] = None,
        cls: Annotated[
            str | None, typer.Option("--class", help=tr("抽样只看这个类别", "sample only this class"))
        ] = None,
        seed: Annotated[
            int | None, typer.Option("--seed", help=tr("抽样随机种子", "random seed of the sample"))
        ] = None,
        full: Annotated[
            bool,
            typer.Option(
                "--full",
                help=tr(
                    "全部重新分类（默认只分类新增或规则变化的消息）",
                    "reclassify everything (default: only new or stale messages)",
                ),
            ),
        ] = False,
        msg_type: Annotated[
            str, typer.Option("--msg-type", help=tr("单条文本的消息类型", "message type of the single text"))
        ] = "text",
        evaluate: Annotated[
            Path | None,
            typer.Option(
                "--eval",
                help=tr(
                    "已标注样本 CSV（text, expected_class …）：各类精确率/召回率；"
                    "或二分类评论集（label 0/1, text 或 review，可 .csv.gz）：情感准确率",
                    "labelled CSV (text, expected_class, ...): per-class precision/recall; "
                    "or a binary review set (label 0/1, text or review; .csv.gz too): sentiment accuracy",
                ),
            ),
        ] = None,
        no_model: Annotated[
            bool,
            typer.Option("--no-model", help=tr("只用情感词典，不用模型", "lexicon sentiment only, no model")),
        ] = False,
        activity: Annotated[
            bool,
            typer.Option(
                "--activity",
                help=tr(
                    "按社群和日期显示员工消息占比、刷屏/水军消息与有效消息占比（识别虚假活跃）",
                    "per community and day: staff share of messages, spam/flood/shill counts and effective share (fake activity)",
                ),
            ),
        ] = False,
        start: StartOpt = None,
        end: EndOpt = None,
        transformer: Annotated[
            Path | None,
            typer.Option(
                "--transformer",
                help=tr(
                    "本地 transformer 情感模型目录（可选，需要 transformers 和 torch）",
                    "local transformer sentiment model directory (optional; needs transformers and torch)",
                ),
            ),
        ] = None,
    ) -> None:
        from qunkpi.errors import QunkpiError

        with user_errors():
            if fmt not in ("table", "json"):
                raise QunkpiError(tr("--format 应为 table 或 json", "--format must be table or json"))
            ws = _open(workspace) if workspace is not None else None
            try:
                if evaluate is not None:
                    _evaluate(evaluate, ws, fmt, not no_model)
                    return
                if text is not None or file is not None:
                    _classify_texts(text, file, ws, fmt, msg_type, not no_model, transformer)
                    return
                if ws is None:
                    raise QunkpiError(
                        tr("请给出文本、--file 或 --workspace", "give a text, --file or --workspace")
                    )
                if activity:
                    _activity(ws, start, end, fmt)
                elif message is not None:
                    _show_message(ws, message, fmt)
                elif sample is not None:
                    _sample(ws, sample, cls, seed, fmt)
                else:
                    _classify_workspace(ws, full, fmt)
            finally:
                if ws is not None:
                    ws.close()

    @app.command(
        "topics",
        help=tr(
            "话题：每个社群在周期内的热门关键词、趋势（对比上一个等长周期），以及话题参与者 7 天内购买比例与社群基准（高转化话题）",
            "topics: top keywords per community and period, trend vs the previous equal-length window, and the share of "
            "each topic's participants who bought within 7 days vs the community's base rate (high-conversion topics)",
        ),
    )
    def topics_cmd(
        workspace: Annotated[
            Path,
            typer.Option(
                "--workspace", "-w", help=tr("工作区文件夹", "workspace folder"), envvar="QUNKPI_WORKSPACE"
            ),
        ],
        period: Annotated[
            str | None,
            typer.Option(
                "--period",
                "-p",
                help=tr(
                    "周期标签，如 2026-10、2026-W43、2026-Q4", "period label, e.g. 2026-10, 2026-W43, 2026-Q4"
                ),
            ),
        ] = None,
        start: StartOpt = None,
        end: EndOpt = None,
        community: Annotated[
            str | None, typer.Option("--community", "-c", help=tr("只看这个社群", "only this community"))
        ] = None,
        top: Annotated[int, typer.Option("--top", help=tr("每个社群的话题数", "topics per community"))] = 20,
        fmt: Annotated[
            str, typer.Option("--format", help=tr("输出格式：table 或 json", "output format: table or json"))
        ] = "table",
    ) -> None:
        from qunkpi.classify.topics import topic_table
        from qunkpi.errors import QunkpiError

        with user_errors():
            if fmt not in ("table", "json"):
                raise QunkpiError(tr("--format 应为 table 或 json", "--format must be table or json"))
            s, e = _resolve_period(period, start, end)
            ws = _open(workspace)
            try:
                with ws.writing():
                    df = topic_table(ws, s, e, community_id=community, top=top)
            finally:
                ws.close()
            if fmt == "json":
                print_json(df_records(df))
                return
            if df.empty:
                err_console.print(tr("该周期没有可分析的消息", "no messages to analyse in this period"))
                return
            t = Table(
                title=tr(
                    f"话题 {s:%Y-%m-%d} – {(e - timedelta(seconds=1)):%Y-%m-%d}",
                    f"topics {s:%Y-%m-%d} – {(e - timedelta(seconds=1)):%Y-%m-%d}",
                )
            )
            heads = [
                ("社群", "community"),
                ("话题", "topic"),
                ("消息数", "messages"),
                ("参与人数", "members"),
                ("趋势", "trend"),
                ("7天购买率", "bought ≤7d"),
                ("社群基准", "base rate"),
                ("提升", "lift"),
            ]
            for zh, en in heads:
                t.add_column(tr(zh, en), justify="right" if en not in ("community", "topic") else "left")

            def pct(v: Any) -> str:
                return "n/a" if v is None or v != v else f"{v:.1%}"

            for r in df.itertuples():
                lift = "n/a" if r.lift is None or r.lift != r.lift else f"{r.lift:.2f}×"
                trend = "n/a" if r.trend is None or r.trend != r.trend else f"{r.trend:+.0%}"
                t.add_row(
                    escape(str(r.community_id)),
                    escape(str(r.topic)),
                    f"{r.messages:,}",
                    f"{r.members:,}",
                    trend,
                    pct(r.buyers_7d_share),
                    pct(r.base_rate),
                    lift,
                )
            console.print(t)


def _classify_texts(
    text: str | None,
    file: Path | None,
    ws: Any,
    fmt: str,
    msg_type: str,
    use_model: bool,
    transformer: Path | None = None,
) -> None:
    from qunkpi.classify.lexicons import load_lexicons
    from qunkpi.classify.rules import RuleParams, Rules, classify_texts
    from qunkpi.errors import QunkpiError

    lex = load_lexicons(_texts_path(ws)) if ws is not None else None
    rules = None
    if transformer is not None:
        rules = Rules(lex, RuleParams(use_model=True, model_all=True, transformer_dir=str(transformer)))
    if file is not None:
        try:
            raw = file.read_bytes()
        except OSError as e:
            raise QunkpiError(f"{file}: {e}") from e
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = raw.decode("gb18030")
        texts = [line.rstrip("\r") for line in content.split("\n")]
        texts = [t for t in texts if t.strip()]
        types = ["text"] * len(texts)
    else:
        texts = [text or ""]
        types = [msg_type]
    labels = classify_texts(texts, types, lexicons=lex, use_model=use_model, rules=rules)
    recs = [_label_record(t, lab) for t, lab in zip(texts, labels, strict=True)]
    if fmt == "json":
        print_json(recs)
        return
    if len(recs) == 1:
        _print_label(recs[0])
        return
    t = Table()
    for h in (tr("文本", "text"), tr("类别", "class"), tr("原因", "reason"), tr("情感", "sentiment")):
        t.add_column(h, overflow="fold")
    for r in recs:
        t.add_row(
            escape(str(r["redacted_text"])),
            r["class"],
            escape(r["reason"]),
            f"{_sent_name(r['sentiment'])} {r['sentiment_score']:+.2f}",
        )
    console.print(t)
    sys.stdout.flush()


def classify_mode(stats: dict[str, Any]) -> tuple[str, str]:
    """How a classification run went, in zh and en: full, or incremental and where it looked for stale labels."""
    if stats.get("full"):
        return "全量", "full"
    if stats.get("check") == "days":
        return "增量，只查看了新写入消息的日期", "incremental; only the days of the messages just written were checked"
    if stats.get("check") == "all":
        return "增量，已逐条比对全部消息", "incremental; every message was compared with its label"
    return "增量", "incremental"


def refresh_facts_step(ws: Any) -> dict[str, Any]:
    """Bring the metric engine's stored countable messages up to date (qunkpi.engine.facts), with a spinner."""
    from qunkpi.engine.facts import refresh_facts

    with progress_bar(tr("更新指标引擎的消息表", "updating the metric engine's message table")) as advance:
        return refresh_facts(ws, progress=lambda m: advance(m))


_FACTS_ACTIONS = {
    "current": ("已是最新", "already current"),
    "delta": ("按本次重新分类的消息更新", "updated for the messages just reclassified"),
    "rebuilt": ("已重建", "rebuilt"),
    "dropped": ("已删除（标签未覆盖全部消息，指标改为现场关联）", "removed (the labels do not cover every message; metrics join them as they run)"),
    "none": ("无（没有消息或标签）", "none (no messages or labels)"),
}


def print_facts(res: dict[str, Any]) -> None:
    zh, en = _FACTS_ACTIONS.get(str(res["action"]), (str(res["action"]), str(res["action"])))
    rows, sec = int(res.get("rows") or 0), float(res.get("seconds") or 0.0)
    extra_zh = f"，写入 {rows:,} 行，用时 {sec:.1f} 秒" if res["action"] in ("delta", "rebuilt") else ""
    extra_en = f", {rows:,} rows written in {sec:.1f} s" if res["action"] in ("delta", "rebuilt") else ""
    console.print(tr(f"指标引擎消息表（message_facts）：{zh}{extra_zh}", f"metric engine message table (message_facts): {en}{extra_en}"))

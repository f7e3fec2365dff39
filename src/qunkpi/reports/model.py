"""The content of one report (weekly / bi-weekly / monthly), shared by the HTML, Excel and PDF writers.

A report is what a manager forwards: a summary in words, every community's North Star and KPIs with target (or
benchmark) and status, the top 3 problems with actions, and charts. Numbers come from
:class:`qunkpi.reports.data.ReportData`; this module only selects, orders and words them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qunkpi.engine.periods import Period
from qunkpi.i18n import tr
from qunkpi.reports import charts
from qunkpi.reports.data import ReportData, fmt_value, parse_period_arg

REPORT_KPIS_PER_FAMILY = 8


def report_kind(p: Period, lang: str) -> str:
    if p.grain == "week":
        return tr("社群运营周报", "Weekly community report", lang)
    if p.grain == "range" and 13 <= p.days <= 15:
        return tr("社群运营双周复盘", "Bi-weekly community review", lang)
    if p.grain == "month":
        return tr("社群运营月报", "Monthly community report", lang)
    if p.grain == "quarter":
        return tr("社群运营季报", "Quarterly community report", lang)
    return tr("社群运营报告", "Community report", lang)


def _direction_word(k: dict[str, Any], lang: str) -> str:
    d = k.get("delta")
    if d is None:
        return ""
    if d == 0:
        return tr("与上期持平", "flat on the previous period", lang)
    word = tr("上升", "up", lang) if d > 0 else tr("下降", "down", lang)
    amount = (
        f"{abs(d) * 100:.1f}{tr('个百分点', ' pp', lang)}"
        if k["unit"] == "ratio"
        else fmt_value(abs(d), k["unit"], lang)
    )
    return tr(f"较上期{word}{amount}", f"{word} {amount} on the previous period", lang)


def summary_sentences(communities: list[dict[str, Any]], lang: str) -> list[str]:
    out: list[str] = []
    for c in communities:
        ns = c["north_star"]
        parts = [
            tr(
                f"{c['name']}：北极星指标「{ns['name']}」为 {ns['text']}",
                f"{c['name']}: North Star '{ns['name']}' is {ns['text']}",
                lang,
            )
        ]
        moved = _direction_word(ns, lang)
        if moved:
            parts.append(moved)
        if ns.get("target"):
            parts.append(
                tr(
                    f"目标 {ns['target']['text']}，{ns['status_text']}",
                    f"target {ns['target']['text']}, {ns['status_text']}",
                    lang,
                )
            )
        elif ns.get("benchmark"):
            parts.append(
                tr(
                    f"基准 {ns['benchmark']['text']}，{ns['status_text']}",
                    f"benchmark {ns['benchmark']['text']}, {ns['status_text']}",
                    lang,
                )
            )
        kpis = [k for f in c["families"] for k in f["metrics"]]
        good = sum(1 for k in kpis if k["status"] in ("met", "on_track"))
        bad = [k for k in kpis if k["status"] in ("below", "off_track", "at_risk")]
        sent = ("，" if lang != "en" else ", ").join(parts)
        if bad:
            names = (
                "、".join(k["name"] for k in bad[:3])
                if lang != "en"
                else ", ".join(k["name"] for k in bad[:3])
            )
            sent += tr(
                f"。{good} 项指标达到目标或基准，{len(bad)} 项未达（{names}{'等' if len(bad) > 3 else ''}）。",
                f". {good} metrics meet their target or benchmark, {len(bad)} do not ({names}{', ...' if len(bad) > 3 else ''}).",
                lang,
            )
        else:
            sent += tr(
                f"。{good} 项指标达到目标或基准，没有未达项。",
                f". {good} metrics meet their target or benchmark; none falls short.",
                lang,
            )
        out.append(sent)
    return out


def top_problems(
    alerts: dict[str, Any], communities: list[dict[str, Any]], lang: str, n: int = 3
) -> dict[str, Any]:
    """The top n problems by alert severity (SPEC §8). Without the alert rules, the metrics furthest below their
    target or benchmark, marked as such (no action is invented for them)."""
    if alerts.get("available"):
        # evaluate_alerts orders by severity, then impact (members affected × distance from the threshold)
        problems = [a for a in alerts["items"] if a.get("kind", "problem") == "problem"]
        return {
            "source": "alerts",
            "total": len(problems),
            "items": [_alert_problem(a, communities, lang) for a in problems[:n]],
        }
    gaps: list[tuple[float, dict[str, Any]]] = []
    for c in communities:
        for f in c["families"]:
            for k in f["metrics"]:
                if k["status"] not in ("below", "off_track", "at_risk") or k["value"] is None:
                    continue
                ref = (k.get("target") or {}).get("value")
                if ref is None and k.get("benchmark"):
                    ref = k["benchmark"]["value"]
                if ref is None:
                    continue
                gap = abs(k["value"] - ref) / (abs(ref) if ref else 1.0)
                gaps.append(
                    (
                        gap,
                        {
                            "community": c["name"],
                            "community_id": c["community_id"],
                            "title": k["name"],
                            "text": tr(
                                f"{k['text']}，参考 {refs(k)}", f"{k['text']}, reference {refs(k)}", lang
                            ),
                            "action": None,
                        },
                    )
                )
    gaps.sort(key=lambda g: -g[0])
    return {
        "source": "metrics",
        "note": alerts.get("reason"),
        "items": [g[1] for g in gaps[:n]],
    }


def refs(k: dict[str, Any]) -> str:
    if k.get("target"):
        return str(k["target"]["text"])
    if k.get("benchmark"):
        return str(k["benchmark"]["text"])
    return ""


def _alert_problem(a: dict[str, Any], communities: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    names = {c["community_id"]: c["name"] for c in communities}
    return {
        "community": names.get(a.get("community_id"), a.get("community_id")),
        "community_id": a.get("community_id"),
        "title": a.get("title") or a.get("rule") or a.get("metric"),
        "text": a.get("message") or a.get("text") or "",
        "action": a.get("action"),
        "severity": a.get("severity"),
    }


def build_report(
    data: ReportData, period: str | Period, communities: list[str] | None, lang: str
) -> dict[str, Any]:
    p = parse_period_arg(period) if isinstance(period, str) else period
    ids = [c["community_id"] for c in data.community_rows(communities, p)]
    comm_sections = []
    for cid in ids:
        d = data.community(cid, p, lang)
        tp = d["trend_periods"]
        d["north_star"]["chart"] = charts.trend_chart(d["north_star"], tp, lang)
        fams = []
        for f in d["families"]:
            shown = [
                k for k in f["metrics"] if k["value"] is not None or k["metric"] == d["north_star"]["metric"]
            ]
            shown.sort(
                key=lambda k: (
                    k["status"] not in ("below", "off_track", "at_risk"),
                    k["benchmark"] is None and not k["target"],
                )
            )
            fams.append(
                {
                    **f,
                    "metrics": shown[:REPORT_KPIS_PER_FAMILY],
                    "hidden": max(0, len(shown) - REPORT_KPIS_PER_FAMILY),
                    "missing": len(f["metrics"]) - len(shown),
                }
            )
        section: dict[str, Any] = {
            "community_id": cid,
            "name": d["community"]["name"],
            "info": d["community"],
            "north_star": d["north_star"],
            "families": fams,
            "all_families": d["families"],
            "plan": d["plan"],
            "trend_periods": tp,
            "alerts": d["alerts"],
            "charts": {},
            "notes": {},
        }
        if d["waterfall"].get("available"):
            section["charts"]["waterfall"] = charts.waterfall_chart(d["waterfall"], lang)
            section["waterfall"] = d["waterfall"]
        else:
            section["notes"]["waterfall"] = d["waterfall"]["reason"]
        if d["sources"].get("available"):
            section["charts"]["sources"] = charts.source_pie(d["sources"], lang)
            section["sources"] = d["sources"]
        else:
            section["notes"]["sources"] = d["sources"]["reason"]
        h = data.chat_heatmap(cid, p, lang)
        if h.get("available") and h["total"]:
            section["charts"]["heatmap"] = charts.heatmap_chart(h, lang)
            section["heatmap"] = h
        else:
            section["notes"]["heatmap"] = h.get("reason") or tr(
                "本周期没有成员消息", "no member messages in this period", lang
            )
        co = data.cohorts(cid, p, lang)
        if co.get("available") and co.get("cells"):
            section["charts"]["cohorts"] = charts.cohort_chart(co, lang)
            section["cohorts"] = co
        else:
            section["notes"]["cohorts"] = co.get("reason") or tr(
                "没有可观察的入群分群", "no observable join cohorts", lang
            )
        a = data.activities(cid, p, lang)
        if a.get("available") and a["items"]:
            section["charts"]["activities"] = charts.activity_chart(a, lang)
            section["activities"] = a["items"]
        else:
            section["notes"]["activities"] = a.get("reason") or tr(
                "本周期没有活动", "no activities in this period", lang
            )
        t = data.topics(cid, p, lang)
        if t.get("available") and t["items"]:
            section["charts"]["topics"] = charts.topic_chart(t, lang)
        else:
            section["notes"]["topics"] = t.get("reason") or tr(
                "本周期没有话题", "no topics in this period", lang
            )
        comm_sections.append(section)
    content = data.content(p, communities, lang)
    if content.get("available"):
        content["funnel_chart"] = charts.funnel_chart(content["funnel"], lang)
        if content["followers"].get("available") and content["followers"]["rows"]:
            content["followers_chart"] = charts.followers_chart(content["followers"]["rows"], lang)
    alerts = data.alerts(p, ids, lang)
    glossary_ids = {k["metric"] for s in comm_sections for f in s["families"] for k in f["metrics"]}
    return {
        "title": report_kind(p, lang),
        "lang": lang,
        "period": p,
        "previous": p.previous(),
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "workspace": data.ws.path.name,
        "summary": summary_sentences(comm_sections, lang),
        "problems": top_problems(alerts, comm_sections, lang),
        "communities": comm_sections,
        "content": content,
        "glossary": [g for g in data.glossary(lang) if g["id"] in glossary_ids],
    }

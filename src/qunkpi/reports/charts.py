"""ECharts options built from :mod:`qunkpi.reports.data` sections (plain JSON, no JavaScript functions).

The dashboard pages (``qunkpi.web``) and the HTML/PDF reports draw the same charts from these options, so what a
manager sees in the browser and in the forwarded file match. Ratios are shown as percent (value × 100).
"""

from __future__ import annotations

from typing import Any

from qunkpi.i18n import tr

GREEN, RED, BLUE, GREY, ORANGE = "#2f9e44", "#e03131", "#1c7ed6", "#adb5bd", "#f08c00"
FONT = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
)


def _scale(v: Any, unit: str) -> Any:
    if v is None:
        return None
    return round(v * 100, 2) if unit == "ratio" else round(float(v), 4)


def _base(title: str | None = None) -> dict[str, Any]:
    opt: dict[str, Any] = {
        "animation": False,
        "textStyle": {"fontFamily": FONT},
        "tooltip": {"trigger": "axis"},
    }
    if title:
        opt["title"] = {"text": title, "left": "left", "textStyle": {"fontSize": 14}}
    return opt


def trend_chart(kpi: dict[str, Any], periods: list[str], lang: str) -> dict[str, Any]:
    """A metric's trend with its target line (plan) or benchmark line (seeds)."""
    unit = kpi["unit"]
    data = [_scale(v, unit) for v in kpi.get("trend", [])]
    series: list[dict[str, Any]] = [
        {
            "name": kpi["name"],
            "type": "line",
            "data": data,
            "connectNulls": False,
            "symbolSize": 6,
            "itemStyle": {"color": BLUE},
        }
    ]
    mark: list[dict[str, Any]] = []
    if kpi.get("target") and kpi["target"].get("value") is not None:
        mark.append(
            {
                "yAxis": _scale(kpi["target"]["value"], unit),
                "name": tr("目标", "target", lang),
                "lineStyle": {"color": GREEN, "type": "solid"},
            }
        )
    if kpi.get("benchmark"):
        mark.append(
            {
                "yAxis": _scale(kpi["benchmark"]["value"], unit),
                "name": tr("基准", "benchmark", lang),
                "lineStyle": {"color": ORANGE, "type": "dashed"},
            }
        )
    if mark:
        pct = "%" if unit == "ratio" else ""
        series[0]["markLine"] = {
            "symbol": "none",
            "label": {"formatter": "{b} {c}" + pct, "position": "insideEndTop"},
            "data": mark,
        }
    opt = _base(kpi["name"])
    opt.update(
        {
            "grid": {"left": 50, "right": 60, "top": 48, "bottom": 30},
            "xAxis": {"type": "category", "data": periods, "axisLabel": {"fontSize": 10}},
            "yAxis": {
                "type": "value",
                "axisLabel": {"formatter": "{value}%" if unit == "ratio" else "{value}"},
                "scale": True,
            },
            "series": series,
        }
    )
    return opt


def sparkline(kpi: dict[str, Any]) -> dict[str, Any]:
    data = [_scale(v, kpi["unit"]) for v in kpi.get("trend", [])]
    return {
        "animation": False,
        "grid": {"left": 2, "right": 2, "top": 4, "bottom": 4},
        "xAxis": {"type": "category", "show": False, "data": list(range(len(data)))},
        "yAxis": {"type": "value", "show": False, "scale": True},
        "series": [
            {
                "type": "line",
                "data": data,
                "symbol": "none",
                "lineStyle": {"width": 1.5, "color": BLUE},
                "areaStyle": {"opacity": 0.12},
            }
        ],
    }


def waterfall_chart(w: dict[str, Any], lang: str) -> dict[str, Any]:
    """Members at start, the net change of each bucket (up green / down red, joins and leaves in the label), members at end."""
    cats = [tr("期初", "start", lang)]
    base: list[float] = [0.0]
    up: list[Any] = [None]
    down: list[Any] = [None]
    total: list[Any] = [w["start"]]
    running = w["start"]
    for b in w["buckets"]:
        net = b["joins"] - b["leaves"]
        cats.append(f"{b.get('label', b['bucket'])}\n+{b['joins']:.0f} / −{b['leaves']:.0f}")
        if net >= 0:
            base.append(running)
            up.append(net)
            down.append(None)
        else:
            base.append(running + net)
            up.append(None)
            down.append(-net)
        total.append(None)
        running += net
    cats.append(tr("期末", "end", lang))
    base.append(0.0)
    up.append(None)
    down.append(None)
    total.append(w["end"])
    opt = _base(tr("入群 / 退群瀑布图", "Join / leave waterfall", lang))
    opt.update(
        {
            "grid": {"left": 50, "right": 20, "top": 40, "bottom": 60},
            "legend": {
                "top": 0,
                "right": 0,
                "data": [
                    tr("净增", "net gain", lang),
                    tr("净减", "net loss", lang),
                    tr("成员数", "members", lang),
                ],
            },
            "xAxis": {"type": "category", "data": cats, "axisLabel": {"fontSize": 9, "interval": 0}},
            "yAxis": {"type": "value", "scale": False},
            "series": [
                {
                    "name": "base",
                    "type": "bar",
                    "stack": "w",
                    "data": base,
                    "itemStyle": {"color": "transparent"},
                    "tooltip": {"show": False},
                },
                {
                    "name": tr("净增", "net gain", lang),
                    "type": "bar",
                    "stack": "w",
                    "data": up,
                    "itemStyle": {"color": GREEN},
                },
                {
                    "name": tr("净减", "net loss", lang),
                    "type": "bar",
                    "stack": "w",
                    "data": down,
                    "itemStyle": {"color": RED},
                },
                {
                    "name": tr("成员数", "members", lang),
                    "type": "bar",
                    "stack": "w",
                    "data": total,
                    "itemStyle": {"color": BLUE},
                    "label": {"show": True, "position": "top"},
                },
            ],
        }
    )
    return opt


def source_pie(src: dict[str, Any], lang: str) -> dict[str, Any]:
    opt = _base(tr("新成员来源渠道", "Join sources", lang))
    opt["tooltip"] = {"trigger": "item", "formatter": "{b}: {c} ({d}%)"}
    opt["series"] = [
        {
            "type": "pie",
            "radius": ["35%", "65%"],
            "center": ["50%", "55%"],
            "data": [{"name": r["channel"], "value": r["joins"]} for r in src["items"]],
            "label": {"formatter": "{b}\n{d}%"},
        }
    ]
    return opt


def heatmap_chart(h: dict[str, Any], lang: str) -> dict[str, Any]:
    mx = max([c[2] for c in h["cells"]] or [1])
    opt = _base(tr("聊天热力图（小时 × 星期）", "Chat heat map (hour × weekday)", lang))
    opt.update(
        {
            "tooltip": {"position": "top"},
            "grid": {"left": 50, "right": 20, "top": 40, "bottom": 70},
            "xAxis": {"type": "category", "data": h["hours"], "splitArea": {"show": True}},
            "yAxis": {"type": "category", "data": h["weekdays"], "splitArea": {"show": True}},
            "visualMap": {
                "min": 0,
                "max": mx,
                "calculable": False,
                "orient": "horizontal",
                "left": "center",
                "bottom": 0,
                "itemHeight": 120,
                "text": [str(mx), "0"],
            },
            "series": [
                {
                    "name": tr("消息数", "messages", lang),
                    "type": "heatmap",
                    "data": h["cells"],
                    "label": {"show": False},
                }
            ],
        }
    )
    return opt


def activity_chart(act: dict[str, Any], lang: str) -> dict[str, Any]:
    items = act["items"]
    opt = _base(tr("活动参与率与转化率", "Activity participation and conversion", lang))
    opt.update(
        {
            "legend": {"top": 0, "right": 0},
            "grid": {"left": 50, "right": 20, "top": 40, "bottom": 60},
            "xAxis": {
                "type": "category",
                "data": [r["name"] for r in items],
                "axisLabel": {"interval": 0, "fontSize": 10, "width": 110, "overflow": "truncate"},
            },
            "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
            "series": [
                {
                    "name": tr("参与率", "participation", lang),
                    "type": "bar",
                    "data": [_scale(r["participation_rate"], "ratio") for r in items],
                    "itemStyle": {"color": BLUE},
                },
                {
                    "name": tr("转化率", "conversion", lang),
                    "type": "bar",
                    "data": [_scale(r["conversion_rate"], "ratio") for r in items],
                    "itemStyle": {"color": GREEN},
                },
            ],
        }
    )
    return opt


def topic_chart(topics: dict[str, Any], lang: str) -> dict[str, Any]:
    """Top topics by messages in the period (qunkpi.classify.topics); green bars are high-conversion topics
    (lift > 1: their participants bought within 7 days more often than the community's active members)."""
    items = sorted(topics["items"], key=lambda r: -(r.get("messages") or 0))[:15][::-1]
    data = []
    for r in items:
        lift = r.get("lift")
        hot = lift is not None and lift > 1
        data.append({"value": r.get("messages"), "itemStyle": {"color": GREEN if hot else ORANGE}})
    opt = _base(tr("话题热度（绿色 = 高转化话题）", "Topic heat (green = high-conversion topics)", lang))
    opt.update(
        {
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "grid": {"left": 90, "right": 20, "top": 40, "bottom": 20},
            "xAxis": {"type": "value", "name": tr("消息数", "messages", lang)},
            "yAxis": {"type": "category", "data": [str(r.get("topic", "")) for r in items]},
            "series": [{"type": "bar", "data": data, "name": tr("消息数", "messages", lang)}],
        }
    )
    return opt


def funnel_chart(funnel: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    opt = _base(tr("传播漏斗", "Propagation funnel", lang))
    opt["tooltip"] = {"trigger": "item", "formatter": "{b}: {c}"}
    opt["series"] = [
        {
            "type": "funnel",
            "sort": "none",
            "left": "10%",
            "width": "80%",
            "top": 40,
            "bottom": 10,
            "minSize": "45%",
            "label": {"show": True, "position": "inside", "color": "#fff", "fontSize": 11},
            "data": [
                {
                    "name": f"{f['stage']}  {f['value']:,.0f}"
                    + (f"（{f['rate'] * 100:.1f}%）" if f.get("rate") is not None else ""),
                    "value": f["value"],
                }
                for f in funnel
            ],
        }
    ]
    return opt


def followers_chart(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    accounts = sorted({r["account_id"] for r in rows})
    days = sorted({str(r["day"])[:10] for r in rows})
    series = []
    for a in accounts:
        by_day = {str(r["day"])[:10]: r["followers_total"] for r in rows if r["account_id"] == a}
        series.append({"name": a, "type": "line", "data": [by_day.get(d) for d in days], "symbol": "none"})
    opt = _base(tr("粉丝总数趋势", "Follower trend", lang))
    opt.update(
        {
            "legend": {"top": 0, "right": 0},
            "grid": {"left": 60, "right": 20, "top": 40, "bottom": 30},
            "xAxis": {"type": "category", "data": days},
            "yAxis": {"type": "value", "scale": True},
            "series": series,
        }
    )
    return opt


def cohort_chart(c: dict[str, Any], lang: str) -> dict[str, Any]:
    """Cohort retention heat map from ``{cohorts: [...], offsets: [...], cells: [[offset, cohort_idx, share], ...]}``."""
    cells = [[x, y, _scale(v, "ratio")] for x, y, v in c.get("cells", [])]
    opt = _base(tr("分群留存热力图", "Cohort retention heat map", lang))
    opt.update(
        {
            "tooltip": {"position": "top"},
            "grid": {"left": 80, "right": 20, "top": 40, "bottom": 70},
            "xAxis": {"type": "category", "data": [str(o) for o in c.get("offsets", [])]},
            "yAxis": {"type": "category", "data": [str(x) for x in c.get("cohorts", [])]},
            "visualMap": {
                "min": 0,
                "max": 100,
                "orient": "horizontal",
                "left": "center",
                "bottom": 0,
                "itemHeight": 120,
                "text": ["100%", "0"],
            },
            "series": [{"type": "heatmap", "data": cells, "label": {"show": True, "fontSize": 9}}],
        }
    )
    return opt

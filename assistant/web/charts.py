"""Series points → a Vega-Lite chart (Altair), drawn in the chat by gr.Plot.

A line over years (one line per agency), bars over agencies or rows. Axis titles in Chinese, the
value, source and check flag on hover. A blank cell is no point and no bar (the line breaks there)
and is labelled 「空白」 at the top of the chart, never drawn as 0; a figure a failed check of the
report's own arithmetic concerns is drawn red and marked 「⚠」.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from assistant.types import SeriesPoint

BLUE = "#2563eb"
RED = "#dc2626"
FLAG_NOTE = "报告自身的勾稽关系不成立，按原文提供"
WIDTH = 460
HEIGHT = 220
# vega-embed reads embed options from the spec: SVG marks carry aria labels (readable, testable).
SVG = {"embedOptions": {"renderer": "svg"}}


def chart_kind(series: list[SeriesPoint]) -> str:
    """'line' when the points run over several years (agencies as separate lines); 'bar' otherwise
    (several agencies, or several rows of one report)."""
    years = {p.year for p in series}
    per_line = {(p.agency, p.label) for p in series}
    return "line" if len(years) > 1 and len(per_line) < len(series) else "bar"


def series_frame(series: list[SeriesPoint]) -> pd.DataFrame:
    """One row per point: 年度, 机构, 项目, 数值 (NaN for blank), 来源, 标注, and 段 (a line segment
    number that changes after each blank, so a line never joins across a blank year)."""
    rows = []
    segment: dict[tuple[str, str], int] = {}
    for p in (
        sorted(series, key=lambda p: (p.agency, p.label, p.year)) if chart_kind(series) == "line" else series
    ):
        key = (p.agency, p.label)
        if p.value is None:
            segment[key] = segment.get(key, 0) + 1
        rows.append(
            {
                "年度": str(p.year),
                "机构": p.agency,
                "项目": p.label,
                "数值": float("nan") if p.value is None else p.value,
                "显示": "空白（报告未填写）" if p.value is None else _number(p.value),
                "来源": p.source,
                "标注": FLAG_NOTE if p.flagged else "",
                "段": f"{p.agency}|{p.label}|{segment.get(key, 0)}",
            }
        )
    return pd.DataFrame(rows)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def series_spec(series: list[SeriesPoint] | None) -> dict[str, Any] | None:
    """The Vega-Lite spec of a series' chart, or None when there are fewer than two points.

    The spec is built by Altair once per chart shape (line or bars; over years, agencies or rows;
    one line or one per agency) and cached; each answer only fills in its data, title, axis order
    and y title (Altair builds and validates a spec in about 0.1 s, too slow for every answer)."""
    if not series or len(series) < 2:
        return None
    frame = series_frame(series)
    kind = chart_kind(series)
    labels = list(dict.fromkeys(p.label for p in series))
    agencies = list(dict.fromkeys(p.agency for p in series))
    if kind == "line":
        x_field = "年度"
        title = f"{'、'.join(agencies) if len(agencies) <= 2 else ''}{labels[0]}（历年）"
    elif len(agencies) > 1 or len(labels) == 1:
        x_field = "机构"
        title = f"{frame['年度'].iloc[0]}年{labels[0]}" if frame["年度"].nunique() == 1 else labels[0]
    else:
        x_field = "项目"
        title = f"{agencies[0]}{frame['年度'].iloc[0]}年"
    spec = copy.deepcopy(_template(kind, x_field, kind == "line" and len(agencies) > 1))
    order = list(dict.fromkeys(frame[x_field]))
    y_title = labels[0] if len(labels) == 1 else "数量"
    for layer in spec["layer"]:
        encoding = layer.get("encoding", {})
        if "scale" in encoding.get("x", {}):
            encoding["x"]["scale"]["domain"] = order
            encoding["x"]["sort"] = order
        if "title" in encoding.get("y", {}):
            encoding["y"]["title"] = y_title
    spec["title"] = title
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    spec["datasets"] = {DATA: rows}
    return spec


DATA = "series"


@lru_cache(maxsize=16)
def _template(kind: str, x_field: str, many: bool) -> dict[str, Any]:
    """The chart of one shape, as Altair builds and validates it, over the named data set DATA."""
    x = alt.X(
        f"{x_field}:N", title=x_field, sort=["?"], scale=alt.Scale(domain=["?"]), axis=alt.Axis(labelAngle=0)
    )
    y = alt.Y("数值:Q", title="?", axis=alt.Axis(tickMinStep=1))
    tooltip = [
        alt.Tooltip(f"{x_field}:N", title=x_field),
        alt.Tooltip("机构:N"),
        alt.Tooltip("项目:N"),
        alt.Tooltip("显示:N", title="数值"),
        alt.Tooltip("来源:N"),
        alt.Tooltip("标注:N", title="核对"),
    ]
    flagged = alt.datum["标注"] != ""
    color = alt.condition(flagged, alt.value(RED), alt.value(BLUE))
    base = alt.Chart(alt.NamedData(name=DATA))
    valued = base.transform_filter("isValid(datum['数值']) && isFinite(datum['数值'])")
    if kind == "line":
        stroke = alt.Color("机构:N", title="机构") if many else alt.value(BLUE)
        marks = valued.mark_line().encode(x=x, y=y, detail="段:N", color=stroke)
        points = valued.mark_point(filled=True, size=70).encode(x=x, y=y, color=color, tooltip=tooltip)
        layers = [marks, points]
    else:
        layers = [valued.mark_bar(size=28).encode(x=x, y=y, color=color, tooltip=tooltip)]
    labels_on = valued.mark_text(dy=-9, fontSize=11).encode(x=x, y=y, text="显示:N")
    blanks = base.transform_filter("!isValid(datum['数值']) || !isFinite(datum['数值'])")
    blank_marks = blanks.mark_text(color="#6b7280", fontSize=11).encode(
        x=x, y=alt.value(8), text=alt.value("空白"), tooltip=tooltip
    )
    flags = (
        valued.transform_filter(flagged)
        .mark_text(dy=-22, color=RED, fontSize=13)
        .encode(x=x, y=y, text=alt.value("⚠"), tooltip=tooltip)
    )
    chart = (
        alt.layer(*layers, labels_on, blank_marks, flags)
        .properties(title="?", width=WIDTH, height=HEIGHT, usermeta=SVG)
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_title(fontSize=13, anchor="start")
    )
    return chart.to_dict()

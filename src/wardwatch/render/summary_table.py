"""The board summary table: one row per indicator (and organisation), grouped by CQC key question.

This is the Making Data Count "icon summary" that trust integrated performance reports use (the
most requested feature in anchors.md §3, item 1): latest period and value, target, variation and
assurance icons that match the ones on the chart, and a link through to the chart. It is an HTML
fragment (a ``<table>`` with an optional scoped ``<style>``), accessible by construction: a
``<caption>``, column headers with ``scope="col"``, one ``<tbody>`` per key question headed by a
``scope="rowgroup"`` header, the indicator title as the row header, icons with text alternatives
and visually hidden text where a cell would otherwise be a bare symbol.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from wardwatch.render import icons, palette
from wardwatch.render.svg import format_period, format_value
from wardwatch.vocabulary import KEY_QUESTION_LABELS, KEY_QUESTIONS

KEY_QUESTION_ORDER = KEY_QUESTIONS
KEY_QUESTION_TITLES = KEY_QUESTION_LABELS

SUMMARY_TABLE_CSS = f"""
.ww-summary {{ border-collapse: collapse; width: 100%; font-family: {palette.FONT_FAMILY};
  font-size: 14px; color: {palette.TEXT}; }}
.ww-summary caption {{ text-align: left; font-weight: bold; font-size: 16px; padding: 6px 0 10px; }}
.ww-summary th, .ww-summary td {{ padding: 6px 10px; border-bottom: 1px solid #D8DDE0;
  text-align: left; vertical-align: middle; }}
.ww-summary thead th {{ background: {palette.NHS_BLUE}; color: #FFFFFF; font-weight: bold; }}
.ww-summary .ww-group-header th {{ background: #E8EDEE; color: {palette.TEXT}; font-size: 15px; }}
.ww-summary .ww-num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.ww-summary .ww-icon-cell {{ text-align: center; }}
.ww-summary .ww-key-question {{ color: {palette.TEXT_SECONDARY}; font-size: 12px; display: block; }}
.ww-summary a {{ color: {palette.NHS_BLUE}; }}
.ww-summary a:focus {{ outline: 3px solid #FFEB3B; background: #FFEB3B; color: {palette.TEXT}; }}
.ww-summary .ww-vh {{ position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }}
""".strip()

_COLUMNS = (
    "Indicator",
    "Organisation",
    "Latest period",
    "Latest value",
    "Target",
    "Variation",
    "Assurance",
    "Chart",
)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _first_key_question(value: object) -> str:
    """``key_question`` may be one code or a tuple/list of codes (Indicator.key_questions): use the first."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if _missing(value):
        return "other"
    code = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return code if code in KEY_QUESTION_TITLES else "other"


def _value_format(row: pd.Series) -> str:
    fmt = row.get("value_format")
    if not _missing(fmt) and str(fmt) in ("percent", "number"):
        return str(fmt)
    return "percent" if str(row.get("unit", "")) == "proportion" else "number"


def _cell(value: object, default: str = "") -> str:
    return default if _missing(value) else str(value)


def summary_table_html(
    rows: pd.DataFrame,
    *,
    link_column: str = "href",
    caption: str = "Quality and safety summary: latest position, variation and assurance",
    include_style: bool = True,
    icon_size: float = 32,
) -> str:
    """Render the board summary table as an HTML fragment.

    Columns read (missing optional ones are left blank): ``indicator_id, title, key_question,
    org_code, latest_period, latest_value, target, unit`` or ``value_format, improvement,
    variation`` (a point type), ``assurance`` and the link column (default ``href``). Optional
    ``period_grain`` formats the period ("week" → "w/c 3 Jun 2019").
    """
    frame = rows.reset_index(drop=True)
    if "title" not in frame.columns and "indicator_id" not in frame.columns:
        raise ValueError("summary_table_html: rows need a 'title' or 'indicator_id' column")
    show_org = "org_code" in frame.columns
    columns = [c for c in _COLUMNS if show_org or c != "Organisation"]
    group_codes = (
        frame["key_question"].map(_first_key_question)
        if "key_question" in frame.columns
        else pd.Series(["other"] * len(frame))
    )
    order = list(KEY_QUESTION_ORDER) + ["other"]

    out = []
    if include_style:
        out.append(f"<style>{SUMMARY_TABLE_CSS}</style>")
    out.append('<table class="ww-summary">')
    out.append(f"<caption>{html.escape(caption)}</caption>")
    header_class = {
        "Latest value": ' class="ww-num"',
        "Target": ' class="ww-num"',
        "Variation": ' class="ww-icon-cell"',
        "Assurance": ' class="ww-icon-cell"',
    }
    out.append(
        "<thead><tr>"
        + "".join(f'<th scope="col"{header_class.get(c, "")}>{html.escape(c)}</th>' for c in columns)
        + "</tr></thead>"
    )
    for code in order:
        members = frame.index[group_codes == code]
        if len(members) == 0:
            continue
        group_title = KEY_QUESTION_TITLES.get(code, "Other indicators")
        out.append(f'<tbody class="ww-group" data-key-question="{html.escape(code)}">')
        out.append(
            f'<tr class="ww-group-header"><th scope="rowgroup" colspan="{len(columns)}">'
            f"{html.escape(group_title)}</th></tr>"
        )
        for index in members:
            out.append(_row_html(frame.loc[index], show_org, link_column, icon_size))
        out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


def _row_html(row: pd.Series, show_org: bool, link_column: str, icon_size: float) -> str:
    title = _cell(row.get("title"), _cell(row.get("indicator_id"), "Indicator"))
    org = _cell(row.get("org_code"))
    fmt = _value_format(row)
    improvement = _cell(row.get("improvement"), "neutral")
    grain = row.get("period_grain")
    period = format_period(row.get("latest_period"), None if _missing(grain) else str(grain))

    cells = [f'<th scope="row">{html.escape(title)}</th>']
    if show_org:
        cells.append(f"<td>{html.escape(org) if org else '–'}</td>")
    cells.append(f"<td>{html.escape(period)}</td>")
    cells.append(f'<td class="ww-num">{html.escape(format_value(row.get("latest_value"), fmt))}</td>')
    target_text = "–" if _missing(row.get("target")) else format_value(row.get("target"), fmt)
    target_hidden = '<span class="ww-vh">No target</span>' if target_text == "–" else ""
    cells.append(f'<td class="ww-num">{html.escape(target_text)}{target_hidden}</td>')

    variation = row.get("variation")
    if _missing(variation) or str(variation) in ("", "none"):
        cells.append(
            '<td class="ww-icon-cell"><span aria-hidden="true">–</span>'
            '<span class="ww-vh">Not enough data for a variation judgement</span></td>'
        )
    else:
        cells.append(
            f'<td class="ww-icon-cell" data-variation="{html.escape(str(variation))}">'
            f"{icons.variation_icon_svg(str(variation), improvement, size=icon_size)}</td>"
        )
    assurance = row.get("assurance")
    if _missing(assurance) or str(assurance) in ("", "none"):
        cells.append(
            '<td class="ww-icon-cell" data-assurance="none"><span aria-hidden="true">–</span>'
            f'<span class="ww-vh">{html.escape(icons.assurance_label("none"))}</span></td>'
        )
    else:
        cells.append(
            f'<td class="ww-icon-cell" data-assurance="{html.escape(str(assurance))}">'
            f"{icons.assurance_icon_svg(str(assurance), size=icon_size)}</td>"
        )

    href = row.get(link_column) if link_column in row.index else None
    if _missing(href) or not str(href):
        cells.append("<td>–</td>")
    else:
        label = f"Chart for {title}" + (f" ({org})" if org else "")
        cells.append(
            f'<td><a href="{html.escape(str(href), quote=True)}" aria-label="{html.escape(label)}">'
            "Chart</a></td>"
        )
    indicator_id = _cell(row.get("indicator_id"))
    return (
        f'<tr data-indicator-id="{html.escape(indicator_id)}" data-org="{html.escape(org)}">'
        + "".join(cells)
        + "</tr>"
    )


def summary_rows_order(rows: pd.DataFrame) -> Sequence[str]:
    """Key-question codes in the order the table shows them (for callers that paginate)."""
    present = {_first_key_question(v) for v in rows.get("key_question", pd.Series(dtype=object))}
    return [code for code in (*KEY_QUESTION_ORDER, "other") if code in present]

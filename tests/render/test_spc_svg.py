import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_svgtools import NS, by_class, parse, polyline_points, texts, y_of_horizontal

from wardwatch.render import icons, palette
from wardwatch.render.spc_svg import assurance_from_limits, spc_chart_svg


def points_frame(
    values, *, centre=None, lpl=None, upl=None, segment=None, point_type=None, start="2018-04-01", dates=True
):
    n = len(values)
    values = np.asarray(values, dtype=float)
    x = pd.date_range(start, periods=n, freq="MS") if dates else np.arange(1, n + 1)
    mean = float(np.nanmean(values)) if n and np.isfinite(values).any() else np.nan
    centre = np.full(n, mean) if centre is None else np.asarray(centre, dtype=float)
    return pd.DataFrame(
        {
            "x": x,
            "y": np.asarray(values, dtype=float),
            "n": np.full(n, 100),
            "centre": centre,
            "lpl": centre - 0.1 if lpl is None else np.asarray(lpl, dtype=float),
            "upl": centre + 0.1 if upl is None else np.asarray(upl, dtype=float),
            "lower_near": centre - 0.066,
            "upper_near": centre + 0.066,
            "segment": np.zeros(n, dtype=int) if segment is None else np.asarray(segment),
            "special_cause": "none",
            "point_type": ["common_cause"] * n if point_type is None else list(point_type),
        }
    )


SAMPLE = points_frame(
    [0.70, 0.72, 0.69, 0.74, 0.71, 0.73, 0.86, 0.88, 0.87, 0.89, 0.90, 0.88],
    centre=[0.715] * 6 + [0.88] * 6,
    segment=[0] * 6 + [1] * 6,
    point_type=["common_cause"] * 5 + ["special_cause_concern"] + ["special_cause_improvement"] * 6,
)


def test_a_long_title_wraps_clear_of_the_icons_and_stays_whole_in_the_accessible_name():
    from wardwatch.render.svg import text_width

    title = "Exception report: DM01: patients waiting 6 weeks or more for a diagnostic test (month end)"
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", title=title, target=0.95, width=640))
    lines = by_class(root, "ww-title")
    assert len(lines) == 2
    assert " ".join("".join(e.itertext()) for e in lines).rstrip("…") in title
    slots = by_class(root, "ww-icon-slot")
    assert len(slots) == 2  # variation and assurance
    first_icon_x = min(float(g.get("transform").split("(")[1].split()[0]) for g in slots)
    for line in lines:
        assert float(line.get("x")) + text_width("".join(line.itertext()), 14) < first_icon_x
    assert root.find(f"{NS}title").text == title
    # a short title is one line, as before
    short = parse(spc_chart_svg(SAMPLE, improvement="increase", title="Sepsis", target=0.95, width=640))
    assert len(by_class(short, "ww-title")) == 1


def test_root_is_an_accessible_image_with_title_and_desc():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", title="Sepsis <1h>", value_format="percent"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title.text == "Sepsis <1h>"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "12 points" in desc.text and "Latest value 88.0%" in desc.text
    assert "6 improvement" in desc.text and "1 concern" in desc.text
    assert "Limits recalculated from Oct 2018" in desc.text
    # Self-contained: no scripts, no external references.
    svg = spc_chart_svg(SAMPLE, improvement="increase")
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_one_marker_per_point_coloured_and_shaped_by_point_type():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase"))
    markers = by_class(root, "ww-point")
    assert len(markers) == len(SAMPLE)
    for marker, pt in zip(markers, SAMPLE["point_type"], strict=True):
        assert marker.get("data-point-type") == pt
        assert marker.get("fill") == palette.POINT_HUE[pt].fill
    shapes = {m.get("data-point-type"): m.tag.replace(NS, "") for m in markers}
    assert shapes == {
        "common_cause": "circle",
        "special_cause_concern": "polygon",
        "special_cause_improvement": "polygon",
    }
    # Each marker has a tooltip naming its period and value.
    assert markers[0].find(f"{NS}title").text == "Apr 2018: 0.70"


def test_centre_and_limits_break_at_a_rebase():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase"))
    centres = by_class(root, "ww-centre")
    uppers = by_class(root, "ww-limit--upper")
    lowers = by_class(root, "ww-limit--lower")
    assert len(centres) == len(uppers) == len(lowers) == 2
    assert [c.get("data-segment") for c in centres] == ["0", "1"]
    first, second = (polyline_points(c) for c in centres)
    assert max(x for x, _ in first) < min(x for x, _ in second)  # a gap, not a joined line
    # The second segment's mean is higher, so its line is drawn higher (smaller y).
    assert y_of_horizontal(centres[1]) < y_of_horizontal(centres[0])


def test_single_segment_draws_one_line_each():
    frame = SAMPLE.assign(segment=0)
    root = parse(spc_chart_svg(frame, improvement="increase"))
    assert len(by_class(root, "ww-centre")) == 1 and len(by_class(root, "ww-limit--upper")) == 1


def test_target_line_and_label_present_only_with_a_target():
    with_target = parse(spc_chart_svg(SAMPLE, improvement="increase", target=0.9, value_format="percent"))
    targets = by_class(with_target, "ww-target")
    assert len(targets) == 1 and targets[0].get("stroke") == palette.TARGET
    assert "Target 90.0%" in texts(with_target)
    without = parse(spc_chart_svg(SAMPLE, improvement="increase", value_format="percent"))
    assert not by_class(without, "ww-target")
    assert not any(t.startswith("Target") for t in texts(without))


def test_target_is_drawn_at_its_value_between_the_points():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", target=0.8))
    target_y = y_of_horizontal(by_class(root, "ww-target")[0])
    data = polyline_points(by_class(root, "ww-data-line")[0])
    ys = dict(zip(SAMPLE["y"], (y for _, y in data), strict=True))
    assert ys[0.74] > target_y > ys[0.86]  # 0.74 below the target line, 0.86 above it


def test_annotation_line_sits_at_its_date_with_its_text():
    when = SAMPLE["x"].iloc[6]
    root = parse(
        spc_chart_svg(SAMPLE, improvement="increase", annotations=[(when, "Quality matron appointed")])
    )
    notes = by_class(root, "ww-annotation")
    assert len(notes) == 1 and notes[0].get("data-label") == "Quality matron appointed"
    line = notes[0].find(f"{NS}line")
    marker_x = [float(x) for x, _ in polyline_points(by_class(root, "ww-data-line")[0])][6]
    assert float(line.get("x1")) == pytest.approx(marker_x, abs=0.01)
    assert "Quality matron appointed" in texts(root)
    assert "Annotations: Oct 2018 Quality matron appointed" in root.find(f"{NS}desc").text


def test_annotations_accept_dicts_and_skip_dates_outside_the_axis():
    root = parse(
        spc_chart_svg(
            SAMPLE,
            improvement="increase",
            annotations=[{"date": pd.Timestamp("2018-07-01"), "label": "Staffing review"}],
        )
    )
    assert "Staffing review" in texts(root)
    # A far-away date widens the axis to include it rather than being silently dropped.
    root = parse(
        spc_chart_svg(SAMPLE, improvement="increase", annotations=[(pd.Timestamp("2019-06-01"), "Late")])
    )
    assert "Late" in texts(root)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=2, max_size=40))
def test_higher_values_are_drawn_higher(values):
    frame = points_frame(values, dates=False)
    root = parse(spc_chart_svg(frame, improvement="increase"))
    pixel_y = [y for _, y in polyline_points(by_class(root, "ww-data-line")[0])]
    order = np.argsort(values, kind="stable")
    sorted_pixels = np.asarray(pixel_y)[order]
    assert np.all(np.diff(sorted_pixels) <= 1e-6)  # SVG y grows downwards
    xs = [x for x, _ in polyline_points(by_class(root, "ww-data-line")[0])]
    assert np.all(np.diff(xs) > 0)


def test_percent_axis_ticks_are_percentages():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", value_format="percent"))
    ticks = [t.text for t in by_class(root, "ww-ytick")]
    assert len(ticks) >= 3 and all(t.endswith("%") for t in ticks)
    values = [float(t.rstrip("%")) for t in ticks]
    assert values == sorted(values) and all(0 <= v <= 100 for v in values)


def test_date_axis_labels():
    root = parse(
        spc_chart_svg(points_frame(np.linspace(1, 2, 36), start="2017-04-01"), improvement="increase")
    )
    labels = [t.text for t in by_class(root, "ww-xtick")]
    assert "Jan 2018" in labels and "Jan 2019" in labels


def test_numeric_x_axis():
    root = parse(spc_chart_svg(points_frame([3, 4, 5, 4, 3], dates=False), improvement="increase"))
    labels = [t.text for t in by_class(root, "ww-xtick")]
    assert labels and all(label.replace(".", "").isdigit() for label in labels)


def test_right_end_labels_for_mean_and_limits():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", value_format="percent"))
    labels = {e.get("class").split("--")[-1]: e.text for e in by_class(root, "ww-end-label")}
    assert labels == {"upper": "UPL 98.0%", "centre": "Mean 88.0%", "lower": "LPL 78.0%"}


def test_icons_show_last_point_type_and_assurance_from_last_limits():
    # Last limits 0.78–0.98: a 0.99 target is beyond the upper limit ⇒ consistently fail.
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", target=0.99))
    slots = by_class(root, "ww-icon-slot")
    assert len(slots) == 2
    variation, assurance = (slot.find(f"{NS}svg") for slot in slots)
    assert variation.get("data-variation") == "special_cause_improvement"
    assert assurance.get("data-assurance") == "consistent_fail"
    # Icons in the chart are the same drawing as those in the summary table.
    table_icon = parse(icons.variation_icon_svg("special_cause_improvement", "increase", size=38))
    assert variation.find(f"{NS}title").text == table_icon.find(f"{NS}title").text


def test_given_assurance_and_variation_override_the_fallback():
    root = parse(
        spc_chart_svg(
            SAMPLE, improvement="increase", target=0.99, assurance="inconsistent", variation="common_cause"
        )
    )
    variation, assurance = (slot.find(f"{NS}svg") for slot in by_class(root, "ww-icon-slot"))
    assert variation.get("data-variation") == "common_cause"
    assert assurance.get("data-assurance") == "inconsistent"


def test_no_assurance_icon_without_target():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase"))
    assert len(by_class(root, "ww-icon-slot")) == 1
    assert not parse(spc_chart_svg(SAMPLE, improvement="increase", show_icons=False)).findall(f".//{NS}svg")


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 0.99, "consistent_fail"),  # target above UPL
        ("increase", 0.50, "consistent_pass"),  # target below LPL
        ("increase", 0.80, "inconsistent"),  # between the limits
        ("decrease", 0.50, "consistent_fail"),  # lower is better, target below LPL
        ("decrease", 0.99, "consistent_pass"),
        ("decrease", 0.80, "inconsistent"),
        ("neutral", 0.99, "none"),
        ("increase", None, "none"),
    ],
)
def test_assurance_from_limits_follows_methods_2_3(improvement, target, expected):
    assert assurance_from_limits(target, 0.6, 0.9, improvement) == expected


def test_assurance_is_none_when_limits_are_missing():
    assert assurance_from_limits(0.9, math.nan, math.nan, "increase") == "none"


def test_run_chart_without_limits():
    frame = points_frame([5, 6, 7, 6, 5, 6], lpl=[np.nan] * 6, upl=[np.nan] * 6)
    frame["lower_near"] = np.nan
    frame["upper_near"] = np.nan
    root = parse(spc_chart_svg(frame, improvement="increase", target=6.5, show_near_limits=True))
    assert not by_class(root, "ww-limit") and not by_class(root, "ww-near-limit")
    assert len(by_class(root, "ww-centre")) == 1
    labels = [e.text for e in by_class(root, "ww-end-label")]
    assert labels[0].startswith("Centre") and not any(label.startswith("UPL") for label in labels)
    # No limits ⇒ no assurance, even with a target.
    assert len(by_class(root, "ww-icon-slot")) == 1


def test_missing_values_break_the_line_and_have_no_marker():
    frame = points_frame([1.0, 2.0, np.nan, 2.5, 3.0])
    root = parse(spc_chart_svg(frame, improvement="increase"))
    assert len(by_class(root, "ww-point")) == 4
    assert len(by_class(root, "ww-data-line")) == 2


def test_single_point_and_constant_series_are_drawn():
    one = parse(spc_chart_svg(points_frame([0.5]), improvement="increase", value_format="percent"))
    assert len(by_class(one, "ww-point")) == 1
    assert len(polyline_points(by_class(one, "ww-centre")[0])) == 2  # a visible stub, not a zero-length line
    flat = points_frame([4.0] * 10, lpl=[4.0] * 10, upl=[4.0] * 10)
    root = parse(spc_chart_svg(flat, improvement="decrease"))
    ys = {y for _, y in polyline_points(by_class(root, "ww-data-line")[0])}
    assert len(ys) == 1 and all(math.isfinite(y) for y in ys)


def test_empty_frame_says_no_data():
    root = parse(spc_chart_svg(points_frame([]).iloc[0:0], improvement="increase"))
    assert "No data to plot" in texts(root)
    assert not by_class(root, "ww-point")


def test_near_limits_drawn_only_when_asked():
    assert not by_class(parse(spc_chart_svg(SAMPLE, improvement="increase")), "ww-near-limit")
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", show_near_limits=True))
    assert len(by_class(root, "ww-near-limit")) == 4  # upper and lower, two segments


def test_legend_lists_only_point_types_present():
    root = parse(spc_chart_svg(SAMPLE, improvement="increase", target=0.9))
    legend = texts(by_class(root, "ww-legend")[0])
    assert "Special cause – improvement" in legend and "Special cause – concern" in legend
    assert "Special cause – neutral (high)" not in legend and "Target" in legend


def test_missing_required_columns_is_a_clear_error():
    with pytest.raises(ValueError, match="columns 'x' and 'y'"):
        spc_chart_svg(pd.DataFrame({"a": [1]}), improvement="increase")


def test_output_is_deterministic_and_ids_differ_between_charts():
    a = spc_chart_svg(SAMPLE, improvement="increase", title="A")
    assert a == spc_chart_svg(SAMPLE, improvement="increase", title="A")
    b = spc_chart_svg(SAMPLE, improvement="increase", title="B")
    assert parse(a).find(f"{NS}title").get("id") != parse(b).find(f"{NS}title").get("id")


def test_limits_that_vary_by_point_are_drawn_as_steps():
    # A p-chart: limits widen where the denominator is small.
    frame = points_frame([0.5, 0.6, 0.55, 0.52], lpl=[0.30, 0.40, 0.35, 0.38], upl=[0.70, 0.60, 0.65, 0.62])
    root = parse(spc_chart_svg(frame, improvement="increase", value_format="percent"))
    upper = polyline_points(by_class(root, "ww-limit--upper")[0])
    assert len(upper) == 2 * len(frame)
    for (x1, y1), (x2, y2) in itertools.pairwise(upper):
        assert x1 == x2 or y1 == y2  # only horizontal and vertical moves
    # Wider limits (0.70) are drawn higher than narrower ones (0.60).
    assert upper[0][1] < upper[2][1]

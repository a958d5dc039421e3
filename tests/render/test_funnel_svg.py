import numpy as np
import pandas as pd
import pytest
from render_svgtools import NS, by_class, parse, polyline_points, texts, y_of_horizontal

from wardwatch.render import palette
from wardwatch.render.funnel_svg import funnel_svg, outlier_direction


def limits_frame(target=1.0):
    # Hand-made SHMI-style limits exp(±z/sqrt(E)) (docs/methods.md §3.2), z = 1.96 and 3.09.
    expected = np.linspace(50, 2000, 60)
    return pd.DataFrame(
        {
            "denominator": expected,
            "ll95": target * np.exp(-1.96 / np.sqrt(expected)),
            "ul95": target * np.exp(1.96 / np.sqrt(expected)),
            "ll998": target * np.exp(-3.09 / np.sqrt(expected)),
            "ul998": target * np.exp(3.09 / np.sqrt(expected)),
        }
    )


def units_frame(outlier_as_bool=False):
    groups = ["ZFV", "ZP01", "ZP02", "ZP07", "ZP09"]
    expected = np.array([400.0, 900.0, 1500.0, 700.0, 1800.0])
    value = np.array([0.92, 1.01, 0.99, 1.80, 0.80])
    outlier = ["none", "none", "none", "high", "low"]
    frame = pd.DataFrame(
        {
            "group": groups,
            "numerator": np.round(value * expected),
            "denominator": expected,
            "value": value,
            "target": 1.0,
            "z": np.log(value) * np.sqrt(expected),
            "outlier": [o != "none" for o in outlier] if outlier_as_bool else outlier,
            "band": ["2", "2", "2", "1", "3"],
        }
    )
    for name in ("ll95", "ul95", "ll998", "ul998"):
        frame[name] = np.nan
    return frame


def test_one_marker_per_unit_with_title_and_desc():
    root = parse(funnel_svg(units_frame(), limits_frame(), title="SHMI-style funnel"))
    assert root.get("role") == "img" and root.find(f"{NS}title").text == "SHMI-style funnel"
    assert len(by_class(root, "ww-unit")) == 5
    desc = root.find(f"{NS}desc").text
    assert (
        "5 organisations" in desc
        and "Higher than expected: ZP07." in desc
        and "Lower than expected: ZP09." in desc
    )


@pytest.mark.parametrize("as_bool", [False, True])
def test_outlier_status_read_from_text_or_bool(as_bool):
    root = parse(funnel_svg(units_frame(as_bool), limits_frame(), improvement="decrease"))
    status = {m.get("data-group"): m.get("data-outlier") for m in by_class(root, "ww-unit")}
    assert status == {"ZFV": "none", "ZP01": "none", "ZP02": "none", "ZP07": "high", "ZP09": "low"}
    fills = {m.get("data-group"): m.get("fill") for m in by_class(root, "ww-unit")}
    # Lower is better (mortality): high is a concern (orange), low an improvement (blue).
    assert fills["ZP07"] == palette.CONCERN.fill and fills["ZP09"] == palette.IMPROVEMENT.fill
    assert fills["ZP01"] == palette.COMMON_CAUSE.fill


def test_outliers_without_a_direction_are_neutral_purple_with_up_and_down_shapes():
    root = parse(funnel_svg(units_frame(), limits_frame()))
    units = {m.get("data-group"): m for m in by_class(root, "ww-unit")}
    assert units["ZP07"].get("fill") == units["ZP09"].get("fill") == palette.NEUTRAL.fill

    def apex_up(polygon):
        ys = [y for _, y in polyline_points(polygon)]
        return ys.count(min(ys)) == 1  # a single top vertex = triangle pointing up

    assert apex_up(units["ZP07"]) and not apex_up(units["ZP09"])


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("high", 1.5, "high"),
        ("Low", 0.5, "low"),
        ("none", 1.5, "none"),
        (None, 2.0, "none"),
        (True, 1.2, "high"),
        (True, 0.8, "low"),
        (False, 3.0, "none"),
        (np.bool_(True), 0.5, "low"),
        ("higher than expected", 1.3, "high"),
        ("lower than expected", 0.7, "low"),
        ("as expected", 1.0, "none"),
    ],
)
def test_outlier_direction(cell, value, expected):
    assert outlier_direction(cell, value, 1.0) == expected


def test_limits_are_drawn_in_order_around_the_target():
    root = parse(funnel_svg(units_frame(), limits_frame()))
    curves = {
        name: polyline_points(by_class(root, f"ww-limit--{name}")[0])
        for name in ("ll998", "ll95", "ul95", "ul998")
    }
    target_y = y_of_horizontal(by_class(root, "ww-target")[0])
    for k in (5, 30, 59):
        ys = {name: pts[k][1] for name, pts in curves.items()}
        # SVG y grows downwards: the lower limits have larger y than the target, the upper smaller.
        assert ys["ll998"] >= ys["ll95"] >= target_y >= ys["ul95"] >= ys["ul998"]
    # And the funnel narrows as the denominator grows.
    assert curves["ul998"][59][1] > curves["ul998"][5][1]


def test_highlight_is_ringed_and_labelled():
    root = parse(funnel_svg(units_frame(), limits_frame(), highlight="ZFV"))
    assert len(by_class(root, "ww-highlight-ring")) == 1
    labels = {e.get("data-group"): e for e in by_class(root, "ww-unit-label")}
    assert "ZFV" in labels and "ww-unit-label--highlight" in labels["ZFV"].get("class")
    assert labels["ZFV"].get("font-weight") == "bold"
    assert "Highlighted ZFV: 0.92" in root.find(f"{NS}desc").text
    assert "within the limits" in root.find(f"{NS}desc").text


def test_outliers_labelled_unless_turned_off():
    labelled = {e.text for e in by_class(parse(funnel_svg(units_frame(), limits_frame())), "ww-unit-label")}
    assert labelled == {"ZP07", "ZP09"}
    quiet = parse(funnel_svg(units_frame(), limits_frame(), highlight="ZFV", label_outliers=False))
    assert {e.text for e in by_class(quiet, "ww-unit-label")} == {"ZFV"}


def test_higher_values_higher_and_larger_denominators_further_right():
    root = parse(funnel_svg(units_frame(), limits_frame()))
    units = units_frame()

    def centre(element):
        if element.tag == f"{NS}circle":
            return float(element.get("cx")), float(element.get("cy"))
        pts = polyline_points(element)
        return sum(x for x, _ in pts) / len(pts), None

    xs = [centre(m)[0] for m in by_class(root, "ww-unit")]
    by_group = dict(zip([m.get("data-group") for m in by_class(root, "ww-unit")], xs, strict=True))
    ordered = units.sort_values("denominator")["group"]
    assert [by_group[g] for g in ordered] == sorted(by_group[g] for g in ordered)
    circles = {
        m.get("data-group"): float(m.get("cy")) for m in by_class(root, "ww-unit") if m.tag == f"{NS}circle"
    }
    assert circles["ZP01"] < circles["ZFV"]  # 1.01 drawn above 0.92


def test_log_x_axis_spaces_decades_equally():
    units = units_frame().assign(denominator=[10.0, 100.0, 1000.0, 500.0, 50.0], outlier="none")
    root = parse(funnel_svg(units, limits_frame(), log_x=True))
    x = {m.get("data-group"): float(m.get("cx")) for m in by_class(root, "ww-unit")}
    assert x["ZP01"] - x["ZFV"] == pytest.approx(x["ZP02"] - x["ZP01"], abs=0.05)


def test_percent_funnel_labels_and_target():
    units = units_frame().assign(value=[0.10, 0.12, 0.11, 0.20, 0.05], target=0.11)
    limits = limits_frame(0.11)
    root = parse(funnel_svg(units, limits, value_format="percent"))
    assert all(t.text.endswith("%") for t in by_class(root, "ww-ytick"))
    assert "Target 11.0%" in texts(root)


def test_missing_columns_raise():
    with pytest.raises(ValueError, match="'value'"):
        funnel_svg(pd.DataFrame({"group": ["a"], "denominator": [1]}), limits_frame())

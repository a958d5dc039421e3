import numpy as np
import pandas as pd
from render_svgtools import NS, by_class, parse, polyline_points, texts

from wardwatch.render.line_svg import line_svg


def frame():
    return pd.DataFrame(
        {
            "week": pd.date_range("2019-01-07", periods=6, freq="W-MON"),
            "value": [0.80, 0.84, 0.78, np.nan, 0.837, 0.81],
        }
    )


def test_markers_line_and_accessible_text():
    root = parse(line_svg(frame(), x="week", y="value", title="ED 15 minutes", value_format="percent"))
    assert root.get("role") == "img" and root.find(f"{NS}title").text == "ED 15 minutes"
    assert len(by_class(root, "ww-point")) == 5
    assert len(by_class(root, "ww-data-line")) == 2  # broken at the missing week
    desc = root.find(f"{NS}desc").text
    assert "5 values" in desc and "latest 81.0%" in desc and "does not say whether" in desc
    assert all(t.text.endswith("%") for t in by_class(root, "ww-ytick"))


def test_target_only_when_given():
    assert not by_class(parse(line_svg(frame(), x="week", y="value")), "ww-target")
    root = parse(line_svg(frame(), x="week", y="value", target=0.95, value_format="percent"))
    assert len(by_class(root, "ww-target")) == 1 and "Target 95.0%" in texts(root)


def test_higher_value_drawn_higher_and_unsorted_input_sorted():
    data = frame().iloc[::-1]
    root = parse(line_svg(data, x="week", y="value"))
    first_run = polyline_points(by_class(root, "ww-data-line")[0])
    xs = [x for x, _ in first_run]
    assert xs == sorted(xs)
    assert first_run[1][1] < first_run[0][1]  # 0.84 above 0.80

import numpy as np
import pandas as pd
import pytest
from render_svgtools import NS, by_class, parse, polyline_points, texts, y_of_horizontal

from wardwatch.render.cusum_svg import cusum_svg, vlad_svg


def cusum_frame(lower_sign=1.0):
    upper = np.array([0.0, 0.7, 1.4, 2.9, 4.6, 0.0, 0.3, 0.1])
    lower = lower_sign * np.array([0.0, 0.2, 0.5, 0.1, 0.0, 1.0, 2.0, 4.2])
    return pd.DataFrame(
        {
            "index": np.arange(1, 9),
            "date": pd.date_range("2019-04-01", periods=8, freq="7D"),
            "upper": upper,
            "lower": lower,
            "signal_upper": upper > 4.5,
            "signal_lower": np.abs(lower) > 4.0,
        }
    )


@pytest.mark.parametrize("lower_sign", [1.0, -1.0])
def test_upper_above_zero_lower_below_zero(lower_sign):
    root = parse(cusum_svg(cusum_frame(lower_sign), h_upper=4.5, h_lower=4.0, title="Sepsis CUSUM"))
    zero = y_of_horizontal(by_class(root, "ww-zero")[0])
    upper = polyline_points(by_class(root, "ww-cusum--upper")[0])
    lower = polyline_points(by_class(root, "ww-cusum--lower")[0])
    frame = cusum_frame()
    for (_, y), value in zip(upper, frame["upper"], strict=True):
        assert (y < zero) if value > 0 else y == pytest.approx(zero)
    for (_, y), value in zip(lower, frame["lower"], strict=True):
        assert (y > zero) if value > 0 else y == pytest.approx(zero)


def test_thresholds_at_plus_and_minus_h():
    root = parse(cusum_svg(cusum_frame(), h_upper=4.0, h_lower=4.0))
    zero = y_of_horizontal(by_class(root, "ww-zero")[0])
    up = y_of_horizontal(by_class(root, "ww-threshold--upper")[0])
    down = y_of_horizontal(by_class(root, "ww-threshold--lower")[0])
    assert up < zero < down and zero - up == pytest.approx(down - zero, abs=0.02)
    assert "+h = 4" in texts(root) and "−h = 4" in texts(root)
    assert all(e.get("stroke-dasharray") for e in by_class(root, "ww-threshold"))


def test_signals_are_marked_and_described():
    root = parse(cusum_svg(cusum_frame(), h_upper=4.5, h_lower=4.0))
    assert len(by_class(root, "ww-signal--upper")) == 1 and len(by_class(root, "ww-signal--lower")) == 1
    desc = root.find(f"{NS}desc").text
    assert "Upper CUSUM (deterioration, threshold 4.5) signalled 1 time, first at 29 Apr 2019." in desc
    assert root.get("role") == "img" and root.find(f"{NS}title").text == "Risk-adjusted CUSUM chart"


def test_index_axis_when_dates_missing():
    frame = cusum_frame().assign(date=pd.NaT)
    root = parse(cusum_svg(frame, h_upper=4.5, h_lower=4.0))
    assert "Case number" in texts(root)
    assert "first at case 5" in root.find(f"{NS}desc").text


def test_vlad_zero_line_and_direction():
    vlad = np.array([0.1, 0.2, -0.7, -0.5, 0.4])
    root = parse(vlad_svg(pd.DataFrame({"index": range(1, 6), "date": pd.NaT, "vlad": vlad}), title="VLAD"))
    zero = y_of_horizontal(by_class(root, "ww-zero")[0])
    pts = polyline_points(by_class(root, "ww-vlad")[0])
    for (_, y), value in zip(pts, vlad, strict=True):
        assert (y < zero) == (value > 0)
    assert "+0.4" in texts(root)
    assert "ends at +0.4 (fewer deaths than expected)" in root.find(f"{NS}desc").text

import pytest

from wardwatch.render import palette


def test_contrast_ratio_matches_wcag_reference_values():
    assert palette.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert palette.contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    # #767676 is the well-known lightest grey that passes AA on white (4.54:1).
    assert palette.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    # Order of arguments does not matter.
    assert palette.contrast_ratio("#FFFFFF", "#005EB8") == pytest.approx(palette.contrast_ratio("#005EB8"))


@pytest.mark.parametrize(
    "colour",
    [
        palette.TEXT,
        palette.TEXT_SECONDARY,
        palette.TARGET,
        palette.NHS_BLUE,
        *(hue.ink for hue in palette.POINT_HUE.values()),
    ],
)
def test_text_colours_pass_wcag_aa_on_white(colour):
    assert palette.contrast_ratio(colour) >= 4.5


def test_mdc_fills_are_the_published_palette():
    assert palette.POINT_HUE["common_cause"].fill == "#A6A6A6"
    assert palette.POINT_HUE["special_cause_concern"].fill == "#E46C0A"
    assert palette.POINT_HUE["special_cause_improvement"].fill == "#00B0F0"
    assert palette.POINT_HUE["special_cause_neutral_high"].fill == "#7030A0"


def test_every_point_type_has_a_distinct_shape_besides_colour():
    shapes = {
        palette.MARKER[pt]
        for pt in (
            "common_cause",
            "special_cause_improvement",
            "special_cause_concern",
            "special_cause_neutral_high",
        )
    }
    assert len(shapes) == 4


def test_unknown_point_type_falls_back_to_common_cause():
    assert palette.point_hue(None) == palette.COMMON_CAUSE
    assert palette.point_marker("nonsense") == "circle"

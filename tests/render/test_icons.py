import pytest
from render_svgtools import NS, by_class, parse, texts

from wardwatch.render import icons, palette


def _title(root):
    return root.find(f"{NS}title").text


@pytest.mark.parametrize(
    ("point_type", "improvement", "letter", "title"),
    [
        ("special_cause_improvement", "increase", "H", "Special cause variation – improvement (high)"),
        ("special_cause_improvement", "decrease", "L", "Special cause variation – improvement (low)"),
        ("special_cause_concern", "increase", "L", "Special cause variation – concern (low)"),
        ("special_cause_concern", "decrease", "H", "Special cause variation – concern (high)"),
        (
            "special_cause_neutral_high",
            "neutral",
            "H",
            "Special cause variation – neither improvement nor concern (high)",
        ),
        (
            "special_cause_neutral_low",
            "neutral",
            "L",
            "Special cause variation – neither improvement nor concern (low)",
        ),
    ],
)
def test_variation_icon_letter_title_and_colour(point_type, improvement, letter, title):
    root = parse(icons.variation_icon_svg(point_type, improvement))
    assert root.get("role") == "img"
    assert _title(root) == title == root.get("aria-label")
    assert [t for t in texts(root) if t] == [letter]
    ring = root.find(f"{NS}circle")
    assert ring.get("stroke") == palette.POINT_HUE[point_type].fill
    # The special-cause tail of dots uses the point type's colour; the letter uses its darker ink.
    special = by_class(root, "ww-icon-dot--special")
    assert len(special) == 3 and {d.get("fill") for d in special} == {palette.POINT_HUE[point_type].fill}
    assert by_class(root, "ww-icon-letter")[0].get("fill") == palette.POINT_HUE[point_type].ink


def test_high_icon_dots_rise_and_low_icon_dots_fall():
    def tail_ys(point_type, improvement):
        root = parse(icons.variation_icon_svg(point_type, improvement))
        return [float(d.get("cy")) for d in by_class(root, "ww-icon-dot--special")]

    rising = tail_ys("special_cause_improvement", "increase")
    falling = tail_ys("special_cause_improvement", "decrease")
    assert rising == sorted(rising, reverse=True)  # smaller y = higher on screen
    assert falling == sorted(falling)


def test_common_cause_icon_is_grey_flat_and_has_no_letter():
    root = parse(icons.variation_icon_svg("common_cause", "increase"))
    assert _title(root) == "Common cause variation – no significant change"
    assert [t for t in texts(root) if t] == []
    dots = by_class(root, "ww-icon-dot")
    assert len(dots) == 7 and not by_class(root, "ww-icon-dot--special")
    ys = [float(d.get("cy")) for d in dots]
    assert max(ys) - min(ys) < 2.5  # flat
    assert root.find(f"{NS}circle").get("stroke") == palette.COMMON_CAUSE.fill


@pytest.mark.parametrize(
    ("code", "letter", "colour", "title"),
    [
        ("consistent_pass", "P", palette.IMPROVEMENT.fill, "Consistently passing the target"),
        ("consistent_fail", "F", palette.CONCERN.fill, "Consistently failing the target"),
        (
            "inconsistent",
            "?",
            palette.COMMON_CAUSE.fill,
            "Hit and miss: the target will be met only some of the time",
        ),
    ],
)
def test_assurance_icon(code, letter, colour, title):
    root = parse(icons.assurance_icon_svg(code))
    assert _title(root) == title and root.get("data-assurance") == code
    assert [t for t in texts(root) if t] == [letter]
    assert root.find(f"{NS}circle").get("stroke") == colour
    assert by_class(root, "ww-icon-target")


def test_unknown_codes_are_drawn_as_neutral_defaults_not_errors():
    assert parse(icons.assurance_icon_svg("rubbish")).get("data-assurance") == "none"
    assert parse(icons.variation_icon_svg(None, "increase")).get("data-variation") == "common_cause"


def test_icon_size_sets_width_and_height():
    root = parse(icons.variation_icon_svg("common_cause", "increase", size=24))
    assert root.get("width") == "24" and root.get("height") == "24" and root.get("viewBox") == "0 0 40 40"


def test_icon_label_dispatches_on_the_code():
    assert icons.icon_label("consistent_fail") == "Consistently failing the target"
    expected = "Special cause variation – concern (high)"
    assert icons.icon_label("special_cause_concern", "decrease") == expected
    assert icons.icon_label("common_cause") == icons.variation_label("common_cause")

"""Helpers for the render tests: parse SVG with ElementTree and find elements by class."""

from __future__ import annotations

import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def local(element: ET.Element) -> str:
    return element.tag.replace(NS, "")


def classes(element: ET.Element) -> list[str]:
    return (element.get("class") or "").split()


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in classes(e)]


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{NS}text")]


def polyline_points(element: ET.Element) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in element.get("points", "").split()]


def y_of_horizontal(element: ET.Element) -> float:
    """The y of a horizontal <line> or a flat <polyline>."""
    if local(element) == "line":
        assert float(element.get("y1")) == float(element.get("y2"))
        return float(element.get("y1"))
    ys = {y for _, y in polyline_points(element)}
    assert len(ys) == 1, ys
    return ys.pop()

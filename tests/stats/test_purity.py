"""Pure statistics: nothing under wardwatch.stats imports the drawing code (wardwatch.render).

Render may read stats results; stats must never reach into render, not even lazily inside a
function, so that the statistics can be used (and tested) without the chart code. The charts of
stats results are drawn by wardwatch.render.results.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

import wardwatch.stats
from wardwatch.render.results import plot_cusum, plot_funnel, plot_spc, plot_vlad
from wardwatch.stats.cusum import CusumResult, run_cusums
from wardwatch.stats.funnel import FunnelResult, funnel
from wardwatch.stats.spc import SPCResult, spc

STATS_DIR = Path(wardwatch.stats.__file__).parent


def test_importing_stats_loads_no_render_module():
    code = (
        "import wardwatch.stats, wardwatch.stats.spc, wardwatch.stats.funnel, wardwatch.stats.cusum, sys; "
        "print(any(m.startswith('wardwatch.render') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def _render_imports(tree: ast.AST, package: str) -> list[int]:
    """Line numbers of every import of wardwatch.render in a module of ``package``, at any depth."""
    lines = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # importlib.import_module("wardwatch.render...") or __import__ by name
            names = [node.value] if node.value.startswith("wardwatch.render") else []
        if any(n == "wardwatch.render" or n.startswith("wardwatch.render.") for n in names):
            lines.append(node.lineno)
    return lines


def test_no_stats_source_file_imports_render():
    files = sorted(STATS_DIR.rglob("*.py"))
    assert len(files) > 5  # the scan really looked at the stats package
    found = {}
    for path in files:
        package = "wardwatch.stats" + "".join(f".{p}" for p in path.relative_to(STATS_DIR).parent.parts)
        lines = _render_imports(ast.parse(path.read_text(encoding="utf-8")), package)
        if lines:
            found[path.name] = lines
    assert found == {}


def test_the_scan_catches_lazy_and_relative_imports():
    # the check above must fail on the forms it is meant to forbid
    source = (
        "def plot(self):\n"
        "    from wardwatch.render.spc_svg import spc_chart_svg\n"
        "def other():\n"
        "    from ..render import funnel_svg\n"
        "    from .. import render\n"
        "    import wardwatch.render.cusum_svg\n"
        "from wardwatch import render\n"
        "from ..stats import spc\n"
    )
    assert sorted(_render_imports(ast.parse(source), "wardwatch.stats")) == [2, 4, 5, 6, 7]


def test_stats_results_no_longer_draw_themselves():
    for cls in (SPCResult, FunnelResult, CusumResult):
        assert not hasattr(cls, "plot") and not hasattr(cls, "plot_vlad")


def _svg_root(svg: str) -> ElementTree.Element:
    assert "<svg" in svg
    return ElementTree.fromstring(svg)


def test_plot_spc_draws_the_series_it_is_asked_for():
    # ward B, limits from its first 7 points: mean 75/7 = 10.71, mean moving range 8/6 = 1.333,
    # UPL = 10.71 + 2.66 x 1.333 = 14.26, LPL = 7.17; the eighth point, 40, is above the UPL
    values_b = [10, 12, 11, 9, 10, 11, 12, 40]
    data = pd.DataFrame({"ward": ["A"] * 8 + ["B"] * 8, "month": list(range(8)) * 2,
                         "count": [5, 6, 5, 7, 6, 5, 6, 5] + values_b})
    result = spc(data, "month", "count", by=["ward"], fix_after=7)
    svg = plot_spc(result, series={"ward": "B"}, title="Ward B falls")
    root = _svg_root(svg)
    labels = {e.get("class"): "".join(e.itertext()) for e in root.iter() if "ww-end-label" in (e.get("class") or "")}
    assert sorted(labels.values()) == ["LPL 7.17", "Mean 10.7", "UPL 14.3"]
    points = ["".join(e.itertext()) for e in root.iter() if e.get("class") == "ww-point"]
    assert len(points) == 8 and points[-1].startswith("7: 40") and "special cause" in points[-1]
    assert "Ward B falls" in "".join(root.itertext())


def test_plot_funnel_highlights_the_named_group():
    data = pd.DataFrame({"trust": [f"T{i}" for i in range(10)],
                         "deaths": [10, 12, 9, 30, 11, 10, 8, 12, 11, 10],
                         "spells": [100] * 10})
    result = funnel(data, "trust", "deaths", "spells", type="PR")
    svg = plot_funnel(result, highlight="T3", title="Mortality by trust")
    text = "".join(_svg_root(svg).itertext())
    assert "Mortality by trust" in text and "T3" in text


def test_plot_cusum_and_vlad_draw_one_series():
    rng = np.random.default_rng(7)
    n = 60
    spells = pd.DataFrame({
        "org_code": ["R1"] * n + ["R2"] * n,
        "admitted": pd.date_range("2020-01-01", periods=n).tolist() * 2,
        "risk": np.full(2 * n, 0.1),
        "died": (rng.random(2 * n) < 0.1).astype(int),
    })
    result = run_cusums(spells, series=["org_code"], date="admitted", risk="risk", outcome="died",
                        h_upper=4.0, h_lower=4.0)
    cusum_text = "".join(_svg_root(plot_cusum(result, title="R1 CUSUM", org_code="R1")).itertext())
    vlad_text = "".join(_svg_root(plot_vlad(result, title="R1 VLAD", org_code="R1")).itertext())
    assert "R1 CUSUM" in cusum_text and "R1 VLAD" in vlad_text

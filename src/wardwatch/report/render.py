"""Jinja2 rendering of the board report (templates and CSS ship inside the package)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

TEMPLATES = "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wardwatch.report", TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    # SVG strings come from our own renderers (escaping their text is their job): mark them safe.
    env.filters["svg"] = lambda s: Markup(s or "")
    return env


def stylesheet() -> str:
    return resources.files("wardwatch.report").joinpath(TEMPLATES, "report.css").read_text(encoding="utf-8")


def render_page(**context: Any) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(css=Markup(stylesheet()), **context)

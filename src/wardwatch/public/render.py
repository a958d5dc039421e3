"""HTML for one organisation: the Jinja2 template, the board report's stylesheet, every SVG inline."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

import jinja2
from markupsafe import Markup, escape

from wardwatch.public.page import PageView, Table
from wardwatch.report.render import stylesheet


def _cell(cell: object) -> Markup:
    # cells are text (escaped) or (text, css class); class "svg" marks our own icon SVG, passed as is
    if isinstance(cell, tuple):
        text, css = cell
        body = Markup(text) if css == "svg" else escape(text)
        return Markup('<td class="{}">{}</td>').format(css, body)
    return Markup("<td>{}</td>").format(cell)


def _table(table: Table) -> Markup:
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(c) for c in table.columns)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(_cell(c) for c in row)) for row in table.rows
    )
    return Markup("<table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(
        table.caption, head, body)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wardwatch.public", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    # SVG strings come from wardwatch.render, which escapes the text it draws
    env.filters["svg"] = lambda s: Markup(s or "")
    env.globals["table"] = _table
    return env


def render_html(view: PageView, generated_at: str | None = None) -> str:
    """The complete, self-contained page (no external resources)."""
    when = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return environment().get_template("public.html.j2").render(v=view, css=Markup(stylesheet()),
                                                               generated_at=when)

"""`wardwatch funnel`: funnel plot (with overdispersion) of one value per group from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.cli.paths import distinct_outputs, input_file, output_file
from wardwatch.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("funnel")
    def funnel_command(
        input_csv: Annotated[Path, typer.Argument(metavar="INPUT.csv", help="CSV with one or more rows per group.")],
        group: Annotated[str, typer.Option("--group", help="Column naming the unit (e.g. org_code).")],
        numerator: Annotated[str, typer.Option("--numerator", help="Events (PR, RC) or observed count (SR).")],
        denominator: Annotated[str, typer.Option("--denominator", help="Total (PR, RC) or expected count (SR).")],
        out: Annotated[Path, typer.Option("--out", help="Where to write one row per group (CSV).")],
        type_: Annotated[str, typer.Option("--type", help="PR (proportion) | SR (standardised ratio O/E) | RC (ratio of counts)")] = "PR",
        method: Annotated[str, typer.Option("--method", help="spiegelhalter (winsorise; sqrt for SR) | shmi (truncate; log for SR)")] = "spiegelhalter",
        od: Annotated[str, typer.Option("--od", help="Overdispersion: additive (tau2) | multiplicative (phi) | none")] = "additive",
        trim: Annotated[float, typer.Option("--trim", help="Winsorising / truncation fraction at each end.")] = 0.1,
        style: Annotated[str, typer.Option("--style", help="spiegelhalter | funnelplotr (reproduce FunnelPlotR 0.3.9999)")] = "spiegelhalter",
        svg: Annotated[Path | None, typer.Option("--svg", help="Also draw the funnel plot to this SVG file.")] = None,
        limits_out: Annotated[Path | None, typer.Option("--limits", help="Also write the smooth limit lines (CSV).")] = None,
        highlight: Annotated[str | None, typer.Option("--highlight", help="Group to highlight (comma-separated for several).")] = None,
        title: Annotated[str | None, typer.Option("--title", help="Chart title.")] = None,
    ) -> None:
        """Funnel plot: compare groups fairly, with exact and overdispersion-adjusted 95% / 99.8% limits."""
        import pandas as pd

        from wardwatch.csvsafe import write_csv
        from wardwatch.render.results import plot_funnel
        from wardwatch.stats.funnel import funnel

        input_file(input_csv, "funnel: INPUT.csv")
        output_file(out, "funnel: --out")
        if limits_out is not None:
            output_file(limits_out, "funnel: --limits")
        if svg is not None:
            output_file(svg, "funnel: --svg")
        distinct_outputs(("INPUT.csv", input_csv), ("--out", out), ("--limits", limits_out), ("--svg", svg))
        if style not in ("spiegelhalter", "funnelplotr"):
            raise InputError(f"funnel: --style must be spiegelhalter or funnelplotr, not {style!r}")
        try:
            data = pd.read_csv(input_csv, dtype={group: str})
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"funnel: cannot read {input_csv} as CSV ({str(exc).splitlines()[0]})") from None
        result = funnel(data, group, numerator, denominator, type=type_.upper(), method=method.lower(),
                        od=od.lower(), trim=trim, style=style)  # type: ignore[arg-type]
        groups = [h.strip() for h in highlight.split(",")] if highlight else None
        if groups:
            unknown = [g for g in groups if g not in set(result.units["group"])]
            if unknown:
                raise InputError(f"funnel: --highlight group(s) {', '.join(unknown)} not in column {group!r}")
        write_csv(result.units, out)
        if limits_out is not None:
            write_csv(result.limits, limits_out)
        if svg is not None:
            svg.write_text(plot_funnel(result, highlight=groups, title=title))
        units = result.units
        typer.echo(
            f"{len(units)} groups; target {result.target:.6g}; phi {result.phi:.4g}; tau2 {result.tau2:.4g}; "
            f"limits {'overdispersion-adjusted' if result.od_adjusted else 'unadjusted (exact)'}; "
            f"above 95%: {int((units['band'] == 'higher than expected').sum())}, "
            f"below 95%: {int((units['band'] == 'lower than expected').sum())}; "
            f"outside 99.8%: {int((units['outlier'] != 'none').sum())}. Wrote {out}"
        )

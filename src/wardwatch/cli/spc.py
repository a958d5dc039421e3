"""`wardwatch spc`: SPC charts (Making Data Count) for every series in a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.errors import InputError

CHART_HELP = "xmr | p | pp | u | up | c | run | g | t"


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts or None


def _read_csv(path: Path, text_columns: list[str]):
    import pandas as pd

    if not path.exists():
        raise InputError(f"spc: input file {path} not found; give the path of a CSV file")
    try:
        return pd.read_csv(path, dtype={c: str for c in text_columns}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"spc: cannot read {path} as CSV ({str(exc).splitlines()[0]}); check the file"
        ) from None


def _parse_x(data, column: str):
    """Numbers stay numbers; otherwise the column must be dates (ISO 8601 recommended)."""
    import pandas as pd

    values = data[column]
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() == values.notna().sum():
        return numeric
    try:
        return pd.to_datetime(values, format="ISO8601")
    except (TypeError, ValueError):
        pass
    try:
        return pd.to_datetime(values)
    except (TypeError, ValueError):
        bad = values[pd.to_datetime(values, errors="coerce").isna() & values.notna()]
        raise InputError(
            f"spc: x column {column!r} has a value that is neither a number nor a date ({bad.iloc[0]!r}); "
            "use dates like 2019-04-01"
        ) from None


def _format_x(frame, column: str):
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        times = frame[column]
        if (times.dt.normalize() == times).all():
            frame[column] = times.dt.strftime("%Y-%m-%d")
    return frame


def register(app: typer.Typer) -> None:
    @app.command("spc")
    def spc_command(
        input_csv: Annotated[
            Path, typer.Argument(metavar="INPUT.csv", help="Long CSV: one row per series and period.")
        ],
        out: Annotated[Path, typer.Option("--out", help="Where to write the points (CSV).")],
        x: Annotated[str, typer.Option("--x", help="Period column (dates or numbers).")],
        y: Annotated[str, typer.Option("--y", help="Value column (event counts for p/pp/u/up).")],
        improvement: Annotated[str, typer.Option("--improvement", help="increase | decrease | neutral")],
        summary: Annotated[
            Path | None,
            typer.Option("--summary", help="Where to write one row per series and segment (CSV)."),
        ] = None,
        n: Annotated[str | None, typer.Option("--n", help="Denominator column (p, pp, u, up).")] = None,
        by: Annotated[
            str | None, typer.Option("--by", help="Comma-separated columns that identify a series.")
        ] = None,
        chart: Annotated[str, typer.Option("--chart", help=CHART_HELP)] = "xmr",
        target: Annotated[
            float | None, typer.Option("--target", help="Target value (drives the assurance icon).")
        ] = None,
        rebase: Annotated[
            str | None, typer.Option("--rebase", help="Comma-separated x values that start a new segment.")
        ] = None,
        fix_after: Annotated[
            int | None, typer.Option("--fix-after", help="Limits from the first N points of each segment.")
        ] = None,
        rules: Annotated[
            str, typer.Option("--rules", help="mdc (Making Data Count 2023) | ptd (NHSRplotthedots 0.2.2)")
        ] = "mdc",
        screen: Annotated[
            bool | None,
            typer.Option("--screen/--no-screen", help="Override the rule set's moving-range screening."),
        ] = None,
        run_length: Annotated[
            int | None, typer.Option("--run-length", help="6 or 7 points for trends and shifts.")
        ] = None,
    ) -> None:
        """Compute SPC charts (Making Data Count rules) for every series in INPUT.csv."""
        from wardwatch.stats.spc import spc

        by_columns = _split(by) or []
        data = _read_csv(input_csv, by_columns)
        if x not in data.columns:
            raise InputError(
                f"spc: column {x!r} (--x) not found in {input_csv}; columns are {list(data.columns)}"
            )
        data[x] = _parse_x(data, x)
        try:
            result = spc(
                data,
                x=x,
                y=y,
                n=n,
                by=by_columns or None,
                chart=chart,
                improvement=improvement,
                target=target,
                rebase=_split(rebase),
                fix_after=fix_after,
                rules=rules,
                screen=screen,
                run_length=run_length,
            )
        except InputError as exc:
            raise InputError(f"{exc.message} (in {input_csv})") from None
        _format_x(result.points.copy(), "x").to_csv(out, index=False)
        if summary is not None:
            result.summary.to_csv(summary, index=False)
        series = len(result.summary.drop_duplicates(subset=by_columns)) if by_columns else 1
        signals = int((result.points["special_cause"] != "none").sum())
        typer.echo(
            f"spc: {len(result.points)} points in {series} series ({chart}, rules {rules}); "
            f"{signals} special-cause points; wrote {out}" + (f" and {summary}" if summary else "")
        )

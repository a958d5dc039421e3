"""`wardwatch spc`: SPC charts (Making Data Count) for every series in a CSV file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from wardwatch.cli.paths import distinct_outputs, input_file, output_file
from wardwatch.errors import InputError

CHART_HELP = "xmr | p | pp | u | up | c | run | g | t"


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return parts or None


def _read_csv(path: Path, text_columns: list[str]):
    import pandas as pd

    input_file(path, "spc: INPUT.csv")
    try:
        return pd.read_csv(path, dtype={c: str for c in text_columns}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"spc: cannot read {path} as CSV ({str(exc).splitlines()[0]}); check the file"
        ) from None


def _parse_x(data, column: str, date_format: str | None = None):
    """Numbers stay numbers; otherwise the column must be dates.

    Dates are read as ISO 8601 (2016-04-01) unless ``--date-format`` says otherwise: the day/month
    order of 01/04/2016 is never guessed (1 April in England, 4 January in the USA).
    """
    import pandas as pd

    values = data[column]
    if date_format is None:
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().sum() == values.notna().sum():
            infinite = numeric[numeric.abs() == float("inf")]
            if len(infinite):
                raise InputError(
                    f"spc: x column {column!r} holds {infinite.iloc[0]} (row {infinite.index[0] + 1}); "
                    "periods must be finite numbers or dates"
                )
            return numeric
    if date_format is not None:
        try:
            parsed = _to_datetime(values, column, format=date_format)
        except ValueError as exc:
            raise InputError(
                f"spc: --date-format {date_format!r} is not a date format ({exc}); use strftime codes, "
                "e.g. %d/%m/%Y"
            ) from None
        bad = values[parsed.isna() & values.notna()]
        if len(bad):
            raise InputError(
                f"spc: x column {column!r} has {len(bad)} value(s) not in --date-format {date_format!r}, "
                f"first {bad.iloc[0]!r} (row {bad.index[0] + 1}); fix them or the format"
            )
        return parsed
    parsed = _to_datetime(values, column, format="ISO8601")
    bad = values[parsed.isna() & values.notna()]
    if len(bad) == 0:
        return parsed
    first = str(bad.iloc[0])
    if _looks_like_date(first):
        raise InputError(
            f"spc: x column {column!r} has dates that are not ISO 8601 (first {first!r}, row "
            f"{bad.index[0] + 1}); wardwatch never guesses day/month order: write dates as "
            f"2016-04-01 or give --date-format, e.g. --date-format %d/%m/%Y"
        )
    raise InputError(
        f"spc: x column {column!r} has a value that is neither a number nor a date ({first!r}, row "
        f"{bad.index[0] + 1}); use ISO dates like 2019-04-01, or give --date-format"
    )


def _to_datetime(values, column: str, format: str):
    """Dates in ``format``; unparseable values become NaT; mixed time zones are refused."""
    import pandas as pd

    try:
        return pd.to_datetime(values, format=format, errors="coerce")
    except ValueError as exc:
        if "timezone" not in str(exc).lower() and "time zone" not in str(exc).lower():
            raise
        raise InputError(
            f"spc: x column {column!r} mixes time zones (e.g. +01:00 and none); give every date in one "
            "zone, or plain dates like 2019-04-01"
        ) from None


def _check_finite(data, columns: dict[str, str | None], nonnegative: set[str]) -> None:
    """Infinite values (and negative denominators) would chart as nothing, silently."""
    import numpy as np
    import pandas as pd

    for option, column in columns.items():
        if column is None or column not in data.columns:
            continue
        values = pd.to_numeric(data[column], errors="coerce")
        infinite = values[np.isinf(values)]
        if len(infinite):
            raise InputError(
                f"spc: {option} column {column!r} holds {infinite.iloc[0]} (row {infinite.index[0] + 1}); "
                "values must be finite numbers"
            )
        if option in nonnegative:
            negative = values[values < 0]
            if len(negative):
                raise InputError(
                    f"spc: {option} column {column!r} holds a negative denominator {negative.iloc[0]} "
                    f"(row {negative.index[0] + 1}); denominators must be 0 or more"
                )


def _looks_like_date(text: str) -> bool:
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it has to guess: that is the point
        return not pd.isna(pd.to_datetime(text, errors="coerce", dayfirst=True))


def _parse_rebase(values: list[str] | None, x_values, date_format: str | None) -> list | None:
    """Rebase dates follow the x column's date rule (ISO or --date-format), never a guess."""
    import pandas as pd

    if values is None or not pd.api.types.is_datetime64_any_dtype(x_values):
        return values
    frame = pd.DataFrame({"--rebase": values})
    try:
        parsed = _parse_x(frame, "--rebase", date_format)
    except InputError as exc:
        raise InputError(exc.message.replace("x column '--rebase'", "--rebase")) from None
    return list(parsed)


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
        date_format: Annotated[
            str | None,
            typer.Option(
                "--date-format",
                help="How --x dates are written when not ISO 8601, e.g. %d/%m/%Y (day/month is never guessed).",
            ),
        ] = None,
    ) -> None:
        """Compute SPC charts (Making Data Count rules) for every series in INPUT.csv."""
        from wardwatch.csvsafe import write_csv
        from wardwatch.stats.spc import spc

        by_columns = _split(by) or []
        input_file(input_csv, "spc: INPUT.csv")
        output_file(out, "spc: --out")
        if summary is not None:
            output_file(summary, "spc: --summary")
        distinct_outputs(("INPUT.csv", input_csv), ("--out", out), ("--summary", summary))
        data = _read_csv(input_csv, by_columns)
        if x not in data.columns:
            raise InputError(
                f"spc: column {x!r} (--x) not found in {input_csv}; columns are {list(data.columns)}"
            )
        if target is not None and not math.isfinite(target):
            raise InputError(f"spc: --target {target} is not a finite number")
        data[x] = _parse_x(data, x, date_format)
        _check_finite(data, {"--y": y, "--n": n}, nonnegative={"--n"})
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
                rebase=_parse_rebase(_split(rebase), data[x], date_format),
                fix_after=fix_after,
                rules=rules,
                screen=screen,
                run_length=run_length,
            )
        except InputError as exc:
            raise InputError(f"{exc.message} (in {input_csv})") from None
        write_csv(_format_x(result.points.copy(), "x"), out)
        if summary is not None:
            write_csv(result.summary, summary)
        skipped = len(data) - len(result.points)
        if skipped > 0:
            typer.echo(
                f"spc: {skipped} of {len(data)} input row(s) not charted (a missing "
                + "/".join(c for c in (x, y, n) if c) + " value" + (", or a zero denominator)" if n else ")")
            )
        series = len(result.summary.drop_duplicates(subset=by_columns)) if by_columns else 1
        signals = int((result.points["special_cause"] != "none").sum())
        typer.echo(
            f"spc: {len(result.points)} points in {series} series ({chart}, rules {rules}); "
            f"{signals} special-cause points; wrote {out}" + (f" and {summary}" if summary else "")
        )

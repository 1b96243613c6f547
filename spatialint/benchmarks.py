"""Per-step cost of a pipeline run, read from Snakemake's benchmark files.

Every rule declares ``benchmark: "benchmarks/results/{study}/<step>.tsv"``; Snakemake writes
one row per run of the job with its wall time (``s``) and peak memory in MB: ``max_rss``, the
resident set summed over the job's processes, and ``max_pss``, the proportional set size, which
splits pages shared between processes (a worker pool forked from the script) among them.  For
a job with worker processes ``max_rss`` counts shared pages once per process and can be several
times what the job really holds; ``max_pss`` is the figure to size memory with.  Both are
sampled (every second for the first 30 s of a job, then every 30 s), so a short spike can be
missed.  :func:`read_benchmarks` gathers a study's files into
one table, :func:`benchmark_markdown` prints it for a README or an issue::

    python -m spatialint.benchmarks demo            # benchmarks/results/demo/*.tsv
    python -m spatialint.benchmarks demo --root /path/to/run
"""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

import pandas as pd

from spatialint.errors import DataError

logger = logging.getLogger(__name__)

BENCHMARK_DIR = Path("benchmarks") / "results"
#: Columns of the table :func:`read_benchmarks` returns.
COLUMNS = ("step", "wall_s", "max_rss_mb", "max_pss_mb", "cpu_s", "runs")


def _number(value: object) -> float:
    """A benchmark cell as a float; Snakemake writes ``-`` or NA when it could not measure."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def read_benchmark_file(path: str | Path) -> dict[str, float | str | int]:
    """One step's cost from one benchmark TSV: the last run's wall time, peak RSS and CPU time.

    Parameters
    ----------
    path
        A Snakemake benchmark file (tab-separated, header ``s h:m:s max_rss ...``).

    Raises
    ------
    DataError
        The file is empty or lacks the ``s`` / ``max_rss`` columns.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep="\t")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise DataError(
            f"Benchmark file {path} is empty or not a Snakemake benchmark TSV."
        ) from err
    missing = {"s", "max_rss"} - set(frame.columns)
    if missing or frame.empty:
        raise DataError(
            f"Benchmark file {path} has no rows or lacks the columns {sorted(missing)}; "
            "it is not a Snakemake benchmark TSV (delete it and rerun the step)."
        )
    last = frame.iloc[-1]
    return {
        "step": path.stem,
        "wall_s": _number(last["s"]),
        "max_rss_mb": _number(last["max_rss"]),
        "max_pss_mb": _number(last["max_pss"]) if "max_pss" in frame.columns else math.nan,
        "cpu_s": _number(last["cpu_time"]) if "cpu_time" in frame.columns else math.nan,
        "runs": len(frame),
    }


def read_benchmarks(study: str, *, root: str | Path = ".") -> pd.DataFrame:
    """The cost of every step of ``study``: one row per ``benchmarks/results/{study}/*.tsv``.

    Parameters
    ----------
    study
        Study name (the ``{study}`` wildcard).
    root
        The pipeline's working directory.

    Returns
    -------
    pandas.DataFrame
        Columns ``step``, ``wall_s``, ``max_rss_mb``, ``max_pss_mb`` (MB), ``cpu_s``, ``runs``,
        sorted by step, plus a final ``TOTAL`` row (wall time and CPU summed, peak memory the
        largest step's).

    Raises
    ------
    DataError
        No benchmark file exists for the study (it has not run in ``root``).
    """
    folder = Path(root) / BENCHMARK_DIR / study
    files = sorted(folder.glob("*.tsv"))
    if not files:
        raise DataError(
            f"No benchmark files in {folder}: run the pipeline for study {study!r} there first "
            "(snakemake --cores 2 --config 'studies=[...]')."
        )
    table = pd.DataFrame([read_benchmark_file(p) for p in files], columns=list(COLUMNS))
    total = {
        "step": "TOTAL",
        "wall_s": table["wall_s"].sum(),
        "max_rss_mb": table["max_rss_mb"].max(),
        "max_pss_mb": table["max_pss_mb"].max(),
        "cpu_s": table["cpu_s"].sum(),
        "runs": int(table["runs"].sum()),
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _fmt(value: float, digits: int) -> str:
    return "–" if math.isnan(value) else f"{value:,.{digits}f}"


def benchmark_markdown(table: pd.DataFrame) -> str:
    """A markdown table of :func:`read_benchmarks`' result (wall s, peak MB, CPU s)."""
    lines = [
        "| step | wall time (s) | max_rss (MB) | max_pss (MB) | CPU time (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.step} | {_fmt(row.wall_s, 1)} | {_fmt(row.max_rss_mb, 0)} | "
            f"{_fmt(row.max_pss_mb, 0)} | {_fmt(row.cpu_s, 1)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the per-step table of one or more studies as markdown."""
    from spatialint.logs import run_step

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="+", help="study names")
    parser.add_argument("--root", default=".", help="the pipeline's working directory")
    args = parser.parse_args(argv)

    def report() -> None:
        for study in args.studies:
            table = read_benchmarks(study, root=args.root)
            print(f"### {study}\n\n{benchmark_markdown(table)}\n")  # noqa: T201 - CLI output

    run_step(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Reading Snakemake benchmark files into the per-step cost table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from spatialint.benchmarks import benchmark_markdown, main, read_benchmarks
from spatialint.errors import DataError

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _write(folder: Path, step: str, *rows: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{step}.tsv").write_text(HEADER + "".join(rows), encoding="utf-8")


def test_table_per_step_with_total(tmp_path: Path) -> None:
    results = tmp_path / "benchmarks" / "results" / "demo"
    _write(results, "road_network", "12.5\t0:00:12\t310.2\t900\t300\t305\t1\t2\t80\t11.0\n")
    # a step run twice (a retry): the last run counts
    _write(
        results,
        "gaps",
        "3.0\t0:00:03\t100\t1\t1\t1\t0\t0\t10\t2.0\n",
        "4.0\t0:00:04\t150\t1\t1\t1\t0\t0\t10\t3.5\n",
    )
    # Snakemake writes NA when a job ended before its first sample
    _write(results, "map", "0.4\t0:00:00\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n")
    table = read_benchmarks("demo", root=tmp_path)
    assert list(table["step"]) == ["gaps", "map", "road_network", "TOTAL"]
    gaps = table.set_index("step").loc["gaps"]
    assert (gaps["wall_s"], gaps["max_rss_mb"], gaps["cpu_s"], gaps["runs"]) == (4.0, 150, 3.5, 2)
    assert math.isnan(table.set_index("step").loc["map", "max_rss_mb"])
    total = table.set_index("step").loc["TOTAL"]
    assert total["wall_s"] == pytest.approx(16.9)
    assert total["max_rss_mb"] == pytest.approx(310.2)
    assert total["max_pss_mb"] == pytest.approx(305)
    text = benchmark_markdown(table)
    assert "| road_network | 12.5 | 310 | 305 | 11.0 |" in text
    assert "| map | 0.4 | – | – | – |" in text


def test_missing_or_foreign_files_are_named(tmp_path: Path, capsys) -> None:
    with pytest.raises(DataError, match="No benchmark files"):
        read_benchmarks("nowhere", root=tmp_path)
    folder = tmp_path / "benchmarks" / "results" / "odd"
    folder.mkdir(parents=True)
    (folder / "step.tsv").write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a Snakemake benchmark TSV"):
        read_benchmarks("odd", root=tmp_path)
    with pytest.raises(SystemExit):
        main(["odd", "--root", str(tmp_path)])
    assert "step.tsv" in capsys.readouterr().err

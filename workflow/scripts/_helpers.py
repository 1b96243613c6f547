"""What every script of ``workflow/scripts/`` shares: run a rule's step, inside Snakemake or not.

This is workflow code, kept out of the ``spatialint`` package (which knows nothing about
Snakemake). Every script ends with the same two statements::

    if "snakemake" not in globals():
        snakemake = mock_snakemake("gaps", study=sys.argv[1] if len(sys.argv) > 1 else "demo")
    run_rule(snakemake, run_gap_stage)

:func:`run_rule` calls the stage function of the package with the rule's named inputs and
outputs and its params as typed settings (:func:`spatialint.settings.typed_params`), with the
step's logging and one-line errors (:func:`spatialint.logs.run_step`). Before the stage starts
it logs the job's memory estimate and stops the job when that exceeds the job's ``mem_mb``
(:mod:`spatialint.memory`), instead of letting the OOM killer end it half-way.

:func:`mock_snakemake` makes ``python workflow/scripts/gaps.py demo`` run the step on its own.
The rule's file contract (input/output/log paths, params, threads) is *not* re-typed here:
:func:`mock_snakemake` loads the Snakefile through Snakemake's API, builds the job of the named
rule for the study and returns the same object Snakemake hands to a script
(``snakemake.script.Snakemake``). It reaches into Snakemake's workflow object, as PyPSA-Eur's
does, so ``pyproject.toml`` bounds Snakemake's major version. The
pattern is PyPSA-Eur's ``mock_snakemake`` (``scripts/_helpers.py``), rewritten for Snakemake 9.

Paths stay as Snakemake gives them: relative to the working directory, which is the current
directory, as for ``snakemake -s <repo>/Snakefile`` run there.  Only the named study is loaded
(``--config studies=[<study>]``), so a standalone run never validates the other studies; its
YAML comes from the workflow's study folder when the current directory has none
(:func:`standalone_config`).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from spatialint.access.chunks import chunk_slice
from spatialint.config import load_schema
from spatialint.errors import ConfigError
from spatialint.logs import run_step
from spatialint.memory import job_memory
from spatialint.network.routing import available_workers
from spatialint.osm.sources import cache_path, is_remote
from spatialint.settings import SourceSettings, typed_params

logger = logging.getLogger(__name__)

SNAKEFILE = Path(__file__).resolve().parents[2] / "Snakefile"


def run_rule(snakemake: Any, stage: Callable[..., Any], **extra: Any) -> Any:
    """Run ``stage(inputs, outputs, **settings, **extra)`` as the rule's step.

    ``inputs`` and ``outputs`` are the rule's named files as plain dicts, the settings its
    ``params`` turned into typed objects by their names (:data:`spatialint.settings.PARAMS`);
    ``extra`` are what only the script knows (wildcards, threads). Before the stage starts,
    the job's memory is estimated from its inputs, logged, and checked against its ``mem_mb``
    (:func:`check_job_memory`). A :class:`~spatialint.errors.SpatialintError` ends the step
    with one line in its log.
    """

    def step() -> Any:
        inputs = dict(snakemake.input.items())
        settings = typed_params(dict(snakemake.params.items()))
        check_job_memory(snakemake, inputs, settings)
        return stage(inputs, dict(snakemake.output.items()), **settings, **extra)

    return run_step(step, log_path=snakemake.log[0])


def job_mem_mb(snakemake: Any) -> float | None:
    """The job's ``mem_mb`` (Snakemake's resources), or ``None`` when it has none."""
    value = getattr(getattr(snakemake, "resources", None), "mem_mb", None)
    return float(value) if isinstance(value, int | float) and value > 0 else None


def check_job_memory(snakemake: Any, inputs: dict[str, Any], settings: dict[str, Any]) -> None:
    """Log the job's memory estimate and stop it when the estimate exceeds its ``mem_mb``.

    A travel-time chunk counts only its own origins (``execution.origin_chunk_size``); the
    retrieve step counts the downloads of its source already in the cache.

    Raises
    ------
    ResourceError
        As :func:`spatialint.memory.check_memory`.
    """
    rule = getattr(snakemake, "rule", None)
    if rule is None:  # a hand-made stand-in for Snakemake's object: no rule, no estimate
        return
    origins = None
    chunk = getattr(getattr(snakemake, "wildcards", None), "chunk", None)
    if chunk is not None and {"origins", "execution"} <= set(settings):
        rows = chunk_slice(
            len(settings["origins"].origins),
            chunk_size=settings["execution"].origin_chunk_size,
            chunk=int(chunk),
        )
        origins = rows.stop - rows.start
    cached = cached_downloads(settings["source"]) if "source" in settings else []
    if cached:
        inputs = {**inputs, "cached_pbfs": cached}
    job_memory(rule, inputs, mem_mb=job_mem_mb(snakemake), origins=origins)


def cached_downloads(source: SourceSettings) -> list[str]:
    """The files of a PBF source's ``http(s)://`` URLs already in the download cache (the
    working directory's ``source.cache_dir``)."""
    if source.kind != "pbf" or not source.url:
        return []
    cache_dir = Path(source.cache_dir)
    cache_dir = cache_dir if cache_dir.is_absolute() else Path.cwd() / cache_dir
    paths = [cache_path(url, cache_dir=cache_dir) for url in source.url if is_remote(url)]
    return [str(path) for path in paths if path.is_file()]


def standalone_config(study: str, snakefile: Path) -> dict[str, Any]:
    """The ``--config`` of a standalone run: only ``study``, from the workflow's study folder.

    The study YAML files are looked up in ``study_dir`` relative to the current directory, as
    in a Snakemake run there; when the current directory has no such folder (a data folder
    outside the repository), the workflow's own folder beside ``snakefile`` is used.
    """
    study_dir = Path(load_schema()["properties"]["study_dir"]["default"])
    if not study_dir.is_dir():
        study_dir = snakefile.parent / study_dir
    return {"studies": [study], "study_dir": str(study_dir)}


def mock_snakemake(
    rule_name: str,
    *,
    study: str = "demo",
    snakefile: str | Path = SNAKEFILE,
    cores: int | None = None,
    **wildcards: str,
) -> Any:
    """The ``snakemake`` object the script of ``rule_name`` would get for ``study``.

    Parameters
    ----------
    rule_name
        Name of the rule, e.g. ``"gaps"``.
    study
        Value of the ``{study}`` wildcard; its config is loaded from
        ``workflow/config/studies/<study>.yaml`` as ``--config studies=[<study>]`` would.
    snakefile
        The workflow to load; the repository's ``Snakefile`` by default.
    cores
        Cores available to the job (caps ``threads`` as ``--cores`` does); by default the
        cores this process may use.
    **wildcards
        Further wildcards of the rule, e.g. ``mode="road"`` for ``travel_times``.

    Returns
    -------
    snakemake.script.Snakemake
        With ``input``, ``output``, ``params``, ``log``, ``wildcards``, ``threads``,
        ``resources``, ``config`` and ``rule`` resolved exactly as in a Snakemake run.  The
        parent folders of the outputs and logs are created, as Snakemake does before a job.

    Raises
    ------
    ConfigError
        If the Snakefile has no rule ``rule_name`` or a wildcard of the rule is not given.
    """
    from snakemake.api import SnakemakeApi
    from snakemake.dag import DAG
    from snakemake.iocontainers import Snakemake
    from snakemake.jobs import Job
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        ExecutionSettings,
        OutputSettings,
        Quietness,
        ResourceSettings,
        StorageSettings,
    )

    snakefile = Path(snakefile).resolve()
    workdir = Path.cwd()  # Snakemake's working directory: the rule's paths are relative to it
    wildcards = {"study": study, **wildcards}
    with tempfile.TemporaryDirectory(prefix="spatialint-mock-") as tmp:
        # Given as a config *file*, the study list also stands in for the workflow's own
        # configfile when the working directory has none (a data folder outside the repo).
        override = Path(tmp) / "studies.yaml"
        override.write_text(yaml.safe_dump(standalone_config(study, snakefile)), encoding="utf-8")
        try:
            with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
                workflow_api = api.workflow(
                    resource_settings=ResourceSettings(cores=cores or available_workers()),
                    config_settings=ConfigSettings(configfiles=[override]),
                    storage_settings=StorageSettings(),
                    snakefile=snakefile,
                    workdir=workdir,
                )
                workflow_api.dag(DAGSettings())  # sets the workflow's DAG settings
                workflow = workflow_api._workflow
                workflow.execution_settings = ExecutionSettings()
                rule_names = [rule.name for rule in workflow.rules]
                if rule_name not in rule_names:
                    raise ConfigError(
                        f"{snakefile} has no rule {rule_name!r}; its rules are "
                        f"{', '.join(sorted(rule_names))}."
                    )
                rule = workflow.get_rule(rule_name)
                missing = sorted(set(rule.wildcard_names) - set(wildcards))
                if missing:
                    raise ConfigError(
                        f"Rule {rule_name!r} needs the wildcard(s) {', '.join(missing)}; "
                        f"pass them to mock_snakemake (e.g. {missing[0]}=...)."
                    )
                job = Job(rule, DAG(workflow, rules=[rule]), wildcards)
                smk = Snakemake(
                    job.input,
                    job.output,
                    job.params,
                    job.wildcards,
                    job.threads,
                    job.resources,
                    job.log,
                    workflow.config,
                    rule_name,
                    None,
                    str((Path(rule.snakefile).parent / rule.script).resolve().parent),
                )
        finally:
            os.chdir(workdir)  # Snakemake's API may leave it elsewhere
    for path in [*smk.output, *smk.log]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger.debug("mocked rule %s for %s: %s -> %s", rule_name, wildcards, smk.input, smk.output)
    return smk

# Retrieve: OSM data for each study, as one filtered PBF extract.
from pathlib import Path

from spatialint.sources import is_remote, local_path


def source_inputs(wildcards):
    """Files the extract is made from, so Snakemake re-runs when one changes.

    The demo study depends on its generated PBF; a local PBF (path or file://) and an area
    polygon file are inputs; a remote PBF is downloaded (and cached) inside the rule.
    """
    study = STUDIES[wildcards.study]
    source, area = study["source"], study["area"]
    inputs = {}
    if source["kind"] == "demo":
        inputs["demo_pbf"] = f"data/{wildcards.study}/demo/demo.osm.pbf"
    elif source["kind"] == "pbf" and source.get("url") and not is_remote(source["url"]):
        inputs["source_pbf"] = str(local_path(source["url"], base_dir=Path.cwd()))
    if area.get("polygon_file"):
        inputs["polygon_file"] = area["polygon_file"]
    return inputs


def admin_inputs(wildcards):
    """The user's admin boundary file (admin.file), when the study gives one."""
    admin = STUDIES[wildcards.study]["admin"]
    return {"admin_file": admin["file"]} if admin.get("file") else {}


rule generate_demo:
    output:
        pbf="data/{study}/demo/demo.osm.pbf",
        truth="data/{study}/demo/truth.json",
    log:
        "logs/{study}/generate_demo.log",
    benchmark:
        "benchmarks/results/{study}/generate_demo.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        source=study_section("source"),
    script:
        "../scripts/generate_demo.py"


rule retrieve_osm:
    input:
        unpack(source_inputs),
    output:
        pbf="data/{study}/osm/extract.osm.pbf",
    log:
        "logs/{study}/retrieve_osm.log",
    benchmark:
        "benchmarks/results/{study}/retrieve_osm.tsv"
    retries: 2
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        study=study_config,
    script:
        "../scripts/retrieve_osm.py"

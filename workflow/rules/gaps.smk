# Gaps: cross-border dead ends (断头路), class drops, missing crossings, ranked by benefit,
# joined with the planners' review file.
from pathlib import Path


def gaps_review_path(wildcards):
    """The study's review file: gaps.review_file with {study} filled in."""
    study = STUDIES[wildcards.study]
    return study["gaps"]["review_file"].format(study=wildcards.study)


def gaps_optional_inputs(wildcards):
    """The review file only when it exists (editing it reruns gaps and what follows; a run
    never creates or writes it), and the waterway layer when one is configured."""
    inputs = {}
    review = gaps_review_path(wildcards)
    if Path(review).exists():
        inputs["review"] = review
    waterways = STUDIES[wildcards.study]["gaps"].get("waterways_file")
    if waterways:
        inputs["waterways"] = waterways
    return inputs


rule gaps:
    input:
        unpack(gaps_optional_inputs),
        road_nodes="data/{study}/network/road_nodes.parquet",
        road_edges="data/{study}/network/road_edges.parquet",
        planned="data/{study}/network/planned_ways.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        units="data/{study}/network/admin_units.gpkg",
    output:
        gpkg="data/{study}/gaps/gaps.gpkg",
        csv="data/{study}/gaps/gaps.csv",
        xlsx="data/{study}/gaps/gaps.xlsx",
        template="data/{study}/gaps/gaps_review_template.csv",
    log:
        "logs/{study}/gaps.log",
    benchmark:
        "benchmarks/results/{study}/gaps.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        study=study_config,
    script:
        "../scripts/gaps.py"

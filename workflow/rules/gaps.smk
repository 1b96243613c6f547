# Gaps: cross-border dead ends (断头路), class drops, missing crossings, ranked by benefit,
# joined with the planners' review file.


def review_file(wildcards):
    """The study's review file: the configured path, else data/{study}/review/gaps_review.csv."""
    return STUDIES[wildcards.study]["gaps"].get(
        "review_file", f"data/{wildcards.study}/review/gaps_review.csv"
    )


rule gaps:
    input:
        road_nodes="data/{study}/network/road_nodes.parquet",
        road_edges="data/{study}/network/road_edges.parquet",
        planned="data/{study}/network/planned_ways.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        units="data/{study}/network/admin_units.gpkg",
    output:
        gpkg="data/{study}/gaps/gaps.gpkg",
        csv="data/{study}/gaps/gaps.csv",
    log:
        "logs/{study}/gaps.log",
    benchmark:
        "benchmarks/results/{study}/gaps.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 2
    resources:
        mem_mb=8000,
    params:
        study=study_config,
        review=review_file,
    script:
        "../scripts/gaps.py"

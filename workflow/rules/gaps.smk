# Gaps: cross-border dead ends (断头路), class drops, missing crossings, ranked by confidence and
# benefit, with a thumbnail per dead end,
# joined with the planners' review file (an input only when it exists; never written by a run).


rule gaps:
    input:
        unpack(gap_inputs),
        pbf="data/{study}/osm/extract.osm.pbf",
        area="data/{study}/osm/study_area.gpkg",
        road_edges="data/{study}/network/road_edges.parquet",
        planned="data/{study}/network/planned_ways.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        units="data/{study}/network/admin_units.gpkg",
    output:
        gpkg="data/{study}/gaps/gaps.gpkg",
        csv="data/{study}/gaps/gaps.csv",
        xlsx="data/{study}/gaps/gaps.xlsx",
        template="data/{study}/gaps/gaps_review_template.csv",
        thumbnails=directory("data/{study}/gaps/thumbnails"),
    log:
        "logs/{study}/gaps.log",
    benchmark:
        "benchmarks/results/{study}/gaps.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        gaps=settings_param("gaps"),
        roads=settings_param("roads"),
        admin=settings_param("admin"),
        population=settings_param("population"),
    script:
        "../scripts/gaps.py"

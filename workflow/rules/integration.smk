# Integration: corridor measures between neighbouring units and named corridors.


rule integration:
    input:
        units="data/{study}/network/admin_units.gpkg",
        origins="data/{study}/access/origins.gpkg",
        road_edges="data/{study}/network/road_edges.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        multimodal_graph="data/{study}/network/multimodal_graph.npz",
        isochrones="data/{study}/access/isochrones.gpkg",
        gaps="data/{study}/gaps/gaps.gpkg",
    output:
        gpkg="data/{study}/integration/corridors.gpkg",
        csv="data/{study}/integration/corridors.csv",
    log:
        "logs/{study}/integration.log",
    benchmark:
        "benchmarks/results/{study}/integration.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 2
    resources:
        mem_mb=8000,
    params:
        study=study_config,
    script:
        "../scripts/integration.py"

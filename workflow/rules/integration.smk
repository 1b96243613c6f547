# Integration: corridor measures between neighbouring units and named corridors.


rule integration:
    input:
        unpack(population_inputs),
        units="data/{study}/network/admin_units.gpkg",
        places="data/{study}/network/places.parquet",
        origins="data/{study}/access/origins.gpkg",
        road_edges="data/{study}/network/road_edges.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        multimodal_graph="data/{study}/network/multimodal_graph.npz",
        gaps="data/{study}/gaps/gaps.gpkg",
    output:
        gpkg="data/{study}/integration/corridors.gpkg",
        csv="data/{study}/integration/corridors.csv",
        xlsx="data/{study}/integration/corridors.xlsx",
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
        integration=settings_param("integration"),
        population=settings_param("population"),
    script:
        "../scripts/integration.py"

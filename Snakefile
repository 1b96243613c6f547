# spatialint: metropolitan integration analysis from OpenStreetMap.
#   snakemake --cores 2                                   # the studies in default.yaml
#   snakemake --cores 2 --config 'studies=[andorra]'      # other studies


configfile: "workflow/config/default.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/retrieve.smk"
include: "workflow/rules/network.smk"
include: "workflow/rules/access.smk"
include: "workflow/rules/gaps.smk"
include: "workflow/rules/integration.smk"
include: "workflow/rules/maps.smk"


rule all:
    default_target: True
    input:
        expand("maps/{study}/index.html", study=STUDIES),
        expand("maps/{study}/report.html", study=STUDIES),

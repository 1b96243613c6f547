"""Integration: how well each pair of neighbouring units (and each named corridor) is knitted
together, measured six ways and combined into a 0–100 index.

Modules, in the order the stage uses them:

- :mod:`.stage` — ``run_integration_stage``: read the upstream tables by contract, write the
  ``corridors`` table (GeoPackage, CSV, XLSX);
- :mod:`.table` — ``corridor_table``: the steps from inputs to the finished table;
- :mod:`.rows` — the rows: neighbouring units, named corridors at the level separating them;
- :mod:`.levels` — the study in metres; borders, crossings and units per admin level;
- :mod:`.border` — shared borders and the roads crossing them;
- :mod:`.reach` — reach cells and populated places tied to the roads;
- :mod:`.travel` — routing from the corridors' centres;
- :mod:`.measures` — the measures of one row (permeability, travel, reach, border penalty,
  redundancy);
- :mod:`.penalty` — the border penalty from sampled node pairs;
- :mod:`.routes` — arc lengths and materially different routes;
- :mod:`.backlog` — open 断头路 per corridor and the sum of their ranking key;
- :mod:`.index` — the 0–100 integration index;
- :mod:`.summary` — one sentence per corridor.
"""

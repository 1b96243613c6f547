"""Integration: corridor measures between neighbouring units and named corridors — shared borders
and crossings (:mod:`.border`), reach (:mod:`.reach`), border penalty (:mod:`.penalty`),
redundant routes (:mod:`.routes`) — and the corridor table with its index (:mod:`.corridors`)."""

"""Gaps (断头路): cross-border dead ends, class drops and missing crossings (:mod:`.detect`), their
benefit (:mod:`.benefit`), the planners' review file (:mod:`.review`); :mod:`.stage` runs
the stage."""

"""The synthetic demo study: a made-up twin-city region written as a real OSM PBF, with the
answers planted in it (:mod:`.generator`)."""

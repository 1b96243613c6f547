"""Networks: the CSR graph (:mod:`.graph`) and shortest paths on it (:mod:`.routing`); the road
graph (:mod:`.roads`), the rail line-and-station model (:mod:`.rail`) and the road + rail graph
(:mod:`.multimodal`)."""

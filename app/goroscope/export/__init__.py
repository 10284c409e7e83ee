"""L2: writers (pprof, JSON); no Qt."""

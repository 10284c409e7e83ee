"""L3: background jobs without Qt (executor, cancel tokens, staged progress)."""

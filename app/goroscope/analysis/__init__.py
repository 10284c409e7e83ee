"""L2: pure analyses over the model (goroutine summaries, blocking profiles, MMU)."""

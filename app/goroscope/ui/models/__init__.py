"""Qt item models over numpy columns (goroutine table, task tree, stack list; STYLE §4.6)."""

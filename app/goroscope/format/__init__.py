"""L0: the Go execution-trace wire format (numpy + numba only, no Qt).

See ``../shared/research/format.md`` and the GOROOT's ``src/internal/trace``.
"""

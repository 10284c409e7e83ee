"""L1: trace semantics — ordering, state machines, spans (numpy only, no Qt)."""

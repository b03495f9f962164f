"""Korean-aware watch-term matching: pure functions, no I/O."""

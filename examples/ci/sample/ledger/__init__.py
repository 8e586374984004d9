"""ledger: a small bookkeeping package, the project that examples/ci tests in shards."""

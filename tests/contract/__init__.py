"""The store contract's tests: one set, run over every engine (see engines.py)."""

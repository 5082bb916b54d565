"""tests/benchmarks/ holds a benchmark runner (run.py), not tests: pytest collects nothing here."""

collect_ignore_glob = ["*.py"]

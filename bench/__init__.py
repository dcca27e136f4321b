"""The benchmark suite (`make bench`, `make bench-full`): see `bench/README.md`.

Not part of the product and not a test: it prints numbers beside their goals and never asserts on time.
It runs from the benchmark environment (`.venv-bench`), where Celery and the plotting tools live.
"""

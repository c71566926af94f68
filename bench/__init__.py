"""`make bench`: each benchmark module runs in its own process with its own fresh database.

A module is `bench/<name>.py` with a `main()` that prints its figures next to a baseline measured in the same
run (via `bench.support.report`). `python -m bench` runs them all, first on SQLite, then on PostgreSQL when it
answers on 127.0.0.1:5432.
"""

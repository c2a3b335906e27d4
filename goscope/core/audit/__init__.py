"""Answers across many runs: `goscope audit` and the Parquet export it can read back.

- `facts`   one run judged alone, exactly as `goscope report` judges it (its own recorded
            environment, senders, `--private`, `--trusted`, guard), folded into a few rows:
            the run, its leaks per path and host, its hosts' counts and durations
- `inputs`  which files an audit reads: recordings, reports, exports; bad ones named
- `engine`  the rows of every run in DuckDB (in process, memory bounded, spilling to disk)
            and the questions asked of them
- `parquet` the export: the same rows plus every event, as Hive-partitioned Parquet that
            Spark, Trino or a warehouse's external tables read as they are
- `render`  the answer as text, Markdown and SARIF

The per-run verdict is Python (the judging package), never re-implemented in SQL: SQL only
counts and groups what goscope already decided. DuckDB is the `goscope[audit]` extra. This
package may import everything else in the core; nothing in the core imports it.
"""

"""What goscope writes from a run: the report and the files people keep.

The report (report.py), exports (the report JSON, HAR, curl; export.py), CI
outputs (annotations, the Markdown job summary, SARIF; ci.py) and the
difference between two runs (diff.py). A new output format goes here.
May import: `judging`, `traffic`, `gorules`, `safe` and core's loose modules.
"""

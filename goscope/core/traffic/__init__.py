"""What go sent, read the way go thinks of it.

The event schema (events.py) and the recording format with its one reader
(recording.py); classification of each request (classify.py); fallback
chains down the GOPROXY list (chains.py), redirects and GOAUTH retries folded
into them; module lookups (prefix probes); go's errors tied to the requests
behind them and the verdicts that follow (verdicts.py), in plain words
(explain.py).
May import: `gorules`, `safe` and core's loose modules.
"""

"""The UI-free core of goscope, by concern (each sub-package says what it may import).

Lowest first; each imports only those below it (pyproject.toml's import-linter
contracts; tests/test_core_contract.py runs them):

- `audit/`    answers across many runs (`goscope audit`, the Parquet export); DuckDB
- `view/`     the model behind the TUI: the session, its columnar store, the `/` filter
- `outputs/`  what goscope writes from a session: the report, exports, CI outputs, diff
- `judging/`  verdicts on traffic: leaks, credentials, the doctor, each sender judged by its Go env
- `traffic/`  what go sent: the event schema and recordings, classification, fallback chains,
              redirects, GOAUTH retries, module lookups, go's errors tied to requests
- `gorules/`  ports of Go's own rules: the Go environment, patterns, case-encoding, GOPROXY and
              GOSUMDB routing, go's error forms, crypto/x509 roots, .netrc
- `safe/`     text made safe: secrets redacted, control characters escaped, fixes quoted
- loose modules, below all: the vocabulary, origins, public hosts, goscope's home,
  `--route`, finding `go`

Nothing here imports textual, rich or mitmproxy: the proxy addon and the TUI
adapt these plain-Python pieces.
"""

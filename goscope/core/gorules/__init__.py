"""Ports of Go's own rules, each citing the file of Go's source it follows.

The Go environment and its origins (cmd/go/internal/cfg), module path patterns
(x/mod/module MatchPrefixPatterns, path.Match), case-encoding, GOPROXY and
GOSUMDB routing (modfetch/proxy.go, sumdb.go) and `route`'s prediction, go's
own error forms (base, modfetch, web), crypto/x509's roots, and the .netrc go
reads. A new go error form goes in goerrors.py.
May import: `safe` and core's loose modules; never traffic, judging, outputs or view.
"""

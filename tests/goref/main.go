// goref answers questions about Go's own semantics, one JSON request per line,
// using golang.org/x/mod exactly as vendored in the Go toolchain under test.
// The Python tests use it as the reference for their property tests.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path"

	"golang.org/x/mod/module"
)

type request struct {
	Op     string `json:"op"`
	Globs  string `json:"globs"`
	Target string `json:"target"`
	S      string `json:"s"`
}

type response struct {
	OK    bool   `json:"ok"`
	Out   string `json:"out"`
	Error string `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		var resp response
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			resp.Error = err.Error()
		} else {
			resp = answer(req)
		}
		enc.Encode(resp)
	}
}

func answer(req request) response {
	var out string
	var err error
	switch req.Op {
	case "match_prefix":
		return response{OK: module.MatchPrefixPatterns(req.Globs, req.Target)}
	case "path_match":
		ok, err := path.Match(req.Globs, req.Target)
		if err != nil {
			return response{Error: err.Error()}
		}
		return response{OK: ok}
	case "unescape_path":
		out, err = module.UnescapePath(req.S)
	case "unescape_version":
		out, err = module.UnescapeVersion(req.S)
	case "escape_path":
		out, err = module.EscapePath(req.S)
	case "escape_version":
		out, err = module.EscapeVersion(req.S)
	default:
		return response{Error: "unknown op " + req.Op}
	}
	if err != nil {
		return response{Error: err.Error()}
	}
	return response{OK: true, Out: out}
}

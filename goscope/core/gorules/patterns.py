"""Go's module path patterns (GOPRIVATE, GONOPROXY, GONOSUMDB, GOINSECURE).

A port of `path.Match` (src/path/match.go) and `module.MatchPrefixPatterns`
(src/cmd/vendor/golang.org/x/mod/module/module.go). The semantics are kept
exactly, including Go's habit of ignoring malformed globs in prefix matching;
`glob_error` reports them separately so the doctor can point at them.
"""

from __future__ import annotations

from functools import lru_cache


class BadPattern(ValueError):
    """The pattern is malformed (Go's path.ErrBadPattern)."""


def path_match(pattern: str, name: str) -> bool:
    """Go's `path.Match`: raises BadPattern where Go returns ErrBadPattern."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and chunk == "":
            # Trailing * matches the rest of the string unless it has a /.
            return "/" not in name
        rest, ok = _match_chunk(chunk, name)
        # On the last chunk the name must be used up, else the star may still match.
        if ok and (rest == "" or pattern):
            name = rest
            continue
        if star:
            # Look for a match skipping i+1 characters; a star cannot skip a /.
            matched = False
            i = 0
            while i < len(name) and name[i] != "/":
                rest, ok = _match_chunk(chunk, name[i + 1 :])
                if ok:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    matched = True
                    break
                i += 1
            if matched:
                continue
        # Before returning false, check the rest of the pattern is well-formed.
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return name == ""


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            return star, pattern[:i], pattern[i:]
        i += 1
    return star, pattern, ""


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    """Match the single-character operators of chunk against the start of s.

    Like Go, the whole chunk is always scanned so a malformed pattern raises
    even after the match has failed.
    """
    failed = False
    while chunk:
        failed = failed or s == ""
        c = chunk[0]
        if c == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = False
            if chunk.startswith("^"):
                negated = True
                chunk = chunk[1:]
            match = False
            nrange = 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(chunk[1:])
                match = match or (r != "" and lo <= r <= hi)
                nrange += 1
            failed = failed or match == negated
        elif c == "?":
            if not failed:
                failed = s[0] == "/"
                s = s[1:]
            chunk = chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise BadPattern("trailing backslash")
            if not failed:
                failed = chunk[0] != s[0]
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False
    return s, True


def _get_esc(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise BadPattern("bad character range")
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise BadPattern("trailing backslash in character class")
    r, rest = chunk[0], chunk[1:]
    if not rest:
        raise BadPattern("unterminated character class")
    return r, rest


def split_patterns(globs: str) -> list[str]:
    """The non-empty globs of a comma-separated list, trailing slashes removed."""
    out = []
    for glob in globs.split(","):
        glob = glob.removesuffix("/")
        if glob:
            out.append(glob)
    return out


def matching_pattern(globs: str, target: str) -> str | None:
    """The first glob of `globs` that matches a prefix of `target`, or None.

    `module.MatchPrefixPatterns`: a glob with N slashes is matched against the
    first N+1 elements of the path. Malformed globs never match (Go ignores
    path.Match's error there).
    """
    for glob in split_patterns(globs):
        n = glob.count("/")
        parts = target.split("/")
        if len(parts) <= n:
            continue  # not enough path elements
        prefix = "/".join(parts[: n + 1])
        if _match_quiet(glob, prefix):
            return glob
    return None


@lru_cache(maxsize=4096)
def _match_quiet(glob: str, prefix: str) -> bool:
    try:
        return path_match(glob, prefix)
    except BadPattern:
        return False


def match_prefix_patterns(globs: str, target: str) -> bool:
    """Exactly Go's `module.MatchPrefixPatterns(globs, target)`."""
    return matching_pattern(globs, target) is not None


def glob_error(glob: str) -> str | None:
    """Why a glob is malformed (Go would silently never match it), or None."""
    try:
        path_match(glob, "")
    except BadPattern as exc:
        return str(exc)
    return None

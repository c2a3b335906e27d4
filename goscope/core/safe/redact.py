"""Secrets never leave goscope: credentials in URLs, headers and bodies are redacted.

Used for every event, report, recording and export. The URL form follows Go's
`url.URL.Redacted` (the password becomes `xxxxx`), so goscope's URLs line up
with what `go -x` prints. Three layers, since a hand list alone is always
behind: structural rules (any header, query, form or JSON key whose name says
token, secret, auth, key, pass, session, signature or credential; every URL
password), the known token shapes of detect-secrets' plugins (GitHub, GitLab,
Slack, AWS, JWT, npm, PyPI, Stripe, …), and go's own forms (GOPROXY userinfo,
a GOAUTH command line).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

# Headers whose value is a URL that may carry a signature (presigned redirects).
URL_HEADERS = frozenset({"location", "content-location", "link", "referer"})

# Named in full, and any header whose name says secret (_SECRET_NAME) but these challenges.
NOT_SECRET_HEADERS = frozenset({"www-authenticate", "proxy-authenticate", "authentication-info"})
_SECRET_NAME = re.compile(
    r"token|secret|auth|key|pass|session|signature|credential|cookie", re.IGNORECASE
)
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "private-token",
        "job-token",
        "x-goog-api-key",
        "x-jfrog-art-api",
    }
)

_SECRET_KEY = re.compile(
    r"(token|secret|pass|pwd|api[-_]?key|apikey|access[-_]?key|auth|credential|"
    r"session|signature|^sig$|^key$|^code$|x-amz-security|x-amz-credential)",
    re.IGNORECASE,
)
# Values that are tokens whatever their key: GitHub, GitLab, Slack, AWS, JWTs.
_SECRET_VALUE = re.compile(
    r"^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|xox[abpr]-[\w-]+|"
    r"AKIA[0-9A-Z]{16}|eyJ[\w-]+\.[\w-]+\.[\w-]+)$"
)


def is_secret_query(key: str, value: str) -> bool:
    # A key-less value (`?ghp_…`) parses as a key with an empty value.
    return bool(
        _SECRET_KEY.search(key)
        or _SECRET_VALUE.match(value)
        or token_shapes().search(value)
        or (not value and (_SECRET_VALUE.match(key) or token_shapes().search(key)))
    )


_DETECTORS = (
    # detect-secrets plugins whose patterns are token shapes (prefixes, fixed forms):
    # a match is a secret wherever it appears. The keyword and entropy plugins are left
    # out: module paths, versions and hashes would trip them.
    ("aws", "AWSKeyDetector", 1),
    ("azure_storage_key", "AzureStorageKeyDetector", None),
    ("github_token", "GitHubTokenDetector", None),
    ("gitlab_token", "GitLabTokenDetector", None),
    ("npm", "NpmDetector", None),
    ("openai", "OpenAIDetector", None),
    ("pypi_token", "PypiTokenDetector", None),
    ("sendgrid", "SendGridDetector", None),
    ("slack", "SlackDetector", None),
    ("square_oauth", "SquareOAuthDetector", None),
    ("stripe", "StripeDetector", None),
)
# Shapes detect-secrets lacks: fine-grained GitHub tokens, Vault, JFrog, Google keys.
_EXTRA_SHAPES = (
    r"github_pat_\w{20,}",
    r"gh[pousr]_[A-Za-z0-9]{20,}",
    r"hv[sbr]\.[A-Za-z0-9_-]{20,}",
    r"cmVmdGtu[A-Za-z0-9]{20,}",
    r"AKCp[A-Za-z0-9]{20,}",
    r"AIza[0-9A-Za-z_-]{35}",
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",  # a JWT, signature included
    r"npm_[A-Za-z0-9]{36}",
    r"(?:sk|rk)_live_[0-9a-zA-Z]{24,}",
)


MIN_TOKEN = 16  # no known token shape is shorter: shorter text needs no scan


_shapes: re.Pattern[str] | None = None


def token_shapes() -> re.Pattern[str]:
    """One regex of every known token shape (composed on first use: detect-secrets loads
    in ~0.1 s, which start-up need not pay)."""
    global _shapes
    if _shapes is None:
        _shapes = re.compile(_compose_token_shapes())
    return _shapes


def token_shapes_source() -> str:
    """The text of that regex. The run engine hands it to the proxy process
    (`use_token_shapes`): the proxy then never imports detect-secrets, whose 0.1 s would
    fall on go's first request."""
    return token_shapes().pattern


def _compose_token_shapes() -> str:
    """detect-secrets' plugins' shapes and goscope's own, as one alternation."""
    import importlib

    patterns = list(_EXTRA_SHAPES)
    for module, name, first_n in _DETECTORS:
        try:
            plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        except (ImportError, AttributeError):
            continue
        patterns += [p.pattern for p in list(plugin.denylist)[:first_n]]
    return "|".join(f"(?:{p})" for p in patterns)


def use_token_shapes(source: str) -> None:
    """Take the token shapes another goscope process composed (`token_shapes_source`);
    text that is not a valid regex, or lacks goscope's own shapes, is ignored."""
    global _shapes
    if not all(f"(?:{shape})" in source for shape in _EXTRA_SHAPES):
        return
    try:
        _shapes = re.compile(source)
    except re.error:
        return
    for found in (_token_free, _clean_paths, _clean_urls, _clean_hosts):
        found.clear()  # found clean by other shapes: scanned again by these


def redact_url(url: str) -> str:
    """Remove the password from userinfo and token-like query values."""
    if _PLAIN_URL.match(url):
        # go's common URL: no userinfo, query or fragment; only the path can hold a
        # token. (The same answer as the parse below: a property test says so.)
        start = url.find("/", len("https://") if url[4] == "s" else len("http://"))
        return url if start < 0 else url[:start] + redact_path(url[start:])
    return _redact_parsed_url(url)


# A host without `@` (no userinfo), then a path of printable ASCII; no `?`, `#` or brackets.
# An `@` in the path (go's `/@v/list`) is never userinfo: the netloc ends at the first `/`.
_PLAIN_URL = re.compile(
    r"https?://[\x21-\x22\x24-\x2e\x30-\x3e\x41-\x5a\x5c\x5e-\x7e]+"
    r"(?:/[\x21-\x22\x24-\x3e\x40-\x5a\x5c\x5e-\x7e]*)?\Z"
)


def _redact_parsed_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return _redact_unparseable(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        if _looks_like_token(user):  # https://TOKEN@…, https://TOKEN:x-oauth-basic@…
            user = REDACTED
        netloc = f"{user}:xxxxx@{hostport}" if colon else f"{user}@{hostport}"
    path = redact_path(parts.path)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_query(k, v) for k, v in pairs):
            query = "&".join(_redacted_pair(k, v) for k, v in pairs)
        if ";" in query:  # ?q=1;token=… : a second kind of separator some servers accept
            query = PATH_PARAM.sub(path_param, query)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def redact_path(path: str) -> str:
    """Token shapes and `;jsessionid=…` parameters in a URL path, or a module path
    decoded from one."""
    if ";" in path:
        path = PATH_PARAM.sub(path_param, path)
    return token_shapes().sub(REDACTED, path) if len(path) >= MIN_TOKEN else path


def _redacted_pair(key: str, value: str) -> str:
    if ";" in value:  # ?q=1;token=… : a second kind of separator some servers accept
        value = PATH_PARAM.sub(path_param, ";" + value)[1:]
    if not value and is_secret_query(key, value) and not _SECRET_KEY.search(key):
        return REDACTED  # a key-less token: ?ghp_…
    if is_secret_query(key, value):
        value = REDACTED
    return urlencode([(key, value)], quote_via=quote, safe="/:")


# ;jsessionid=…, ;token=… path parameters (servlet containers, some proxies).
PATH_PARAM = re.compile(r";([^/;=?#]{1,100})=([^/;?#]*)")


def path_param(match: re.Match[str]) -> str:
    key = match.group(1)
    secret = _secret_key(key) or key.lower() in ("jsessionid", "sid", "phpsessid")
    return f";{key}={REDACTED}" if secret else match.group()


def _looks_like_token(user: str) -> bool:
    """A user name that is really a credential (GOPROXY=https://TOKEN@proxy)."""
    if _SECRET_VALUE.match(user) or token_shapes().search(user):
        return True
    return len(user) >= 20 and any(c.isdigit() for c in user) and any(c.isalpha() for c in user)


# The password runs to the last @ before the host: Go accepts @ inside userinfo.
# (In GOPROXY, `,` and `|` separate entries before any URL is parsed.)
_USERINFO_PASSWORD = re.compile(r"(//[^/@:,|\s]*):[^/,|\s]*@")


_USERINFO_USER = re.compile(r"//([^/@:,|\s]+)@")


def redact_userinfo(text: str) -> str:
    """Passwords in every URL of a free-form value (a GOPROXY list, GOSUMDB, GOFLAGS),
    and a user name that is really a token."""
    text = _USERINFO_PASSWORD.sub(_password_in_url, text)
    return _USERINFO_USER.sub(
        lambda m: f"//{REDACTED}@" if _looks_like_token(m.group(1)) else m.group(), text
    )


def redact_quoted(text: str) -> str:
    """goscope's own message quoting what it refused (a recording's bad field): passwords in
    URLs and token shapes only, never its words ("expected a string key: line 1" is no
    `key: value` pair to hide)."""
    if not text:
        return text
    text = redact_userinfo(text)
    return token_shapes().sub(REDACTED, text) if len(text) >= MIN_TOKEN else text


def _password_in_url(match: re.Match[str]) -> str:
    user = match.group(1)[2:]
    return f"//{REDACTED if _looks_like_token(user) else user}:xxxxx@"


def redact_value(text: str) -> str:
    """A Go variable's value as goscope shows it: GOPROXY userinfo, `?token=` in its URLs,
    a GOAUTH command line's `--token=…`, any known token shape."""
    return redact_free_text(redact_userinfo(text)) if text else text


def _redact_unparseable(url: str) -> str:
    """A URL urlsplit refuses (a stray `[`): its userinfo, and what free text loses too
    (`access_token=…`, `;jsessionid=…`, any token shape)."""
    return redact_free_text(re.sub(r"//[^/@]*@", "//xxxxx@", url))


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[list[str]],
) -> list[list[str]]:
    """Headers as [name, value] pairs with credentials replaced."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for name, value in items:
        name, value = str(name), str(value)
        if len(name) >= MIN_TOKEN and name not in _token_free:  # a name is wire text too
            clean = token_shapes().sub(REDACTED, name)
            if clean == name and len(name) <= REMEMBERED_VALUE:
                _remember_token_free(name)
            name = clean
        rule = _header_rule(name)
        if rule is _SECRET:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {REDACTED}" if scheme.isalpha() else REDACTED
        elif rule is _URL:
            value = redact_free_text(redact_url(value) if name.lower() != "link" else value)
        elif len(value) >= MIN_TOKEN and value not in _token_free:
            # Any header may carry a credential in a scheme's words (`X-Api: Bearer sk-…`):
            # redacted as free text is, not only by the token shapes.
            redacted = token_shapes().sub(REDACTED, redact_free_text(value))
            if redacted == value and len(value) <= REMEMBERED_VALUE:
                _remember_token_free(value)
            value = redacted
        out.append([name, value])
    return out


# The headers a client sends of itself. go (web/http.go and Go's transport): User-Agent,
# Accept-Encoding, Host, Connection; on the GOAUTH retry, what GOAUTH gave (redacted by name
# already). git (http.c) and curl add their own few. Any other header on a request came from
# configuration (a GOAUTH command, git's http.extraHeader, curl -H): a credential, whatever
# its name, and redacted.
GO_OWN_HEADERS = frozenset({"user-agent", "accept-encoding", "host", "connection", "te"})
CLIENT_OWN_HEADERS = GO_OWN_HEADERS | frozenset(
    {
        "accept",
        "accept-language",
        "pragma",
        "git-protocol",
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "expect",
        "cache-control",
        "range",
        "if-none-match",
        "if-modified-since",
        "upgrade",
    }
)


def client_of_agent(user_agent: str) -> str:
    """go, git or other, by the User-Agent (as classify.py's `client_of`, for the headers)."""
    if user_agent.startswith(("GoCommand/", "Go-http-client/")):
        return "go"
    return "git" if user_agent.startswith("git/") else "other"


# Flags whose value is a credential (curl, wget, git, httpie, go tools' own), in either
# form: `--user bob:pw` or `--user=bob:pw`.
CREDENTIAL_FLAGS = frozenset(
    {
        "-u",
        "--user",
        "-U",
        "--proxy-user",
        "--oauth2-bearer",
        "--password",
        "--passwd",
        "--pass",
        "--token",
        "--auth",
        "--api-key",
        "--apikey",
        "--secret",
        "--credentials",
        "--http-password",
        "--proxy-password",
    }
)
HEADER_FLAGS = frozenset({"-H", "--header", "--proxy-header"})


def redact_argv(argv: Iterable[str]) -> list[str]:
    """A command line as goscope keeps it: the value of every credential flag, and of
    every header given on it (`-H 'X-Corp-Api: …'`, but for a client's harmless ones),
    redacted; each argument then as free text (URLs, token shapes, key=value)."""
    out: list[str] = []
    redact_next = header_next = False
    for arg in argv:
        if redact_next:
            out.append(REDACTED)
        elif header_next:
            out.append(_header_arg(arg))
        else:
            flag, eq, value = arg.partition("=")
            if eq and flag in CREDENTIAL_FLAGS:
                out.append(f"{flag}={REDACTED}")
            elif eq and flag in HEADER_FLAGS:
                out.append(f"{flag}={_header_arg(value)}")
            else:
                out.append(redact_free_text(arg))
        redact_next, header_next = arg in CREDENTIAL_FLAGS, arg in HEADER_FLAGS
    return out


def _header_arg(header: str) -> str:
    name, colon, _value = header.partition(":")
    if not colon or name.strip().lower() in CLIENT_OWN_HEADERS:
        return redact_free_text(header)
    return f"{name}: {REDACTED}"


def redact_goauth_headers(headers: list[list[str]], client: str = "go") -> list[list[str]]:
    """A request's headers (already redacted by name): every one its client does not send
    itself is treated as a credential (a GOAUTH command's, git's extraHeader, curl -H)."""
    own = GO_OWN_HEADERS if client == "go" else CLIENT_OWN_HEADERS
    return [
        [name, value] if name.lower() in own or value.endswith(REDACTED) else [name, REDACTED]
        for name, value in headers
    ]


_SECRET, _URL, _PLAIN = "secret", "url", "plain"


@lru_cache(maxsize=1024)
def _header_rule(name: str) -> str:
    """How a header's value is redacted, by its name (names repeat: decided once)."""
    lower = name.lower()
    if lower in SECRET_HEADERS or (_SECRET_NAME.search(lower) and lower not in NOT_SECRET_HEADERS):
        return _SECRET
    return _URL if lower in URL_HEADERS else _PLAIN


# Header values already scanned and found free of any token shape (User-Agent, Server,
# Content-Type…: they repeat on every request). Only clean values are kept, never a secret,
# and only short ones: a hostile server's huge headers are not held on to.
_token_free: set[str] = set()
REMEMBERED_VALUE = 256


def _remember_token_free(value: str, found: set[str] = _token_free) -> None:
    if len(found) >= 4096:
        found.clear()
    found.add(value)


# The same for what repeats on every request to a module: its path and version, and the
# GOPROXY entry's base. Each kind of text has its own set: clean as a path is not clean as
# a URL (userinfo, a query).
_clean_paths: set[str] = set()
_clean_urls: set[str] = set()


def redact_repeated_path(path: str) -> str:
    """`redact_path` of text that repeats (a module path, a version), scanned once while clean."""
    return _once_while_clean(path, redact_path, _clean_paths)


def redact_repeated_url(url: str) -> str:
    """`redact_url` of a URL that repeats (a GOPROXY entry's base), parsed once while clean."""
    return _once_while_clean(url, redact_url, _clean_urls)


_clean_hosts: set[str] = set()


def redact_host(host: str) -> str:
    """An event's `host` as read back from a recording or report, which goscope writes as
    the URL's host: a crafted one (`bob:pw@h`, `h/?token=…`, a token shape) showed its
    secret in every output while the URL beside it was redacted. Userinfo never belongs in
    a host: all of it before the last `@` goes; then what free text loses. Hosts repeat:
    each is scanned once while clean."""
    return _once_while_clean(host, _redact_host, _clean_hosts) if host else host


def _redact_host(host: str) -> str:
    if "@" in host:
        host = f"{REDACTED}@{host.rpartition('@')[2]}"
    return redact_value(host)


def _once_while_clean(text: str, redact: Callable[[str], str], clean: set[str]) -> str:
    if text in clean:
        return text
    redacted = redact(text)
    if redacted == text and len(text) <= REMEMBERED_VALUE:
        _remember_token_free(text, clean)
    return redacted


# Every rule is linear in its input: wire text is hostile, and a pattern that backtracks
# (a `[\w]*word[\w]*=` scan, say) lets one long answer stall the proxy. Keys are matched
# whole, then tested for a secret-sounding word.
_SECRET_WORD = re.compile(
    r"token|secret|pass|pwd|api[-_]?key|apikey|auth|key|session|signature|sig|credential|code",
    re.IGNORECASE,
)
# A key starts where a word does and is at most 100 long: no start inside a long run.
# A value never ends with ":": go writes "reading URL?token=x: 404", and the ": " is go's.
# Every place a key may start: where a word does, or right after another key's `=`
# (-ldflags=-X=main.apiKey=…): a zero-width match, so keys inside values are found too.
_KEY_AT = re.compile(r"(?:(?<==)|(?<![\w.-]))(?=([\w.-]{1,100})=)")
_VALUE = re.compile(r"[^&\s\"'<>,|;]*[^&\s\"'<>,|;:]")


_SETTINGS_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "0", "1", "none"})


def _redact_keyed(text: str) -> str:
    """`key=value` where the key sounds secret: the value redacted, keys nested in values
    included. Linear: each start position tries one key of at most 100 characters."""
    out, last = [], 0
    for match in _KEY_AT.finditer(text):
        start, key = match.start(), match.group(1)
        if start < last or not _secret_key(key):
            continue
        value_at = start + len(key) + 1
        value = _VALUE.match(text, value_at)
        if value is None or value.group().lower() in _SETTINGS_WORDS:
            continue  # `git -c log.showsignature=false`: a setting, no secret
        out += [text[last:value_at], REDACTED]
        last = value.end()
    return "".join(out) + text[last:] if out else text


_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.){0,200})"(\s*:\s*)"(?:[^"\\]|\\.)*"')
_XML_PAIR = re.compile(r"<([\w:.-]{1,100})>([^<]*)</\1>")
_FLAG_VALUE = re.compile(r"(?<![\w-])(--?[\w-]{1,100})[ \t]+([^\s-][^\s]*)")  # --password x
_NETRC = re.compile(r"\b(password|passwd|login)[ \t]+(\S+)", re.IGNORECASE)
# `Name: value` where a header line, a config value or a log would put one (at the start
# of a line, after `=`, `"`, `'` or a space): `X-Vault-Token: hvs…`, `PRIVATE-TOKEN: …` in
# GIT_CONFIG_VALUE_0, `Authorization: Bearer …` in a body. A name inside a path
# (`module example.com/acme/tokens: …`) does not start where a header does.
_HEADER_LINE = re.compile(r"(?m)(?:^|(?<=[\s=\"'{,]))([A-Za-z][\w-]{0,99}):[ \t]*([^\r\n]+)")
# `user:password@host` without a scheme (ALL_PROXY=user:pw@corp:3128, go's proxyconnect
# errors): go and curl accept the form, so its password is one too.
_BARE_USERINFO = re.compile(
    r"(?<![\w/:@.%+-])([A-Za-z0-9._%+-]{1,100}):([^/@\s:,|\"']{1,200})@"
    r"(?=[A-Za-z0-9.-]+(?::\d+)?(?:[^\w.-]|$))"
)
_TEXT_SECRETS = (
    (re.compile(r"(//[^/@:\s\"']*):[^/\s\"']*@"), r"\1:xxxxx@"),
    (
        re.compile(r"\b((?:proxy-)?authorization[=:]\s*)(bearer|basic|token|digest)\s+\S+", re.I),
        r"\1\2 REDACTED",
    ),
    (re.compile(r"\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 REDACTED"),
)


_TEXT_GATE = re.compile(r"//|bearer|basic|token|authorization", re.IGNORECASE)


def _secret_key(key: str) -> bool:
    return _SECRET_WORD.search(key) is not None


def _json(match: re.Match[str]) -> str:
    key = match.group(1)
    return f'"{key}"{match.group(2)}"{REDACTED}"' if _secret_key(key) else match.group()


def _xml(match: re.Match[str]) -> str:
    tag = match.group(1)
    return f"<{tag}>{REDACTED}</{tag}>" if _secret_key(tag) else match.group()


def _flag(match: re.Match[str]) -> str:
    flag = match.group(1)
    return f"{flag} {REDACTED}" if _secret_key(flag) else match.group()


def _header_line(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}: {REDACTED}" if _secret_key(name) else match.group()


def _netrc(match: re.Match[str]) -> str:
    word = match.group(1)
    return match.group() if word.lower() == "login" else f"{word} {REDACTED}"


def redact_free_text(text: str) -> str:
    """Credentials inside free text: an error message, a GOAUTH command line, or a body
    that echoes a URL, a form, JSON, XML or a netrc file."""
    if not text:
        return text
    if _TEXT_GATE.search(text):
        for pattern, replacement in _TEXT_SECRETS:
            text = pattern.sub(replacement, text)
    if "@" in text and ":" in text:
        text = _BARE_USERINFO.sub(r"\1:xxxxx@", text)
    if _SECRET_WORD.search(text):  # the keyed rules only where a secret-sounding word is
        if "=" in text:
            text = _redact_keyed(text)
        if '"' in text:
            text = _JSON_PAIR.sub(_json, text)
        if "</" in text:
            text = _XML_PAIR.sub(_xml, text)
        if "-" in text:
            text = _FLAG_VALUE.sub(_flag, text)
        if ":" in text:
            text = _HEADER_LINE.sub(_header_line, text)
        text = _NETRC.sub(_netrc, text)
    return token_shapes().sub(REDACTED, text) if len(text) >= MIN_TOKEN else text

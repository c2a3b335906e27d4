"""Every kind of request go makes is named correctly, from real-looking URLs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goscope.core.gorules.goenv import GoEnv
from goscope.core.judging.leaks import find_leaks
from goscope.core.traffic.classify import OTHER, classify_request

from .factories import event

GO = {"User-Agent": "GoCommand/1 (+https://go.dev/cmd/go)"}
GIT = {"User-Agent": "git/2.39.5"}


def c(url, method="GET", headers=GO, env=None):
    return classify_request(method, url, headers, env)


@pytest.mark.parametrize(
    ("url", "endpoint", "module", "version"),
    [
        ("https://proxy.golang.org/golang.org/x/text/@v/list", "list", "golang.org/x/text", None),
        ("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.info", "info", "rsc.io/quote", "v1.5.2"),
        ("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.mod", "mod", "rsc.io/quote", "v1.5.2"),
        ("https://proxy.golang.org/rsc.io/quote/@v/v1.5.2.zip", "zip", "rsc.io/quote", "v1.5.2"),
        ("https://proxy.golang.org/rsc.io/quote/@latest", "latest", "rsc.io/quote", None),
        (
            "https://proxy.golang.org/github.com/%21burnt%21sushi/toml/@v/v1.3.2.info",
            "info",
            "github.com/BurntSushi/toml",
            "v1.3.2",
        ),
        (
            "https://goproxy.example/example.com/!lib/@v/v0.3.0-%21beta.2.mod",
            "mod",
            "example.com/Lib",
            "v0.3.0-Beta.2",
        ),
        (
            "https://proxy.golang.org/rsc.io/quote/v3/@v/v3.1.0+incompatible.zip",
            "zip",
            "rsc.io/quote/v3",
            "v3.1.0+incompatible",
        ),
    ],
)
def test_proxy_protocol(url, endpoint, module, version):
    got = c(url)
    assert (got.kind, got.endpoint, got.module, got.version) == ("proxy", endpoint, module, version)
    assert got.proxy == "https://proxy.golang.org" or got.proxy == "https://goproxy.example"
    assert got.client == "go"


def test_base_path_mirror_without_env_uses_the_first_dotted_element():
    got = c("https://mirrors.aliyun.com/goproxy/github.com/pkg/errors/@v/v0.9.1.info")
    assert got.proxy == "https://mirrors.aliyun.com/goproxy"
    assert (got.module, got.version) == ("github.com/pkg/errors", "v0.9.1")


def test_base_path_with_dots_needs_the_env():
    url = "https://art.example/api/go/go.remote/github.com/pkg/errors/@v/list"
    env = GoEnv.from_mapping({"GOPROXY": "https://art.example/api/go/go.remote/,direct"})
    got = c(url, env=env)
    assert got.module == "github.com/pkg/errors"
    assert got.proxy == "https://art.example/api/go/go.remote"
    # Without the env the dotted base element is mistaken for the module's host.
    assert c(url).module == "go.remote/github.com/pkg/errors"


def test_toolchain_download():
    got = c("https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.29.0.linux-amd64.zip")
    assert (got.kind, got.endpoint, got.version) == (
        "toolchain",
        "zip",
        "v0.0.1-go1.29.0.linux-amd64",
    )


def test_sumdb_direct():
    lookup = c("https://sum.golang.org/lookup/github.com/!azure/go-autorest@v14.2.0+incompatible")
    assert (lookup.kind, lookup.endpoint) == ("sumdb", "lookup")
    assert (lookup.module, lookup.version) == (
        "github.com/Azure/go-autorest",
        "v14.2.0+incompatible",
    )
    assert lookup.sumdb == "sum.golang.org" and lookup.proxy is None
    assert c("https://sum.golang.org/latest").endpoint == "sumdb-latest"
    for tile in ("tile/8/0/x001/234", "tile/8/1/005.p/7", "tile/8/data/x003/002"):
        assert c(f"https://sum.golang.org/{tile}").endpoint == "tile", tile
    assert c("https://sum.golang.org/tile/8/0/12").kind == "other"


def test_sumdb_proxied_through_a_proxy_with_base_path():
    base = "https://mirrors.aliyun.com/goproxy/sumdb/sum.golang.org"
    supported = c(f"{base}/supported")
    assert (supported.kind, supported.endpoint, supported.sumdb) == (
        "sumdb",
        "supported",
        "sum.golang.org",
    )
    assert supported.proxy == "https://mirrors.aliyun.com/goproxy"
    lookup = c(f"{base}/lookup/golang.org/x/text@v0.14.0")
    assert (lookup.endpoint, lookup.module, lookup.version) == (
        "lookup",
        "golang.org/x/text",
        "v0.14.0",
    )
    assert c(f"{base}/tile/8/0/000").endpoint == "tile"
    assert c(f"{base}/latest").endpoint == "sumdb-latest"


def test_sumdb_at_a_custom_url_from_gosumdb():
    env = GoEnv.from_mapping(
        {
            "GOSUMDB": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://db.example/sum"
        }
    )
    assert c("https://db.example/sum/latest", env=env).endpoint == "sumdb-latest"
    assert c("https://db.example/latest").kind == "other"


def test_direct_vcs():
    goget = c("https://git.corp.example/team/lib?go-get=1")
    assert (goget.kind, goget.endpoint, goget.module) == (
        "direct",
        "go-get",
        "git.corp.example/team/lib",
    )
    refs = c("https://git.corp.example/team/lib.git/info/refs?service=git-upload-pack", headers=GIT)
    assert (refs.kind, refs.endpoint, refs.module, refs.client) == (
        "direct",
        "git-info-refs",
        "git.corp.example/team/lib",
        "git",
    )
    pack = c("https://git.corp.example/team/lib.git/git-upload-pack", method="POST", headers=GIT)
    assert pack.endpoint == "git-upload-pack"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "https://example.com/index.html",
        "not a url",
        "ftp://proxy.golang.org/rsc.io/quote/@v/list",
        "https://proxy.golang.org/@v/list",
        "https://proxy.golang.org/rsc.io/quote/@v/v1.0.0.tar",
        "http://[::1",
        "",
    ],
)
def test_anything_else_is_other(url):
    got = c(url)
    assert (got.kind, got.endpoint, got.module) == (OTHER.kind, OTHER.endpoint, None)


def test_bad_case_encoding_is_flagged_not_dropped():
    got = c("https://proxy.golang.org/github.com/Azure/x/@v/list")
    assert got.kind == "proxy" and got.module == "github.com/Azure/x" and got.bad_escape


@given(
    st.text(max_size=80),
    st.text(max_size=10),
    st.dictionaries(st.text(max_size=12), st.text(max_size=30)),
)
def test_never_raises(url, method, headers):
    assert classify_request(method, url, headers).kind in (
        "proxy",
        "sumdb",
        "direct",
        "toolchain",
        "other",
    )


@given(
    st.from_regex(
        r"https://[a-z]{1,8}\.example(/[a-zA-Z0-9!%@._~+-]{0,12}){0,6}(\?[a-z=&-]{0,12})?",
        fullmatch=True,
    )
)
def test_never_raises_on_url_shaped_input(url):
    classify_request("GET", url, GO, GoEnv.from_mapping({}))


_URL_PARTS = st.sampled_from(
    list("aZ9.-_~/:@?#%[]!;= \t\n\r") + ["localhost", ":3000", "u:pw@", "/@v/list", "?go-get=1"]
)


@settings(max_examples=500, deadline=None)
@given(
    scheme=st.sampled_from(["https://", "http://", "HTTP://", "ftp://", ""]),
    rest=st.lists(_URL_PARTS, max_size=12).map("".join),
)
def test_the_fast_split_answers_as_urlsplit_does(scheme, rest):
    # go's plain URLs skip urlsplit; a port, userinfo, brackets or escapes must not be
    # misread by the fast path (a GOPROXY on :3000 once lost its port).
    from goscope.core.traffic.classify import _split_parsed_url, _split_url

    url = scheme + rest
    try:
        expected = _split_parsed_url(url)
    except ValueError:
        return  # urlsplit refuses it: classify_request answers "other"
    assert _split_url(url) == expected


def test_a_goproxy_on_a_port_and_a_checksum_database_url_with_one():
    env = GoEnv.from_mapping(
        {
            "GOPROXY": "http://localhost:3000",
            "GOSUMDB": "sum.golang.org https://sum.example.com:8443",
        }
    )
    proxied = classify_request("GET", "http://localhost:3000/github.com/foo/bar/@v/list", env=env)
    assert (proxied.kind, proxied.module, proxied.proxy) == (
        "proxy",
        "github.com/foo/bar",
        "http://localhost:3000",
    )
    lookup = classify_request("GET", "https://sum.example.com:8443/lookup/x.io/m@v1.0.0", env=env)
    assert (lookup.kind, lookup.endpoint, lookup.module) == ("sumdb", "lookup", "x.io/m")


def _split_base_by_elements(prefix: str) -> tuple[str, str]:
    """The element walk _split_base did before it looked for the first dot (the oracle)."""
    elements = prefix.strip("/").split("/")
    for i, element in enumerate(elements):
        if "." in element:
            base = "/".join(elements[:i])
            return ("/" + base if base else ""), "/".join(elements[i:])
    return "", ""


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["/", ".", "a", "go", "x.io", "//", "%2e", "!"]), max_size=10))
def test_the_base_split_finds_the_first_dotted_element(parts):
    from goscope.core.traffic.classify import _split_base

    prefix = "".join(parts)
    base, module, guessed = _split_base("https://p.example", prefix, None)
    assert (base, module) == _split_base_by_elements(prefix) and guessed


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("https://proxy.golang.org/corp.example/x/%40v/list", "/corp.example/x/@v/list"),
        ("https://proxy.golang.org/corp.example/x/%40latest", "/corp.example/x/@latest"),
        (
            "https://proxy.golang.org/corp.example/x/@v/v1.0.0%2Einfo",
            "/corp.example/x/@v/v1.0.0.info",
        ),
        ("https://proxy.golang.org/corp.example/x%2F%40v%2Flist", "/corp.example/x/@v/list"),
        ("https://sum.golang.org/%6cookup/corp.example/x@v1.0.0", "/lookup/corp.example/x@v1.0.0"),
        ("https://sum.golang.org/lookup/corp.example/x%40v1.0.0", "/lookup/corp.example/x@v1.0.0"),
        ("https://proxy.golang.org/x.y/../corp.example/x/@v/list", "/corp.example/x/@v/list"),
        ("https://proxy.golang.org/./corp.example/x/@v/list", "/corp.example/x/@v/list"),
        ("https://proxy.golang.org/x.y/%2e%2e/corp.example/x/@v/list", "/corp.example/x/@v/list"),
    ],
)
def test_a_percent_escaped_protocol_path_is_what_the_server_reads(escaped, plain):
    # go never escapes these paths nor sends dot segments; curl or another client can, and
    # the server decodes and cleans them: classified "other", such a request of a private path was forwarded by the
    # guard and judged clean (an outside attack found it).
    host = escaped.split("/")[2]
    ua = {"user-agent": "curl/8.5.0"}
    got = classify_request("GET", escaped, ua)
    want = classify_request("GET", f"https://{host}{plain}", ua)
    assert got == want and got.kind in ("proxy", "sumdb")
    leaks = find_leaks([event(escaped)], GoEnv.from_mapping({"GOPRIVATE": "corp.example"}))
    assert [leak.module for leak in leaks] == ["corp.example/x"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", ".", "..", "x.y", "..b", ".c"]), max_size=8))
def test_remove_dot_segments_is_rfc_3986s(segments):
    # urljoin resolves a reference by RFC 3986 5.2, dot segments removed: the oracle (for
    # paths without empty segments, which urljoin drops and the RFC keeps).
    from urllib.parse import urljoin, urlsplit

    from goscope.core.traffic.classify import remove_dot_segments

    path = "/" + "/".join(segments)
    assert remove_dot_segments(path) == urlsplit(urljoin("http://h/", path)).path


def test_a_proxy_request_with_a_query_is_the_proxy_protocol_never_a_go_get_page():
    # go keeps a GOPROXY entry's query on every request (`https://proxy/?go-get=1`): it read
    # as a ?go-get=1 page, and a private path went out past the guard, exit 0.
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org/?go-get=1,direct"})
    url = "https://proxy.golang.org/git.corp.example.com/team/secret/@v/list?go-get=1"
    for known in (env, None):
        c = classify_request("GET", url, env=known)
        assert (c.kind, c.endpoint, c.module) == (
            "proxy",
            "list",
            "git.corp.example.com/team/secret",
        )
    lookup = "https://sum.golang.org/lookup/git.corp.example.com/team/secret@v1.2.0?go-get=1"
    assert classify_request("GET", lookup).kind == "sumdb"
    page = classify_request("GET", "https://git.corp.example.com/team/secret?go-get=1")
    assert (page.kind, page.endpoint) == ("direct", "go-get")


@pytest.mark.parametrize(
    ("base", "wire"),
    [
        ("/café.x", "/caf%C3%A9.x"),
        ("/a b.c", "/a%20b.c"),
        ("/a%20b.c", "/a%20b.c"),
        ("/m!x", "/m!x"),
        # path.Join in modfetch/proxy.go getBody cleans the base; a byte not UTF-8 stays itself
        ("/a//b.x", "/a/b.x"),
        ("/x/../m.x", "/m.x"),
        ("/m.x/./", "/m.x"),
        ("/a%FF b.x", "/a%FF%20b.x"),
    ],
)
def test_a_goproxy_base_path_is_matched_as_go_escapes_it_on_the_wire(base, wire):
    # go asks `https://proxy.golang.org/café.x` as `/caf%C3%A9.x/…` (url.URL.EscapedPath):
    # compared as written, the private path under it read as the module `café.x/git.corp…`.
    env = GoEnv.from_mapping({"GOPROXY": f"https://proxy.golang.org{base}|direct"})
    url = f"https://proxy.golang.org{wire}/git.corp.example.com/team/secret/@v/v1.2.0.zip"
    c = classify_request("GET", url, env=env)
    assert (c.kind, c.module, c.version) == ("proxy", "git.corp.example.com/team/secret", "v1.2.0")
    assert c.proxy == f"https://proxy.golang.org{wire}"


def test_a_redirect_to_a_proxys_module_request_is_judged_as_what_it_asks():
    # A private host's ?go-get=1 page answered 302 to a public proxy's `…/secret/@v/list`:
    # the target took the page's meaning, was never judged, and the guard let it out.
    from goscope.core.traffic.redirects import Origin, apply_origin

    page = event("https://git.corp.example.com/team/secret?go-get=1", 302)
    page.apply(classify_request("GET", page.url))
    target = event("https://proxy.golang.org/git.corp.example.com/team/secret/@v/list", 200)
    target.apply(classify_request("GET", target.url))
    apply_origin(target, Origin(page.seq, page.url, "GET", page, 0.0))
    assert (target.kind, target.module, target.redirected_from) == (
        "proxy", "git.corp.example.com/team/secret", page.seq)  # fmt: skip
    env = GoEnv.from_mapping({"GOPRIVATE": "git.corp.example.com"})
    (leak,) = find_leaks([target], env)
    assert leak.host == "proxy.golang.org" and leak.severity == "high"
    # A proxy's redirect to its storage keeps the proxy's meaning, as before.
    fetch = event("https://proxy.golang.org/example.com/m/@v/v1.0.0.zip", 302)
    fetch.apply(classify_request("GET", fetch.url))
    blob = event("https://storage.example/blobs/abc", 200)
    blob.apply(classify_request("GET", blob.url))
    apply_origin(blob, Origin(fetch.seq, fetch.url, "GET", fetch, 0.0))
    assert (blob.kind, blob.endpoint, blob.module) == ("proxy", "zip", "example.com/m")


def test_a_space_in_a_goproxy_path_is_no_url_go_rejects_but_one_in_its_host_is():
    # The doctor said go rejects `https://proxy.golang.org/a b.c`; go sends it as /a%20b.c.
    from goscope.core.gorules.goenv import proxy_url_error

    assert proxy_url_error("https://proxy.golang.org/a b.c") is None
    assert "space in its host" in (proxy_url_error("https://proxy golang.org/x") or "")
    assert "control characters" in (proxy_url_error("https://proxy.golang.org/a\tb") or "")


def test_another_clients_escaped_request_under_an_escaped_base_is_still_the_module():
    # `…/caf%C3%A9.x/corp.example.com/secret/%40v/list` is read as the server reads it,
    # decoded: then the base is `/café.x`, which must still match the entry (it read as
    # the module `café.x/corp.example.com/secret`: no leak).
    env = GoEnv.from_mapping({"GOPROXY": "https://proxy.golang.org/café.x|direct"})
    for tail in ("%40v/list", "@v/v1.0.0%2Ezip"):
        url = f"https://proxy.golang.org/caf%C3%A9.x/corp.example.com/secret/{tail}"
        c = classify_request("GET", url, env=env)
        assert (c.kind, c.module) == ("proxy", "corp.example.com/secret"), tail


def test_a_redirect_to_another_modules_request_is_judged_as_what_it_asks():
    # Through a proxy or checksum database request too: a proxied `supported` (no module)
    # or a public module's zip answered 302 to a private path's `@v/list`.
    from goscope.core.traffic.redirects import Origin, apply_origin

    env = GoEnv.from_mapping({"GOPRIVATE": "corp.example.com"})
    for origin_url in (
        "https://proxy.golang.org/sumdb/sum.golang.org/supported",
        "https://proxy.golang.org/github.com/x/y/@v/v1.0.0.zip",
    ):
        origin = event(origin_url, 302)
        origin.apply(classify_request("GET", origin.url))
        target = event("https://proxy.golang.org/corp.example.com/secret/@v/list", 200, seq=2)
        target.apply(classify_request("GET", target.url))
        apply_origin(target, Origin(origin.seq, origin.url, "GET", origin, 0.0))
        (leak,) = find_leaks([target], env)
        assert leak.module == "corp.example.com/secret" and leak.severity == "high", origin_url


def test_an_import_path_shaped_like_a_database_operation_is_still_a_go_get_page():
    for path in ("corp.example.com/sumdb/x/latest", "corp.example.com/sumdb/x/supported"):
        c = classify_request("GET", f"https://corp.example.com/{path.partition('/')[2]}?go-get=1")
        assert (c.kind, c.endpoint) == ("direct", "go-get"), path

"""The environment that makes go and git talk through goscope and trust it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from pathlib import Path

from goscope.core.home import bundle_path
from goscope.core.safe.shell import quote

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.0/8")


def proxy_url(port: int, host: str = "127.0.0.1", secret: str | None = None) -> str:
    """The proxy as a client must name it: with the run's secret as its password (go, git
    and curl send it as Proxy-Authorization; goscope refuses clients without it)."""
    address = f"[{host}]" if ":" in host else host
    return f"http://goscope:{secret}@{address}:{port}" if secret else f"http://{address}:{port}"


def proxy_env(
    port: int, home: Path, host: str = "127.0.0.1", secret: str | None = None
) -> dict[str, str]:
    """Variables to add to a go/git environment."""
    url = proxy_url(port, host, secret)
    bundle = str(bundle_path(home))
    env = {var: url for var in PROXY_VARS}
    # git asks a proxy without credentials first unless told otherwise: one 407 per
    # connection, which goscope would have to tell from a stranger's.
    env["GIT_HTTP_PROXY_AUTHMETHOD"] = "basic"
    # SSL_CERT_FILE replaces Go's roots on Linux; Debian's git (GnuTLS) reads GIT_SSL_CAINFO.
    env["SSL_CERT_FILE"] = bundle
    env["GIT_SSL_CAINFO"] = bundle
    # curl names its compiled-in CA file itself, so OpenSSL's SSL_CERT_FILE never reaches
    # it: a curl to check a proxy by hand, in a wired shell, reads CURL_CA_BUNDLE.
    env["CURL_CA_BUNDLE"] = bundle
    return env


def child_env(
    base: Mapping[str, str],
    port: int,
    home: Path,
    host: str = "127.0.0.1",
    secret: str | None = None,
) -> dict[str, str]:
    env = dict(base)
    env.update(proxy_env(port, home, host, secret))
    return env


def no_proxy_warnings(env: Mapping[str, str]) -> list[str]:
    """NO_PROXY entries that would hide traffic from goscope."""
    warnings = []
    for var in ("NO_PROXY", "no_proxy"):
        entries = [e.strip() for e in env.get(var, "").split(",") if e.strip()]
        hidden = [e for e in entries if e not in LOOPBACK]
        if "*" in hidden:
            warnings.append(f"{var}=* sends everything around goscope: unset it to see traffic")
        elif hidden:
            warnings.append(
                f"{var} hides {', '.join(hidden)} from goscope (requests to them bypass the proxy)"
            )
    return warnings


def shell_exports(variables: Mapping[str, str], shell: str = "bash") -> str:
    """`export` lines for bash and zsh, `set -gx` for fish: each value quoted for that
    shell (fish reads backslashes inside single quotes: core/safe/shell.py)."""
    if shell == "fish":
        return "\n".join(f"set -gx {k} {quote(v)};" for k, v in variables.items())
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in variables.items())


def json_exports(variables: Mapping[str, str]) -> str:
    return json.dumps(dict(variables), indent=2)

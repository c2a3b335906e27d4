"""Which hosts are public services, public code hosts, or look internal.

goscope's knowledge of the world around go, not a port of Go's rules: go itself
never asks whether a proxy is public. A leak's severity, the doctor's warnings
and route's LEAK marks all ask here.
"""

from __future__ import annotations

from functools import lru_cache

PUBLIC_SERVICES = frozenset(
    {
        "proxy.golang.org",
        "sum.golang.org",
        "sum.golang.google.cn",
        "goproxy.cn",
        "goproxy.io",
        "proxy.golang.com.cn",
        "goproxy.baidu.com",
        "goproxy.bj.bcebos.com",
        "mirrors.aliyun.com",
        "mirrors.cloud.tencent.com",
        "mirrors.tencent.com",
        "repo.huaweicloud.com",
        "mirrors.huaweicloud.com",
        "gosum.io",
        "gocenter.io",
        "athens.azurefd.net",
        "goproxy.dev",
    }
)

INTERNAL_SUFFIXES = (
    ".internal",
    ".corp",
    ".local",
    ".lan",
    ".home.arpa",
    ".intranet",
    ".private",
    ".localdomain",
    ".intra",
    ".priv",
)

# Hosts of public code: a bare one asked as a prefix probe tells nothing private.
PUBLIC_CODE_HOSTS = frozenset(
    {
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "golang.org",
        "google.golang.org",
        "gopkg.in",
        "go.googlesource.com",
        "cloud.google.com",
        "k8s.io",
        "sigs.k8s.io",
        "go.uber.org",
        "go.opentelemetry.io",
    }
)


def is_public_code_host(path: str) -> bool:
    return path.lower() in PUBLIC_CODE_HOSTS


@lru_cache(maxsize=4096)
def is_public_service(host: str) -> bool:
    host = host_key(host)
    return any(host == s or host.endswith("." + s) for s in PUBLIC_SERVICES)


def host_key(host: str) -> str:
    """A host as DNS reads it: `proxy.golang.org.` (fully qualified) is proxy.golang.org.
    go sends the dot when GOPROXY has it, and it reached the public proxy as "not public":
    its prefix probes were no leak and the guard let them out."""
    host = host.lower()
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


@lru_cache(maxsize=65536)
def looks_internal(module: str) -> bool:
    """A module host that cannot be public: no dot, or an internal-only suffix."""
    first = module.split("/", 1)[0].lower()
    return "." not in first or first.endswith(INTERNAL_SUFFIXES)

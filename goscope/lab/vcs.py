"""A git host: `?go-get=1` pages and git smart HTTP via `git http-backend`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .modules import ModuleVersion

GIT_ENV = {
    "GIT_AUTHOR_NAME": "goscope lab",
    "GIT_AUTHOR_EMAIL": "lab@goscope.invalid",
    "GIT_COMMITTER_NAME": "goscope lab",
    "GIT_COMMITTER_EMAIL": "lab@goscope.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class GitUnavailable(RuntimeError):
    pass


def git_binary() -> str:
    git = shutil.which("git")
    if git is None:
        raise GitUnavailable("the lab's VCS host needs git (apt-get install git)")
    return git


def _git(*args: str, cwd: Path) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run([git_binary(), *args], cwd=cwd, env=env, check=True, capture_output=True)


class GitHost:
    """Bare repositories for modules, one repository per module path."""

    def __init__(self, root: Path, host: str, modules: list[ModuleVersion]):
        self.root = root
        self.host = host
        self.repos: dict[str, Path] = {}
        by_path: dict[str, list[ModuleVersion]] = {}
        for mod in modules:
            if mod.path.startswith(host + "/"):
                by_path.setdefault(mod.path, []).append(mod)
        for path, versions in by_path.items():
            self.repos[path] = self._make_repo(path, versions)

    def _make_repo(self, path: str, versions: list[ModuleVersion]) -> Path:
        rel = path[len(self.host) + 1 :]
        work = self.root / "work" / rel
        work.mkdir(parents=True, exist_ok=True)
        _git("init", "-q", "-b", "main", cwd=work)
        for mod in versions:
            prefix = f"{mod.path}@{mod.version}/"
            for name, data in mod.zip_files.items():
                target = work / name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            _git("add", "-A", cwd=work)
            _git("commit", "-q", "--allow-empty", "-m", f"release {mod.version}", cwd=work)
            _git("tag", mod.version, cwd=work)
        bare = self.root / "repos" / f"{rel}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "-q", "--bare", str(work), str(bare), cwd=self.root)
        return bare

    def module_for(self, url_path: str) -> str | None:
        """The module whose repository or import path this URL path names."""
        clean = url_path.split("?", 1)[0].strip("/").removesuffix(".git")
        for module in self.repos:
            rel = module[len(self.host) + 1 :]
            if clean == rel or clean.startswith(rel + "/") or clean.startswith(rel + ".git/"):
                return module
        return None

    def go_get_page(self, module: str, mod_import: str = "") -> bytes:
        vcs, repo = ("mod", mod_import) if mod_import else ("git", f"https://{module}.git")
        return (
            "<!DOCTYPE html>\n<html><head>\n"
            f'<meta name="go-import" content="{module} {vcs} {repo}">\n'
            f"</head><body>go get {module}</body></html>\n"
        ).encode()

    def http_backend(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Run `git http-backend` as a CGI for one request."""
        env = {
            **os.environ,
            "GIT_PROJECT_ROOT": str(self.root / "repos"),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        if "git-protocol" in headers:
            env["GIT_PROTOCOL"] = headers["git-protocol"]
        if headers.get("content-encoding") == "gzip":
            env["HTTP_CONTENT_ENCODING"] = "gzip"
        out = subprocess.run(
            [git_binary(), "http-backend"], input=body, env=env, capture_output=True, check=False
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, extra = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                extra[name.strip()] = value.strip()
        return status, extra, payload

"""goscope's own settings: a flag > GOSCOPE_<OPTION> > the project's .goscope.toml > the user
file > the default; a bad file, key or value is one line naming both, exit 2; a project file
never decides where traffic goes and never holds a secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PRIVATE = "git.corp.example.com"


@pytest.fixture
def place(tmp_path):
    """A repository with a subdirectory, a user config directory, a clean environment."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "cmd" / "tool").mkdir(parents=True)
    xdg = tmp_path / "xdg"
    (xdg / "goscope").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOSCOPE_") and k != "GOPRIVATE"}
    env.update(XDG_CONFIG_HOME=str(xdg), GOSCOPE_HOME=str(tmp_path / "home"), GOENV="off")
    return repo, xdg / "goscope" / "config.toml", env


def goscope(args, cwd, env):
    return subprocess.run(
        [sys.executable, "-m", "goscope", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def config_rows(cwd, env) -> dict[str, dict]:
    """`goscope config --json`'s rows by key."""
    return {
        r["key"]: r for r in json.loads(goscope(["config", "--json"], cwd, env).stdout)["settings"]
    }


def private_of(cwd, env, *flags) -> str:
    """What `goscope route` calls the module's private pattern: the effective --private."""
    run = goscope(["route", "--json", *flags, f"{PRIVATE}/team/x@v1.0.0"], cwd, env)
    assert run.returncode in (0, 1), run.stderr  # 1: the route leaks
    leak = json.loads(run.stdout)["steps"][0]["leak"]
    return leak.split("(private: ")[1].split(")")[0] if "(private: " in leak else ""


def test_a_flag_beats_the_environment_beats_the_project_beats_the_user(place):
    """A project file's private patterns add to yours (yours named first): a clone may say
    more is private, never less."""
    repo, user, env = place
    here = repo / "cmd" / "tool"  # the project file is found from a subdirectory
    assert private_of(here, env) == ""
    (repo / ".goscope.toml").write_text(f'private = ["*.invalid", "{PRIVATE}/team"]\n')
    assert private_of(here, env) == f"{PRIVATE}/team"
    user.write_text('private = "other.example"\n')
    assert private_of(here, env) == f"{PRIVATE}/team"  # before: the project's replaced yours
    user.write_text(f'private = "{PRIVATE}"\n')
    assert private_of(here, env) == PRIVATE
    rows = config_rows(here, env)
    assert rows["private"]["value"] == f"{PRIVATE},*.invalid,{PRIVATE}/team"
    assert rows["private"]["origin"] == f"user file {user} + project file {repo / '.goscope.toml'}"
    env["GOSCOPE_PRIVATE"] = "*.corp.example.com"
    assert private_of(here, env) == "*.corp.example.com"
    assert private_of(here, env, "--private", PRIVATE) == PRIVATE
    # goscope config says each value and where it came from.
    shown = json.loads(goscope(["config", "--json"], here, env).stdout)
    rows = {r["key"]: r for r in shown["settings"]}
    assert rows["private"]["value"] == "*.corp.example.com"
    assert rows["private"]["origin"] == "GOSCOPE_PRIVATE"
    assert rows["port"]["origin"] == "default"
    assert shown["project_file"] == str(repo / ".goscope.toml")
    text = goscope(["config"], here, env).stdout
    assert f"project file: {repo / '.goscope.toml'}" in text


def test_a_setting_turned_on_is_turned_off_by_its_flag(place, tmp_path):
    repo, _, env = place
    (repo / ".goscope.toml").write_text("guard = true\n")
    for flags, guard in (([], True), (["--no-guard"], False)):
        report = tmp_path / "r.json"
        run = goscope(["run", "--headless", *flags, "--json", str(report), "--", "true"], repo, env)
        assert run.returncode == 0, run.stderr
        assert json.loads(report.read_text())["judging"]["guard"] is guard


def test_the_project_file_is_the_repositorys_own(place, tmp_path):
    """Above the repository root nothing is read: a stray file in a parent is not the
    project's."""
    repo, _, env = place
    (tmp_path / ".goscope.toml").write_text(f'private = "{PRIVATE}"\n')
    assert private_of(repo / "cmd", env) == ""
    shown = json.loads(goscope(["config", "--json"], repo, env).stdout)
    assert shown["project_file"] is None


@pytest.mark.parametrize(
    ("where", "text", "says"),
    [
        ("project", "privat = 'x'\n", "unknown key 'privat'"),
        ("project", "private = [\n", "not a TOML file"),
        ("project", "guard = 'maybe'\n", "guard must be true or false"),
        ("user", "port = 70000\n", "port must be a port number"),
        ("project", "route = 'proxy.golang.org=https://attacker.example'\n", "route is yours"),
        ("project", "upstream-proxy = 'http://u:p@proxy.example'\n", "upstream-proxy is yours"),
        ("project", "listen-host = '0.0.0.0'\n", "listen-host is yours"),
        ("project", "trusted = ['proxy.golang.org']\n", "never judged"),
        ("user", "private = " + "[" * 500 + "\n", "not a TOML file"),
        (
            "project",
            "private = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB'\n",
            "looks like it holds a secret",
        ),
        ("env", "GOSCOPE_FAIL_ON_LEAK=sometimes", "GOSCOPE_FAIL_ON_LEAK must be true or false"),
        ("env", "GOSCOPE_ROUTE=nonsense", "GOSCOPE_ROUTE"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(place, where, text, says):
    repo, user, env = place
    if where == "env":
        name, _, value = text.partition("=")
        env[name] = value
        path = None
    else:
        path = user if where == "user" else repo / ".goscope.toml"
        path.write_text(text)
    for args in (["config"], ["run", "--headless", "--", "true"]):
        run = goscope(args, repo, env)
        assert run.returncode == 2, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], run.stderr
        if path is not None:
            assert str(path) in lines[0]


def test_a_project_file_that_is_a_link_or_no_file_is_refused(place, tmp_path):
    repo, _, env = place
    secret = tmp_path / "elsewhere.toml"
    secret.write_text('private = "x"\n')
    (repo / ".goscope.toml").symlink_to(secret)
    run = goscope(["config"], repo, env)
    assert run.returncode == 2 and "a symbolic link" in run.stderr
    (repo / ".goscope.toml").unlink()
    os.mkfifo(repo / ".goscope.toml")  # would block a naive reader forever
    run = goscope(["config"], repo, env)
    assert run.returncode == 2 and "not a regular file" in run.stderr


def test_the_user_file_may_set_what_a_project_may_not(place):
    repo, user, env = place
    user.write_text(
        'route = ["proxy.golang.org=http://127.0.0.1:1"]\nupstream-proxy = "http://u:pw@corp:3128"\n'
    )
    shown = json.loads(goscope(["config", "--json"], repo, env).stdout)
    rows = {r["key"]: r for r in shown["settings"]}
    assert rows["route"]["value"] == ["proxy.golang.org=http://127.0.0.1:1"]  # a list, typed
    assert rows["upstream-proxy"]["value"] == "http://u:xxxxx@corp:3128"  # shown redacted
    # Typed as the settings are (they were all text: "false", "8080", "-" for unset).
    assert (rows["guard"]["value"], rows["port"]["value"], rows["private"]["value"]) == (
        False,
        8080,
        "",
    )
    assert rows["upstream-proxy"]["origin"] == f"user file {user}"
    assert Path(shown["user_file"]) == user


def test_a_project_file_turns_on_what_you_left_off_never_off_what_you_turned_on(place, tmp_path):
    """A pull request's .goscope.toml cannot silence the leak gate: guard and fail-on-leak
    set in your user file stay on (before, guard = false in the clone turned them off)."""
    repo, user, env = place
    user.write_text("guard = true\nfail-on-leak = true\n")
    (repo / ".goscope.toml").write_text("guard = false\nfail-on-leak = false\n")
    rows = config_rows(repo, env)
    assert (rows["guard"]["value"], rows["fail-on-leak"]["value"]) == (True, True)
    assert rows["guard"]["origin"] == f"user file {user}"
    report = tmp_path / "r.json"
    run = goscope(["run", "--headless", "--json", str(report), "--", "true"], repo, env)
    assert run.returncode == 0, run.stderr
    assert json.loads(report.read_text())["judging"]["guard"] is True
    user.write_text("")
    (repo / ".goscope.toml").write_text("guard = true\n")
    rows = config_rows(repo, env)
    assert rows["guard"]["value"] is True  # on from the project: stricter is welcome


def test_private_and_route_together_reach_every_command(place):
    """click's defaults for the bare goscope and for its `route` command share one table:
    a `route` setting replaced the route command's, so `private` was lost there (exit 0,
    no leak), and a `private` setting reached the bare goscope as its --route (exit 2)."""
    from goscope.cli import cli
    from goscope.cli.settings import load_settings

    repo, user, env = place
    user.write_text(f'private = "{PRIVATE}"\nroute = ["proxy.golang.org=http://127.0.0.1:9"]\n')
    run = goscope(["route", f"{PRIVATE}/team/x"], repo, env)
    assert run.returncode == 1 and "LEAK" in run.stdout, run.stdout + run.stderr
    user.write_text(f'private = "{PRIVATE}"\n')
    old = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        defaults = load_settings(repo).default_map()
    finally:
        os.environ.clear()
        os.environ.update(old)
    ctx = cli.make_context("goscope", ["--headless"], default_map=defaults)
    assert ctx.params["routes"] == () and ctx.params["private"] == PRIVATE


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user takes root")
def test_a_file_another_user_left_above_you_is_passed_over(tmp_path):
    """Outside a repository the walk reaches shared directories: another user's
    .goscope.toml there is not this project's and must not stop goscope for everyone below
    it (it was refused, exit 2, for every command, --version too)."""
    shared = tmp_path / "shared"
    (shared / "work").mkdir(parents=True)
    planted = shared / ".goscope.toml"
    planted.write_text('trusted = ["proxy.golang.org"]\n')
    os.chown(planted, 65534, 65534)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOSCOPE_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), GOSCOPE_HOME=str(tmp_path / "home"))
    out = goscope(["config", "--json"], shared / "work", env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["project_file"] is None

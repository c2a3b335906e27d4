"""`demo` and `lab serve`: the offline lab, in the TUI, headless, or on its own."""

from __future__ import annotations

import sys

import click
import click.shell_completion

from .options import fail, has_terminal


def complete_scenarios(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """Shell completion of the built-in scenarios' names (and .toml files of your own)."""
    from click.shell_completion import CompletionItem

    from goscope.lab.scenario import scenario_names

    names = [CompletionItem(n) for n in scenario_names() if n.startswith(incomplete)]
    return names + [CompletionItem(incomplete, type="file")] if "/" in incomplete else names


@click.command()
@click.argument("scenario", required=False, shell_complete=complete_scenarios)
@click.option("--list", "list_", is_flag=True, help="List the built-in scenarios.")
@click.option("--verbose", "-v", is_flag=True, help="Show go's -x trace too.")
@click.option("--headless", is_flag=True, help="No TUI: print the summary.")
def demo(scenario: str | None, list_: bool, verbose: bool, headless: bool) -> None:
    """Run a lab scenario offline: simulated proxies, checksum database and git host."""
    from rich.text import Text

    from goscope.core.home import HomeError
    from goscope.lab.runner import DEFAULT_SCENARIO, NoGo, demo_session, describe_scenarios
    from goscope.lab.scenario import ScenarioError
    from goscope.proxy.launcher import ProxyStartError
    from goscope.run.engine import CommandNotFound
    from goscope.term import styles
    from goscope.term.summary import stderr_console

    from . import launch

    if list_:
        for name, description in describe_scenarios():
            click.echo(f"{name:<18} {description}")
        return
    console = stderr_console()
    try:
        with demo_session(scenario or DEFAULT_SCENARIO, verbose) as session:
            first, *rest = session.intro()
            console.print(Text(first, style="bold"))
            for line in rest:
                console.print(Text(line, style=styles.MUTED))
            if not headless and not has_terminal():  # the scenario is known: say it now
                console.print(
                    Text("goscope: no terminal: running headless (--headless)", styles.WARNING)
                )
                headless = True
            if headless:
                code = launch.run_headless(session.opts, console)
            else:
                code = launch.run_live(session.opts)
    except (ScenarioError, NoGo, ProxyStartError, HomeError, CommandNotFound) as exc:
        raise fail(str(exc)) from None
    sys.exit(code)


@click.group()
def lab() -> None:
    """The offline lab on its own."""


@lab.command("serve")
@click.argument("scenario", shell_complete=complete_scenarios)
def lab_serve(scenario: str) -> None:
    """Run only the lab for SCENARIO, and print how to watch go use it (lines to paste)."""
    from goscope.lab.runner import serve_lab
    from goscope.lab.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    serve_lab(loaded, click.echo)  # stdout, unwrapped: every line works pasted

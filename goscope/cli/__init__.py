"""The goscope command line (click): one module per command family.

`live` (run, proxy, env, shell), `recordings` (open, report, diff), `audit` (audit,
export), `goconfig`
(doctor, route), `lab` (demo, lab serve), `ca`; the options they share and
their validation in `options`; the run path from options to the headless
summary or the TUI in `launch`. Errors are one line and exit status 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any

import click
from click.core import ParameterSource

from goscope import __version__

from . import addon, audit, ca, goconfig, lab, live, recordings, settings
from .options import EXIT_USAGE, proxy_options, run_flags
from .settings import load_settings


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goscope")
@run_flags
@proxy_options
@click.pass_context
def cli(ctx: click.Context, **kw: Any) -> None:
    """See, live, what the go command does on the network and why.

    Alone, goscope is the proxy and the TUI, waiting for go in another terminal
    (`goscope shell` opens one wired to it); it takes the options of `run`.

    \b
    goscope run --headless -- go mod download   run a command through goscope
    goscope shell                               a shell wired to the running goscope
    goscope env                                 exports for another terminal
    goscope report RECORDING.jsonl              the summary of a recording
    """
    if ctx.invoked_subcommand is None:
        # `goscope` alone: the proxy and the TUI, waiting for go in another terminal.
        ctx.invoke(live.run, command=(), **kw)
        return
    # These are the bare goscope's (run's) options: before another command they were
    # dropped without a word (`goscope --private corp route corp/x` judged nothing private).
    given = [
        p.opts[0]
        for p in ctx.command.params
        if p.name and ctx.get_parameter_source(p.name) == ParameterSource.COMMANDLINE
    ]
    if given:
        raise click.UsageError(
            f"{given[0]} goes after the command it is for, not before {ctx.invoked_subcommand}",
            ctx=ctx,
        )


def main(argv: list[str] | None = None) -> None:
    """Console entry point: `goscope -- CMD` is `goscope run -- CMD`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args and _only_options(args[: args.index("--")]):
        # `goscope -- CMD` and `goscope --headless --port 0 -- CMD`: options of run, then its
        # command (before, a `--` after an option made CMD a goscope command, or ran one).
        args = ["run", *args]
    try:
        # Settings from GOSCOPE_<OPTION>, the project file and the user file are click's
        # defaults: a flag still wins (cli/settings.py). A bad one is one line, exit 2.
        # (Not while the shell completes a word: a bad file must not print into it.)
        # Only a value click completes with (`bash_complete`, `zsh_source`…): an empty or
        # stray _GOSCOPE_COMPLETE dropped every setting, --guard and --fail-on-leak with them.
        shell = os.environ.get("_GOSCOPE_COMPLETE", "").partition("_")[0]
        completing = shell in ("bash", "zsh", "fish")
        defaults = None if completing else _settings(args)
        code = cli.main(args=args, prog_name="goscope", standalone_mode=False, default_map=defaults)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message(), err=True)  # `goscope lab`: its help, as it is
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        # One line, not click's three: what is wrong and where to look.
        where = exc.ctx.command_path if exc.ctx else "goscope"
        from goscope.core.safe.visible import visible

        message = visible(exc.format_message())
        click.echo(f"goscope: {message} (see {where} --help)", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("goscope: aborted", err=True)
        sys.exit(130)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno not in _OUTPUT_FULL:
            raise
        # stdout on a full disk (doctor > /dev/full): one line, never a traceback, never 0.
        _quiet_stdout()
        with contextlib.suppress(OSError):
            click.echo(f"goscope: the output could not be written ({exc.strerror})", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)


def _settings(args: list[str]) -> dict[str, Any] | None:
    """Click's defaults from the settings. A bad project file still leaves --help and
    --version working: a cloned repository's file made goscope unusable in its tree."""
    try:
        return load_settings().default_map()
    except click.ClickException:
        # Only `goscope --help|--version` and `goscope COMMAND --help`: a `-h` anywhere
        # else may be CMD's (`run -- sort -h`), and a run must never go without settings.
        help_ = ("-h", "--help")
        if (len(args) == 1 and args[0] in (*help_, "--version")) or (
            len(args) == 2 and args[0] in cli.commands and args[1] in help_
        ):
            return None
        raise


def _only_options(head: list[str]) -> bool:
    """Whether these arguments are the bare goscope's options and their values, nothing
    else: `--trusted proxy` and `--private -corp` are an option and its value, not the
    `proxy` command or another option. An eager option (--version, --help) or anything
    else leaves the line to click as it is."""
    options = {o: p for p in cli.params for o in (*p.opts, *getattr(p, "secondary_opts", ()))}
    tokens = iter(head)
    for token in tokens:
        name = token.split("=", 1)[0] if token.startswith("--") else token
        param = options.get(name)
        if param is None or param.is_eager:
            return False
        if not getattr(param, "is_flag", False) and "=" not in token:
            next(tokens, None)  # its value, whatever it looks like
    return True


_OUTPUT_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _quiet_stdout() -> None:
    """What is still buffered for stdout goes nowhere: flushed at exit into the full
    file, it would fail again and end in the interpreter's own traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


for command in (
    live.run,
    live.proxy,
    live.env,
    live.shell,
    recordings.open_,
    recordings.report,
    recordings.diff,
    audit.audit,
    audit.export,
    goconfig.route,
    goconfig.doctor,
    lab.demo,
    lab.lab,
    ca.ca,
    settings.config,
    addon.addon_path,
):
    cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()

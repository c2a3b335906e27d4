"""`python -m goscope` and the `goscope` command: the proxy first, then the CLI."""

import sys


def main() -> None:
    # Before click and goscope's CLI are imported: a run's proxy starts importing mitmproxy
    # now, in parallel with them (goscope/proxy/spawn.py).
    from goscope.proxy.spawn import spawn_for

    spawn_for(sys.argv[1:])
    from goscope.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

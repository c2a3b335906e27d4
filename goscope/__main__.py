"""`python -m goscope` and the `goscope` command: the proxy first, then the CLI."""

import sys


def main() -> None:
    # Before click and goscope's CLI are imported: a run's proxy starts importing mitmproxy
    # now, in parallel with them (goscope/proxy/spawn.py).
    from goscope.proxy.spawn import spawn_for

    spawn_for(sys.argv[1:])
    from goscope.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        exit_now(done)
        raise


def exit_now(done: SystemExit) -> None:
    """End the process without the interpreter's teardown, which clears every module's
    globals and collects what goscope imported (mitmproxy's and rich's modules, the
    secret detectors): 40-80 ms after every `goscope run`, on the path of the CI job that
    wraps go. What a normal exit does that matters still happens: the atexit handlers run
    (an unused early proxy is reaped, logging is flushed) and stdout and stderr are
    flushed. Returns (the caller exits normally) when a thread that is not a daemon still
    runs, which a normal exit would wait for, or under a tracer or profiler, which writes
    its results at a normal exit."""
    import atexit
    import contextlib
    import os
    import threading

    if sys.gettrace() is not None or sys.getprofile() is not None or "coverage" in sys.modules:
        return
    current = threading.current_thread()
    if any(t is not current and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return
    code = done.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): said on stderr, status 1 (as the interpreter does)
        if sys.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed
            continue
        try:
            stream.flush()
        except Exception:
            # A full disk or a closed pipe: the normal exit flushes again and says so, with
            # status 120 (an output written short must not end in success).
            return
    os._exit(status & 0xFF)  # as the OS truncates a normal exit status


if __name__ == "__main__":
    main()

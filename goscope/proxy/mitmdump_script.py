"""goscope as a mitmproxy script, for a mitmproxy you run yourself:

    mitmdump -s "$(goscope addon-path)" --set goscope_jsonl=events.jsonl

Options: goscope_jsonl, goscope_route (HOST=URL), goscope_environment (JSON; default:
this process's Go environment), goscope_events_socket. The addons are the package's own
(goscope.proxy.addon): the app and this script share one implementation. mitmproxy's
`hardump` is not redacted in this mode; `goscope run --har` is.

This file is loaded by path (mitmproxy's `-s`), not imported by goscope: `goscope
addon-path` prints where the installed package keeps it.
"""

from goscope.proxy.addon import goscope_addons

addons = goscope_addons()

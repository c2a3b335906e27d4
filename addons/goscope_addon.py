"""Load goscope into any mitmproxy:

    mitmdump -s addons/goscope_addon.py --set goscope_jsonl=events.jsonl

Options: goscope_jsonl, goscope_route (HOST=URL), goscope_environment
(JSON; default: this process's Go environment), goscope_events_socket.
The addons live in the installed package (goscope.proxy.addon), so the app
and this script share one implementation. (mitmproxy's own `hardump` is not
redacted in this mode: `goscope run --har` is.)
"""

from goscope.proxy.addon import goscope_addons

addons = goscope_addons()

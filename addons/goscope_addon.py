"""Load goscope into any mitmproxy:

    mitmdump -s addons/goscope_addon.py --set goscope_jsonl=events.jsonl

The class lives in the installed package (goscope.proxy.script) so the app and
this script share one implementation.
"""

from goscope.proxy.script import GoscopeScript

addons = [GoscopeScript()]

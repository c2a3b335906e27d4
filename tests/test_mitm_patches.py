"""goscope's small patches to mitmproxy (goscope/proxy/mitm_patches.py) keep its behaviour."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from mitmproxy import addonmanager, exceptions, hooks
from mitmproxy.test import taddons


def test_the_proxy_process_imports_only_the_addons_it_uses():
    code = "import sys, goscope.proxy.server as s; print(sorted(m for m in ('flask', 'ldap3', 'passlib', 'mitmproxy.addons.onboarding') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


class Recorder:
    def __init__(self, name, calls, fail=False, halt=False, sub=None):
        self.name, self.calls, self.fail, self.halt = name, calls, fail, halt
        if sub is not None:
            self.addons = [sub]

    def running(self):
        self.calls.append(self.name)
        if self.fail:
            raise ValueError("boom")
        if self.halt:
            raise exceptions.AddonHalt


def _calls(patched: bool, **flags):
    original = addonmanager.AddonManager.trigger_event
    calls: list[str] = []
    try:
        if patched:
            from goscope.proxy.mitm_patches import fast_hook_dispatch

            fast_hook_dispatch()
        with taddons.context() as tctx:
            chain = [
                Recorder("a", calls, sub=Recorder("a.child", calls)),
                Recorder("b", calls, sub=Recorder("b.child", calls), **flags),
                Recorder("c", calls),
            ]
            tctx.master.addons.add(*chain)
            asyncio.run(tctx.master.addons.trigger_event(hooks.RunningHook()))
    finally:
        addonmanager.AddonManager.trigger_event = original
    return calls


def test_the_fast_dispatch_calls_what_mitmproxy_calls_in_its_order():
    for flags in ({}, {"fail": True}, {"halt": True}):
        assert _calls(True, **flags) == _calls(False, **flags), flags
    # (an error ends that addon's turn, its children too; AddonHalt ends the event)
    assert _calls(True, fail=True) == ["a", "a.child", "b", "c"]
    assert _calls(True, halt=True) == ["a", "a.child", "b"]

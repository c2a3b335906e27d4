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


_REUSE = """
import shutil, sys
from pathlib import Path
from mitmproxy import certs
from mitmproxy.addons import tlsconfig
from mitmproxy.test import taddons
from goscope.core.home import confdir
from goscope.proxy.ca import ensure_ca
from goscope.proxy.mitm_patches import reuse_checked_ca

home, other = Path(sys.argv[1]), Path(sys.argv[2])
ensure_ca(home)
ensure_ca(other)
reuse_checked_ca()
loads = []
original = certs.load_pem_private_key
certs.load_pem_private_key = lambda *a, **k: loads.append(1) or original(*a, **k)
conf = confdir(home)
ensure_ca(home)  # as the proxy does: checked once, with its key
checked = len(loads)
tls = tlsconfig.TlsConfig()
with taddons.context(tls) as tctx:
    tctx.configure(tls, confdir=str(conf))
    print(checked, len(loads))  # mitmproxy's TlsConfig parsed no key of its own
    first = tls.certstore.default_ca.fingerprint()
    # Another CA put in its place after the check: TlsConfig loads the files it finds.
    shutil.copy(confdir(other) / "mitmproxy-ca.pem", conf / "mitmproxy-ca.pem")
    tctx.configure(tls, confdir=str(conf) + "/")
    print(len(loads), tls.certstore.default_ca.fingerprint() != first)
"""


def test_mitmproxy_uses_the_ca_store_goscope_just_checked(tmp_path):
    # Each load of the CA runs OpenSSL's RSA key check (45 ms of every proxy start); the
    # proxy checks it in ensure_ca, so mitmproxy's TlsConfig must not parse it again, and
    # must still load a CA that changed since.
    out = subprocess.run(
        [sys.executable, "-c", _REUSE, str(tmp_path / "a"), str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1", "2", "True"]

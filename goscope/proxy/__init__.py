"""Adapters around mitmproxy: the addon, the proxy process and its launcher, the CA."""

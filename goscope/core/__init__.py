"""The UI-free core of goscope.

Nothing in this package imports textual or mitmproxy (tests/test_core_contract.py
enforces it): classification, the Go environment, chains, leaks and the event
schema are plain Python that the proxy addon and the TUI adapt.
"""

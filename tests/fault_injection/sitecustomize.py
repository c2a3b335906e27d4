"""Loaded by every Python process started with this folder on PYTHONPATH (the proxy too):
breaks goscope's classifier, so the reliability tests prove traffic still flows."""

import goscope.core.traffic.classify as classify


def broken(*args, **kwargs):
    raise RuntimeError("injected fault: the classifier is broken")


classify.classify_request = broken

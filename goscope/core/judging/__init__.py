"""Verdicts on the traffic: what leaked, who sent credentials, what is misconfigured.

Leaks of private module paths (leaks.py), credentials per host (credentials.py),
the doctor's findings and rules (findings.py, doctor.py), and the judge that
runs them per sender, by each process's own Go environment (judge.py).
May import: `traffic`, `gorules`, `safe` and core's loose modules.
"""

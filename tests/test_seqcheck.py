"""SeqCheck's bitmap holds to the plain set it replaced, whatever the numbers."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from goscope.core.traffic import seqcheck
from goscope.core.traffic.seqcheck import SeqCheck


def _reference(seqs: list[int]) -> list[str]:
    """The set-based check SeqCheck replaced (its reasons, word for word)."""
    seen: set[int] = set()
    repeated = 0
    for seq in seqs:
        repeated += seq in seen
        seen.add(seq)
    if not seen:
        return []
    missing = max(seen) - len(seen)
    if missing > 0 or repeated or min(seen) != 1:
        return [
            f"the events are not numbered 1 to {max(seen)} once each "
            f"({missing} missing, {repeated} repeated): lines were removed or added after the run"
        ]
    return []


def _check(seqs: list[int]) -> list[str]:
    check = SeqCheck()
    for seq in seqs:
        check.add(SimpleNamespace(seq=seq, flags=[]))
    return check.reasons()


_SEQ = st.one_of(
    st.integers(min_value=0, max_value=300),  # the bitmap, and its growth
    st.integers(min_value=-(2**63), max_value=2**63 - 1),  # crafted: negative, far away
    st.sampled_from([0, 1, 7, 8, 4096 * 8, 4096 * 8 + 1, 2**40]),
)


@given(st.lists(_SEQ, max_size=200))
def test_the_bitmap_says_what_a_set_of_the_numbers_says(seqs):
    assert _check(seqs) == _reference(seqs)


@given(st.permutations(list(range(1, 400))))
def test_any_order_of_one_to_n_is_complete(seqs):
    assert _check(seqs) == []


def test_a_seen_number_far_away_is_a_repeat_once_the_bitmap_has_grown_over_it():
    far = 4096 * 8 + 100  # beyond the bitmap's reach while few events were seen
    seqs = [far, *range(1, 5000), far]
    assert _check(seqs) == _reference(seqs)
    assert "1 repeated" in _check(seqs)[0]


def test_memory_is_a_bit_per_number_not_a_set_entry():
    tracemalloc.start()
    check = SeqCheck()
    for seq in range(1, 200_001):
        check.add(SimpleNamespace(seq=seq, flags=[]))
    # What seqcheck.py itself holds: the process's whole count took in a lab server's
    # thread, left running by an earlier test in the same worker (a flaky 241,831 bytes).
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, seqcheck.__file__)]
    )
    tracemalloc.stop()
    size = sum(stat.size for stat in snapshot.statistics("filename"))
    assert check.reasons() == []
    assert size < 200_000  # a set of 200,000 numbers takes about 8 MB
    crafted = SeqCheck()
    crafted.add(SimpleNamespace(seq=2**62, flags=[]))  # no 2**59-byte bitmap
    assert len(crafted._bits) == 0 and crafted.bounds() == (2**62, 2**62)

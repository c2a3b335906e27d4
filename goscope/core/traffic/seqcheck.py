"""Each event's `seq`, as the proxy numbered them: 1, 2, 3… once each.

A gap or a repeat is an event missing or added after the fact, so every reader checks
them. The seqs seen are kept as a bitmap (a bit per number, an eighth of a byte, where a
set spent about 42 bytes per event of a million-event recording); a number the bitmap
would have to grow too far for (a crafted `seq` of 2**62) goes to a set instead, so
memory stays bounded by the number of events, whatever the numbers.
"""

from __future__ import annotations

from typing import Protocol

from ..vocab import ABANDONED_FLAG

SLACK_BYTES = 4096  # the bitmap may reach this far beyond 8 bytes per event


class _Numbered(Protocol):
    seq: int
    flags: list[str]


class SeqCheck:
    def __init__(self) -> None:
        self._bits = bytearray()
        self._other: set[int] = set()  # negative, or too far for the bitmap when seen
        self.events = 0
        self.repeated = 0
        self.interrupted = 0  # in flight when goscope stopped: no answer seen
        # Left by their client before the answer came (go killed while it waited): the run
        # cannot read clean on their account, even when the command exits 0 (`cmd & …`).
        self.abandoned = 0

    def add(self, event: _Numbered) -> None:
        # Per event (a million in a big recording): a test and a set of a bit; the count,
        # the lowest and the highest are read off the bitmap once, at the end.
        seq, bits = event.seq, self._bits
        self.events += 1
        byte = seq >> 3
        if seq >= 0 and byte < len(bits):
            mask = 1 << (seq & 7)
            if bits[byte] & mask or (self._other and seq in self._other):
                self.repeated += 1
            else:
                bits[byte] |= mask
        else:
            self._add_beyond(seq)
        flags = event.flags
        if flags:
            if "interrupted" in flags:
                self.interrupted += 1
            if ABANDONED_FLAG in flags:
                self.abandoned += 1

    def _add_beyond(self, seq: int) -> None:
        """A number the bitmap does not reach yet: grow it (doubling, and never past 8 bytes
        per event seen plus some slack), or keep the number in the set."""
        bits = self._bits
        byte = seq >> 3
        if seq in self._other:
            self.repeated += 1
        elif seq >= 0 and byte < (bound := 8 * self.events + SLACK_BYTES):
            bits.extend(bytes(min(max(byte + 1, 2 * len(bits)), bound) - len(bits)))
            bits[byte] |= 1 << (seq & 7)
        else:
            self._other.add(seq)

    def count(self) -> int:
        """Distinct numbers seen."""
        return int.from_bytes(self._bits, "little").bit_count() + len(self._other)

    def bounds(self) -> tuple[int, int] | None:
        """The lowest and the highest number seen."""
        found = [*self._other] if self._other else []
        bits = self._bits
        top = len(bits.rstrip(b"\x00"))
        if top:
            found.append((top - 1) * 8 + bits[top - 1].bit_length() - 1)
            first = len(bits) - len(bits.lstrip(b"\x00"))
            low_byte = bits[first]
            found.append(first * 8 + (low_byte & -low_byte).bit_length() - 1)
        return (min(found), max(found)) if found else None

    def reasons(self) -> list[str]:
        out = []
        bounds = self.bounds()
        if bounds is not None:
            low, high = bounds
            missing = high - self.count()
            if missing > 0 or self.repeated or low != 1:
                out.append(
                    f"the events are not numbered 1 to {high} once each "
                    f"({missing} missing, {self.repeated} repeated): lines were removed or "
                    "added after the run"
                )
        if self.interrupted:
            out.append(
                f"{self.interrupted} request(s) were still waiting for an answer when goscope "
                "stopped (a process the command left running?): how they ended is unknown"
            )
        if self.abandoned:
            out.append(abandoned_reason(self.abandoned))
        return out


def abandoned_reason(count: int) -> str:
    """Why a run with requests their client left is incomplete (a recording's, a live one's)."""
    return (
        f"{count} request(s) were left by their client before the answer came "
        "(go interrupted or killed): what they would have got is unknown"
    )

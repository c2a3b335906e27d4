"""App-wide messages (posting's habit: one module for them)."""

from __future__ import annotations

from textual.message import Message


class RowSelected(Message):
    """The request list's cursor moved to a row (index into the store)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class FollowChanged(Message):
    def __init__(self, follow: bool) -> None:
        super().__init__()
        self.follow = follow


class JumpToSeq(Message):
    """Show this request in the Requests tab (from a finding, leak or module)."""

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq

"""The addon's event times: iso_ms gives datetime's own text, whatever the timestamp."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from goscope.proxy.stamps import iso_ms


def reference(ts: float | None) -> str:
    return datetime.fromtimestamp(ts or time.time(), UTC).isoformat(timespec="milliseconds")


@given(
    st.one_of(
        st.floats(min_value=0, max_value=4e9),
        st.integers(0, 4_000_000_000).flatmap(
            # the edges of a millisecond and of a second, where rounding carries
            lambda s: st.sampled_from([0.0, 5e-7, 0.0005, 0.9995, 0.9999995, 1 - 5e-7]).map(
                lambda f: s + f
            )
        ),
    )
)
@example(1_733_590_590.9999995)  # rounds up into the next second, as datetime does
@example(1_733_590_590.0004995)
def test_iso_ms_is_datetimes_text(ts):
    assert iso_ms(ts) == reference(ts)


def test_the_same_second_twice_and_back():
    """The second's text is cached: going back to an earlier second is no stale answer."""
    for ts in (1_700_000_000.25, 1_700_000_000.75, 1_600_000_000.5, 1_700_000_000.125):
        assert iso_ms(ts) == reference(ts)


def test_none_is_now():
    before = reference(time.time())[:19]
    assert iso_ms(None)[:19] >= before and iso_ms(None).endswith("+00:00")

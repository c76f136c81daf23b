import logging

import pytest

from service.throttled_log import ThrottledWarnings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_warnings_is_cut_to_the_rate_and_the_rest_counted(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    warnings = ThrottledWarnings(logging.getLogger("marja.test.flood"), per_second=5, clock=clock)
    with caplog.at_level(logging.WARNING, logger="marja.test.flood"):
        for i in range(1000):
            warnings.warning("refused %d", i)
        assert [r.getMessage() for r in caplog.records] == [f"refused {i}" for i in range(5)]
        assert warnings.dropped == 995
        clock.now += 0.2  # one more warning's worth
        warnings.warning("refused %d", 1000)
    assert caplog.records[-1].getMessage() == "refused 1000 (and 995 similar warnings not logged)"
    assert warnings.dropped == 0 and len(caplog.records) == 6


def test_warnings_at_a_normal_pace_are_all_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    warnings = ThrottledWarnings(logging.getLogger("marja.test.pace"), per_second=5, clock=clock)
    with caplog.at_level(logging.WARNING, logger="marja.test.pace"):
        for i in range(50):
            warnings.warning("refused %d", i)
            clock.now += 0.25
    assert len(caplog.records) == 50 and "similar" not in caplog.text

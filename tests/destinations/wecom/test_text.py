"""Fitting text into WeCom's byte caps: at the boundary, and never splitting a character."""

from __future__ import annotations

import pytest

from junction.destinations.wecom import MARKER, fit


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_text_that_fits_exactly_is_left_alone() -> None:
    text = "a" * 2048
    assert fit(text, 2048) == text


def test_one_byte_over_is_cut_with_a_marker_within_the_cap() -> None:
    cut = fit("a" * 2049, 2048)
    assert cut.endswith(MARKER)
    assert size(cut) == 2048


def test_chinese_is_cut_on_a_character_never_inside_one() -> None:
    text = "告警" * 1000  # 3 bytes each: 6000 bytes
    cut = fit(text, 2048)
    assert size(cut) <= 2048
    body = cut.removesuffix(MARKER)
    assert set(body) <= {"告", "警"}  # no replacement character, no half character
    # As much as fits: the next whole character would overflow.
    assert size(body) + 3 > 2048 - size(MARKER)


@pytest.mark.parametrize("cap", range(2040, 2049))
def test_every_cap_near_the_boundary_yields_valid_utf8_within_it(cap: int) -> None:
    cut = fit("x告" * 700, cap)
    assert size(cut) <= cap
    cut.encode("utf-8").decode("utf-8")  # round-trips: nothing was split


def test_a_cap_smaller_than_the_marker_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="truncation marker"):
        fit("x" * 100, 3)

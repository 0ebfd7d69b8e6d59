"""Every JSON example in docs/segments.md decodes and validates; the scenarios are tested."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from junction.core.segments import Catalog, decode_condition, validate
from junction.core.traits import DEFAULT_COMPUTED_TRAITS, TraitType, decode_computed_trait

from . import test_scenarios

DOC = Path(__file__).parents[3] / "docs" / "segments.md"
EXAMPLES = re.findall(r"```json\n(.*?)```", DOC.read_text(), re.DOTALL)
CATALOG = Catalog(
    event_properties={"purchase": {"amount": TraitType.NUMBER}},
    segments={"high-spenders": decode_condition({"type": "tag", "tag": "x"})},
)
CATALOG.computed_traits_from(list(DEFAULT_COMPUTED_TRAITS))


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_is_valid(example: str) -> None:
    data = json.loads(example)
    if "kind" in data:
        decode_computed_trait(data)
    else:
        validate(decode_condition(data), CATALOG)


def test_the_documented_scenarios_are_the_tested_ones() -> None:
    documented = [json.loads(example) for example in EXAMPLES]
    for tested in (
        test_scenarios.HIGH_SPENDERS_WHO_STOPPED,
        test_scenarios.REGISTERED_A_WEEK_AGO_NO_ORDER,
        test_scenarios.RFM_CHAMPIONS_WITH_ADS_CONSENT,
    ):
        assert tested in documented

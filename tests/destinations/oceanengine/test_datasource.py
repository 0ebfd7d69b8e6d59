"""Reading ``data_source/read`` answers and naming data sources."""

from __future__ import annotations

import pytest

from junction.destinations.oceanengine.datasource import data_source_name, decode_data_sources
from junction.plugins import Retryable


def test_a_data_source_is_read_with_its_change_logs_and_audience() -> None:
    (source,) = decode_data_sources(
        {
            "data_list": [
                {
                    "data_source_id": 7000000001,  # a number where the SDKs say string
                    "name": "vips",
                    "status": 2,
                    "cover_num": 80,
                    "upload_num": 100,
                    "change_logs": [
                        {"change_log_id": 1, "action": 0, "status": 2, "file_paths": ["a"]},
                        {"change_log_id": 2, "action": 1, "status": 1, "file_paths": ["b", "c"]},
                    ],
                    "default_audience": {"custom_audience_id": "901", "name": "vips"},
                    "latest_published_changelog_id": -1,
                }
            ]
        }
    )
    assert source.id == "7000000001"
    assert source.default_audience is not None
    assert source.default_audience.custom_audience_id == 901
    change = source.change_for("c")
    assert change is not None and change.change_log_id == 2
    assert source.change_for("z") is None
    assert source.busy


def test_an_answer_of_another_shape_is_retryable() -> None:
    with pytest.raises(Retryable, match="unexpectedly"):
        decode_data_sources({"data_list": [{"name": "no id"}]})


def test_names_fit_in_thirty_characters_without_colliding() -> None:
    assert data_source_name("vips") == "vips"
    assert data_source_name("x" * 30) == "x" * 30
    long_a = data_source_name("big spenders in shanghai, last 90 days")
    long_b = data_source_name("big spenders in shanghai, last 30 days")
    assert len(long_a) == len(long_b) == 30 and long_a != long_b
    assert long_a.startswith("big spenders in shang")

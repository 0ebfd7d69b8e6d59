"""Connection secrets: sealed with AES-GCM, bound to their record, keys rotatable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from junction.core.errors import SecretKeyError
from junction.core.secrets import KEY_FILE_NAME, SecretBox, generate_key


def test_sealed_secrets_open_with_the_same_key_and_context(tmp_path: Path) -> None:
    box = SecretBox.from_settings(generate_key(), tmp_path)
    sealed = box.seal({"token": "s3cr3t-value"}, context="connection:1")
    assert b"s3cr3t-value" not in sealed
    assert box.open(sealed, context="connection:1") == {"token": "s3cr3t-value"}


def test_each_seal_uses_a_fresh_nonce(tmp_path: Path) -> None:
    box = SecretBox.from_settings(generate_key(), tmp_path)
    assert box.seal({"a": "b"}, context="c") != box.seal({"a": "b"}, context="c")


def test_secrets_moved_to_another_record_do_not_open(tmp_path: Path) -> None:
    box = SecretBox.from_settings(generate_key(), tmp_path)
    sealed = box.seal({"token": "x"}, context="connection:1")
    with pytest.raises(SecretKeyError, match="altered or belong to another record"):
        box.open(sealed, context="connection:2")


def test_a_flipped_bit_is_detected(tmp_path: Path) -> None:
    box = SecretBox.from_settings(generate_key(), tmp_path)
    sealed = bytearray(box.seal({"token": "x"}, context="c"))
    sealed[-1] ^= 1
    with pytest.raises(SecretKeyError, match="failed authentication"):
        box.open(bytes(sealed), context="c")


def test_wrong_key_names_both_fingerprints(tmp_path: Path) -> None:
    old = SecretBox.from_settings(generate_key(), tmp_path)
    sealed = old.seal({"token": "x"}, context="c")
    new = SecretBox.from_settings(generate_key(), tmp_path)
    with pytest.raises(SecretKeyError) as caught:
        new.open(sealed, context="c")
    assert old.key_id in str(caught.value)
    assert new.key_id in str(caught.value)


def test_rotation_new_key_seals_old_key_still_opens(tmp_path: Path) -> None:
    old_key, new_key = generate_key(), generate_key()
    sealed_before = SecretBox.from_settings(old_key, tmp_path).seal({"t": "1"}, context="c")
    rotated = SecretBox.from_settings(f"{new_key},{old_key}", tmp_path)
    assert rotated.open(sealed_before, context="c") == {"t": "1"}
    assert rotated.key_id == SecretBox.from_settings(new_key, tmp_path).key_id


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64 !!", "base64|32 bytes"), ("c2hvcnQ=", "must decode to 32 bytes")],
)
def test_malformed_key_is_a_clear_error(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(SecretKeyError, match=message):
        SecretBox.from_settings(value, tmp_path)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    first = SecretBox.from_settings("", tmp_path)
    key_file = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = SecretBox.from_settings("", tmp_path)
    assert first.key_id == second.key_id
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    SecretBox.from_settings("", tmp_path)
    os.chmod(tmp_path / KEY_FILE_NAME, 0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        SecretBox.from_settings("", tmp_path)

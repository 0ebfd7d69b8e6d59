"""Ingestion: write keys, clock-skew correction and the group-commit writer.

:class:`HubIngest` is what receivers get injected as ``ingest`` (the
:class:`junction.plugins.receiver.Ingest` protocol); the rest is its machinery.
"""

from junction.core.ingest.service import HubIngest
from junction.core.ingest.timing import Timing, correct_timing
from junction.core.ingest.write_keys import (
    WriteKeyAuthenticator,
    hash_write_key,
    issue_write_key,
    new_write_key,
    revoke_write_keys,
)
from junction.core.ingest.writer import GroupCommitWriter, WriterStopped

__all__ = [
    "GroupCommitWriter",
    "HubIngest",
    "Timing",
    "WriteKeyAuthenticator",
    "WriterStopped",
    "correct_timing",
    "hash_write_key",
    "issue_write_key",
    "new_write_key",
    "revoke_write_keys",
]

"""The public plugin API: everything a plugin author imports comes from here.

from junction.plugins import hookimpl, Source, ConnectorSpec, Kind, Capability
"""

from __future__ import annotations

import pluggy

from junction.plugins.connector import AudienceDestination, Connector, Messenger, Source
from junction.plugins.context import ConnectorContext
from junction.plugins.errors import (
    AuthFailed,
    ConfigInvalid,
    OutcomeUnknown,
    PermanentFailure,
    PluginError,
    RateLimited,
    Retryable,
)
from junction.plugins.records import (
    Audience,
    AudienceRequest,
    Checkpoint,
    ConsentRecord,
    Content,
    EventRecord,
    ItemRecord,
    Member,
    Message,
    Notification,
    OrderRecord,
    PreparedIdentifier,
    ProfileRecord,
    Recipient,
    Record,
    ReplaceSession,
)
from junction.plugins.results import (
    BatchResult,
    CheckResult,
    JobState,
    JobStatus,
    PendingJob,
    RecordResult,
    RecordStatus,
)
from junction.plugins.spec import (
    Capability,
    ConnectorSpec,
    Hashing,
    IdentifierRule,
    Kind,
    Limits,
    secret,
)
from junction.plugins.tokens import AccessToken, MemoryTokenStore, TokenStore

hookimpl = pluggy.HookimplMarker("junction")

__all__ = [
    "AccessToken",
    "Audience",
    "AudienceDestination",
    "AudienceRequest",
    "AuthFailed",
    "BatchResult",
    "Capability",
    "CheckResult",
    "Checkpoint",
    "ConfigInvalid",
    "Connector",
    "ConnectorContext",
    "ConnectorSpec",
    "ConsentRecord",
    "Content",
    "EventRecord",
    "Hashing",
    "IdentifierRule",
    "ItemRecord",
    "JobState",
    "JobStatus",
    "Kind",
    "Limits",
    "Member",
    "MemoryTokenStore",
    "Message",
    "Messenger",
    "Notification",
    "OrderRecord",
    "OutcomeUnknown",
    "PendingJob",
    "PermanentFailure",
    "PluginError",
    "PreparedIdentifier",
    "ProfileRecord",
    "RateLimited",
    "Recipient",
    "Record",
    "RecordResult",
    "RecordStatus",
    "ReplaceSession",
    "Retryable",
    "Source",
    "TokenStore",
    "hookimpl",
    "secret",
]

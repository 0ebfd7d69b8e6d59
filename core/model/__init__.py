"""The canonical model: events, identifiers, profiles, orders and consent.

Everything here is a msgspec Struct or a function over them; nothing does I/O. Every
validation failure raises :class:`ModelError`.
"""

from .consent import (
    PURPOSE_PATTERN,
    Consent,
    ConsentEvidence,
    ConsentStatus,
    Purpose,
    PurposeName,
    check_purpose,
)
from .errors import ModelError
from .events import Event, EventType, decode_batch, decode_event
from .identifiers import (
    MAX_IDENTIFIER_LENGTH,
    PII_TYPES,
    SCOPED_TYPES,
    Identifier,
    IdentifierType,
    extract_identifiers,
)
from .orders import CURRENCY_PATTERN, Order, OrderItem, OrderStatus
from .profiles import Profile, merge_traits

__all__ = [
    "CURRENCY_PATTERN",
    "MAX_IDENTIFIER_LENGTH",
    "PII_TYPES",
    "PURPOSE_PATTERN",
    "SCOPED_TYPES",
    "Consent",
    "ConsentEvidence",
    "ConsentStatus",
    "Event",
    "EventType",
    "Identifier",
    "IdentifierType",
    "ModelError",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Profile",
    "Purpose",
    "PurposeName",
    "check_purpose",
    "decode_batch",
    "decode_event",
    "extract_identifiers",
    "merge_traits",
]

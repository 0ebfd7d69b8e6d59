"""Messages to people: templates, and (in :mod:`.sends`) triggered message syncs."""

from junction.core.messaging.preview import PreviewRequest, preview_message
from junction.core.messaging.templates import (
    MessageTemplate,
    Rendered,
    TemplateError,
    preview,
    render,
    validate,
)

__all__ = [
    "MessageTemplate",
    "PreviewRequest",
    "Rendered",
    "TemplateError",
    "preview",
    "preview_message",
    "render",
    "validate",
]

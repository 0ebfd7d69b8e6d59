"""``GET``/``POST /hooks/email/unsubscribe?t=TOKEN``: the one-click unsubscribe link.

Every message's ``List-Unsubscribe`` header carries this link (RFC 8058). Mailbox
providers unsubscribe by POSTing ``List-Unsubscribe=One-Click`` to it, with no cookie
and no other interaction; a person who opens it in a browser gets a page whose button
sends the same POST. A ``GET`` never unsubscribes: link scanners and previews fetch
URLs on their own.

Steps, each refusal a small page saying what went wrong (never a 500):

1. the token is read without trust to learn its connection (400 if malformed);
2. the enabled ``email`` connection of that name is opened (404 if there is none,
   503 if it can't be opened now);
3. the token's HMAC is verified with the connection's ``unsubscribe_secret`` (403)
   and its age with ``unsubscribe_link_days`` (400 once expired);
4. ``GET``: the confirmation page. ``POST``: the body must hold
   ``List-Unsubscribe=One-Click`` (400); the withdrawal of the token's purpose is
   stored for the address through ``ingest`` (503 if storing failed) and the answer
   is 200. Repeating it is harmless: the person stays withdrawn.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.exceptions import ClientException
from litestar.params import Parameter

from junction.core.model import (
    Consent,
    ConsentEvidence,
    ConsentStatus,
    Identifier,
    IdentifierType,
    ModelError,
)
from junction.destinations.email.config import EmailConfig
from junction.destinations.email.connector import UNSUBSCRIBE_PATH
from junction.destinations.email.pages import confirmation, done, problem
from junction.destinations.email.tokens import (
    TokenError,
    TokenExpired,
    TokenForged,
    Unsubscribe,
    peek,
    verify,
)
from junction.plugins import ConsentRecord
from junction.plugins.receiver import Ingest, IngestParam, SourceRef

__all__ = ["EVIDENCE_SOURCE", "ROUTES"]

log = logging.getLogger("junction.destinations.email")

#: ``evidence.source`` of the withdrawals this route records.
EVIDENCE_SOURCE = "email_unsubscribe_link"


class Refusal(Exception):
    """A request the route refuses, with the page that says why."""

    def __init__(self, status: int, title: str, explanation: str) -> None:
        super().__init__(explanation)
        self.status = status
        self.title = title
        self.explanation = explanation

    def page(self) -> Response[str]:
        return problem(self.status, self.title, self.explanation)


_NOT_OURS = (
    "This unsubscribe link is damaged or incomplete. Copy the whole link from the "
    "e-mail, or reply to the sender to ask them to stop."
)


@route(UNSUBSCRIBE_PATH, http_method=[HttpMethod.GET, HttpMethod.POST], name="email.unsubscribe")
async def unsubscribe(
    request: Request[Any, Any, Any],
    ingest: IngestParam,
    t: Annotated[
        str, Parameter(description="The signed token from the message's List-Unsubscribe.")
    ] = "",
) -> Response[str]:
    """One-click unsubscribe (RFC 8058): GET shows a confirmation, POST unsubscribes.

    Auth: the link's own HMAC signature, by the connection's unsubscribe secret.
    """
    token = t
    try:
        ref, claims = await _verified(ingest, token)
        if request.method == HttpMethod.GET:
            return confirmation(claims.email, token)
        await _require_one_click(request)
        await _withdraw(ingest, ref, claims, request.headers.get("user-agent"))
    except Refusal as refusal:
        if refusal.status >= 500:
            log.error("email unsubscribe: %s", refusal.explanation)
        else:
            log.info("email unsubscribe refused (%d): %s", refusal.status, refusal.explanation)
        return refusal.page()
    return done(claims.email)


async def _verified(ingest: Ingest, token: str) -> tuple[SourceRef, Unsubscribe]:
    """The connection the token belongs to, and its claims once verified."""
    if not token:
        raise Refusal(400, "Incomplete link", _NOT_OURS)
    try:
        claimed = peek(token)
    except TokenError:
        raise Refusal(400, "Invalid link", _NOT_OURS) from None
    try:
        found = await ingest.connection("email", claimed.connection)
    except Exception as exc:  # the database or the secret key: not the person's fault
        log.error("opening email connection %r failed: %r", claimed.connection, exc)
        raise Refusal(
            503, "Please try again", "We could not process the request just now."
        ) from None
    if found is None:
        raise Refusal(
            404,
            "Mailing not found",
            "The mailing this link belongs to is no longer active, so it sends nothing "
            "more. Reply to the sender if you still receive their e-mail.",
        )
    ref, ctx = found
    config: EmailConfig = ctx.config
    try:
        claims = verify(
            config.unsubscribe_secret,
            token,
            now=datetime.now(UTC),
            max_age=config.link_validity,
        )
    except TokenForged:
        raise Refusal(403, "Invalid link", _NOT_OURS) from None
    except TokenExpired:
        raise Refusal(
            400,
            "Link expired",
            "This unsubscribe link has expired. Use the link in a recent e-mail from the "
            "same sender, or reply to them to ask them to stop.",
        ) from None
    except TokenError:
        raise Refusal(400, "Invalid link", _NOT_OURS) from None
    return ref, claims


async def _require_one_click(request: Request[Any, Any, Any]) -> None:
    """Refuse a POST whose body is not ``List-Unsubscribe=One-Click``.

    RFC 8058 allows it urlencoded or as multipart/form-data; a sender that gives no
    form content type is still understood when the body is exactly that text.
    """
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form()
        except ClientException:
            form = None
        one_click = form is not None and form.get("List-Unsubscribe") == "One-Click"
    else:
        one_click = (await request.body()).strip() == b"List-Unsubscribe=One-Click"
    if not one_click:
        raise Refusal(
            400,
            "Nothing was changed",
            "An unsubscribe request must send List-Unsubscribe=One-Click (RFC 8058).",
        )


async def _withdraw(
    ingest: Ingest, ref: SourceRef, claims: Unsubscribe, user_agent: str | None
) -> None:
    try:
        record = ConsentRecord(
            identifiers=(Identifier(type=IdentifierType.EMAIL, value=claims.email),),
            consent=Consent(
                purpose=claims.purpose,
                status=ConsentStatus.WITHDRAWN,
                # The client address is left out: for one-click it is the mailbox
                # provider's server, which proves nothing about the person.
                evidence=ConsentEvidence(
                    source=EVIDENCE_SOURCE,
                    recorded_at=datetime.now(UTC),
                    user_agent=user_agent[:512] if user_agent else None,
                ),
            ),
        )
        await ingest.write_records(ref, [record])
    except ModelError as exc:
        # Signed by us yet not storable: say so, without a stack trace for the person.
        log.error("an unsubscribe for connection %s is not storable: %s", ref.name, exc.path)
        raise Refusal(400, "Invalid link", _NOT_OURS) from None
    except Exception as exc:
        log.error("storing an unsubscribe for connection %s failed: %r", ref.name, exc)
        raise Refusal(
            503,
            "Please try again",
            "We could not record the request just now; nothing was changed. Please try "
            "again in a few minutes.",
        ) from None


ROUTES: list[Any] = [unsubscribe]

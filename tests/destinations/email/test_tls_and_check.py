"""``check`` and the session's security: STARTTLS, implicit TLS, trust, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from junction.destinations.email import Email
from junction.plugins import AuthFailed, ConfigInvalid, Message

from ...fakes.smtp import make_certificate
from .common import PASSWORD, USERNAME, context, recipient
from .conftest import StartSmtp


async def test_check_over_starttls_with_auth(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(security="starttls")
    result = await Email().check(context(smtp))
    assert result.ok, result.message
    assert "STARTTLS" in result.message and USERNAME in result.message
    assert PASSWORD not in result.message
    assert smtp.logins == [USERNAME] and smtp.received == []


async def test_mail_goes_over_implicit_tls(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(security="tls")
    assert (await Email().check(context(smtp))).ok
    await Email().send(context(smtp), Message(), [recipient("k", "ada@example.org")])
    assert smtp.received[0].tls and smtp.received[0].user == USERNAME


async def test_mail_goes_over_starttls(smtp) -> None:  # type: ignore[no-untyped-def]
    await Email().send(context(smtp), Message(), [recipient("k", "ada@example.org")])
    assert smtp.received[0].tls and smtp.received[0].user == USERNAME


async def test_a_local_relay_without_tls_or_auth(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(security="none", auth=False)
    result = await Email().check(context(smtp))
    assert result.ok and "no TLS" in result.message
    await Email().send(context(smtp), Message(), [recipient("k", "ada@example.org")])
    assert not smtp.received[0].tls


async def test_check_refuses_a_wrong_password(start_smtp: StartSmtp) -> None:
    smtp = start_smtp(password="the-server-knows-another")
    with pytest.raises(AuthFailed, match="535") as caught:
        await Email().check(context(smtp, password=PASSWORD))
    assert PASSWORD not in caught.value.message


async def test_an_untrusted_certificate_is_refused(start_smtp: StartSmtp, tmp_path: Path) -> None:
    smtp = start_smtp(security="tls")
    stranger = make_certificate(tmp_path / "other")  # trusting another CA only
    with pytest.raises(ConfigInvalid, match="does not verify") as caught:
        await Email().check(context(smtp, ca_file=str(stranger.cert_file)))
    assert caught.value.field == "ca_file"
    assert smtp.logins == []  # the password never went to an unverified server


async def test_starttls_not_offered_is_refused_rather_than_sent_in_clear(
    start_smtp: StartSmtp,
) -> None:
    smtp = start_smtp(security="none", auth=False)
    ctx = context(smtp, security="starttls", username=USERNAME, password=PASSWORD)
    with pytest.raises(ConfigInvalid, match="does not offer STARTTLS") as caught:
        await Email().check(ctx)
    assert caught.value.field == "security"
    assert smtp.logins == []


async def test_a_missing_ca_file_is_a_config_error(smtp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigInvalid, match="ca_file") as caught:
        await Email().check(context(smtp, ca_file=str(tmp_path / "nope.pem")))
    assert caught.value.field == "ca_file"


async def test_check_on_an_unreachable_server_fails_cleanly(start_smtp: StartSmtp) -> None:
    smtp = start_smtp()
    smtp.stop()
    result = await Email().check(context(smtp))
    assert not result.ok and "127.0.0.1" in result.message


async def test_credentials_for_a_server_without_auth_are_a_config_error(
    start_smtp: StartSmtp,
) -> None:
    smtp = start_smtp(security="none", auth=False)
    ctx = context(smtp, username=USERNAME, password=PASSWORD)
    with pytest.raises(ConfigInvalid, match="offers no AUTH") as caught:
        await Email().check(ctx)
    assert caught.value.field == "username"

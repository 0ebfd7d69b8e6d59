"""A strict fake of Google's Customer Match APIs, with fault injection.

It enforces shared/platforms/google-ads.md: the OAuth token endpoint (refresh-token and
service-account JWT grants), the Data Manager API (DM-3..DM-12: ``userLists``,
``audienceMembers:ingest`` / ``:remove``, ``requestStatus:retrieve``) and the Google Ads
API offline user data jobs (§3, §7: GAQL search, ``userLists:mutate``,
``offlineUserDataJobs:create`` / ``:addOperations`` / ``:run``).

What it refuses, as Google does (or, where Google accepts and silently fails to match,
as a contract test needs it to): a missing or expired bearer token or one of the wrong
scope (401), a missing developer token or manager header (Ads API), a wrong
``loginAccount``; bodies off the schema; more than 10,000 members or 10 identifiers per
member (Data Manager) or 100,000 identifiers per request (Ads API); digests that are not
64 lowercase hex characters (an unhashed e-mail, an MD5, upper case); and, for people in
``directory``, a digest of a wrongly normalized value (a phone without "+", an e-mail
not lower-cased, Gmail dots kept), which Google would take but never match.

State for assertions: ``lists`` (id → attributes), ``members`` (list id → set of
``(platform key, digest)``), ``requests`` (every call), ``statuses`` (request id →
processing state), ``jobs`` (Ads API jobs).

Faults (``fail(kind, times, on=path substring)``): ``429`` (per-minute quota),
``429_daily``, ``500``, ``503``, ``timeout``, ``expire_token`` (every issued token
becomes invalid: the next call gets 401), ``concurrent`` (409 ABORTED /
CONCURRENT_MODIFICATION). ``refuse[digest] = reason`` makes Google refuse one value.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TOKEN_HOST = "oauth2.googleapis.com"
DM_HOST = "datamanager.googleapis.com"
ADS_HOST = "googleads.googleapis.com"
DM_SCOPE = "https://www.googleapis.com/auth/datamanager"
ADS_SCOPE = "https://www.googleapis.com/auth/adwords"

MAX_MEMBERS = 10_000
MAX_DM_IDENTIFIERS = 10
MAX_ADS_IDENTIFIERS = 20
MAX_ADS_REQUEST_IDENTIFIERS = 100_000
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DIGITS = re.compile(r"^\d+$")
_CONSENT = {"CONSENT_GRANTED", "CONSENT_DENIED", "CONSENT_STATUS_UNSPECIFIED"}
_ADS_CONSENT = {"GRANTED", "DENIED", "UNSPECIFIED", "UNKNOWN"}
ADS_FAILURE = "type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure"
_ACCOUNT_HEADER = re.compile(r"^accountTypes/GOOGLE_ADS/accounts/(\d+)$")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Problem(Exception):
    """A Google error answer."""

    def __init__(
        self,
        http: int,
        status: str,
        reason: str,
        message: str = "",
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        metadata: dict[str, str] | None = None,
        ads: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or reason)
        self.http, self.status, self.reason = http, status, reason
        self.message = message or reason
        self.field, self.headers, self.metadata, self.ads = field, headers or {}, metadata, ads

    def body(self) -> dict[str, Any]:
        if not self.status:  # the OAuth token endpoint's own error shape (RFC 6749 §5.2)
            return {"error": self.reason, "error_description": self.message}
        details: list[dict[str, Any]] = []
        if self.ads is not None:
            error: dict[str, Any] = {"errorCode": self.ads, "message": self.message}
            if self.field:
                error["location"] = {"fieldPathElements": [{"fieldName": self.field}]}
            details.append(
                {
                    "@type": ADS_FAILURE,
                    "errors": [error],
                    "requestId": uuid.uuid4().hex,
                }
            )
        else:
            if self.field:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {
                                "field": self.field,
                                "description": self.message,
                                "reason": self.reason,
                            }
                        ],
                    }
                )
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": self.reason,
                    "domain": "datamanager.googleapis.com",
                    "metadata": self.metadata or {},
                }
            )
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RequestInfo",
                    "requestId": uuid.uuid4().hex,
                }
            )
        return {
            "error": {
                "code": self.http,
                "status": self.status,
                "message": self.message,
                "details": details,
            }
        }


def bad(reason: str, message: str, field: str | None = None, **kw: Any) -> Problem:
    return Problem(400, "INVALID_ARGUMENT", reason, message, field=field, **kw)


@dataclass
class Fault:
    kind: str
    times: int
    on: str
    #: Matching calls let through before the fault starts.
    after: int = 0


@dataclass
class Job:
    name: str
    user_list: str
    consent: dict[str, str]
    status: str = "PENDING"
    operations: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    polls: int = 0


class FakeGoogleAds:
    """Google's token endpoint, Data Manager and Google Ads API for one customer."""

    def __init__(
        self,
        *,
        customer_id: str = "1234567890",
        login_customer_id: str | None = None,
        client_id: str = "client-id.apps.googleusercontent.com",
        client_secret: str = "oauth-client-secret-123",
        refresh_token: str = "1//refresh-token-abcdef",
        developer_token: str = "dev-token-abcdef123",
        service_account: tuple[str, rsa.RSAPublicKey] | None = None,
        processing_polls: int = 1,
        directory: Iterable[tuple[str, str]] = (),
        token_lifetime: int = 3599,
    ) -> None:
        self.customer_id = customer_id
        self.login_customer_id = login_customer_id
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token, self.developer_token = refresh_token, developer_token
        self.service_account = service_account
        self.processing_polls = processing_polls
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, str] = {}  # valid token → scope
        self.token_requests = 0
        self._ids = itertools.count(9_000_000_001)
        self.lists: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[tuple[str, str]]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, Job] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.faults: list[Fault] = []
        self.faults_injected: list[str] = []
        self.refuse: dict[str, str] = {}
        self.processing_errors: dict[str, int] = {}
        self.wrong_forms = self._wrong_forms(directory)

    # --- test hooks --------------------------------------------------------------------

    def fail(self, kind: str, times: int = 1, *, on: str = "", after: int = 0) -> None:
        """``times`` calls whose path contains ``on`` fail as ``kind``, once ``after``
        such calls went through."""
        self.faults.append(Fault(kind, times, on, after))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def create_list(self, name: str, key_type: str = "CONTACT_ID") -> str:
        list_id = str(next(self._ids))
        self.lists[list_id] = {"displayName": name, "uploadKeyType": key_type, "description": ""}
        self.members[list_id] = set()
        return list_id

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @staticmethod
    def _wrong_forms(directory: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Digests of wrong normalizations of known people → what was wrong."""
        wrong: dict[str, str] = {}
        for kind, raw in directory:
            if kind == "phone":
                digits = raw.lstrip("+")
                wrong[sha256(digits)] = "phone hashed without the leading '+' (not E.164)"
                wrong[sha256(raw.replace("+", "00", 1))] = "phone hashed with 00 (not E.164)"
            elif kind == "email":
                local, _, domain = raw.partition("@")
                if raw != raw.upper():
                    wrong[sha256(raw.upper())] = "e-mail hashed without lower-casing"
                wrong[sha256(f" {raw} ")] = "e-mail hashed without trimming"
                if domain in ("gmail.com", "googlemail.com") and "." in local:
                    dotted = f"{local}.x@{domain}".replace(".x@", "@")
                    wrong[sha256(dotted)] = "Gmail address hashed with its dots"
        return wrong

    # --- dispatch ----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        body: Any = None
        if request.content:
            if host == TOKEN_HOST:
                body = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            else:
                try:
                    body = json.loads(request.content)
                except ValueError:
                    return self._answer(bad("INVALID_FORMAT", "body is not JSON"))
        self.requests.append((request.method, f"{host}{path}", body))
        try:
            self._inject(request, path)
            if host == TOKEN_HOST and path == "/token":
                return httpx.Response(200, json=self._token(body or {}))
            if host == DM_HOST:
                return httpx.Response(200, json=self._data_manager(request, path, body))
            if host == ADS_HOST:
                return httpx.Response(200, json=self._ads(request, path, body))
            raise Problem(404, "NOT_FOUND", "NOT_FOUND", f"no such endpoint {host}{path}")
        except Problem as problem:
            return self._answer(problem)

    def _answer(self, problem: Problem) -> httpx.Response:
        return httpx.Response(problem.http, json=problem.body(), headers=problem.headers)

    def _inject(self, request: httpx.Request, path: str) -> None:
        ready = None
        for fault in self.faults:
            if fault.times <= 0 or fault.on not in path:
                continue
            if fault.after > 0:
                fault.after -= 1  # every matching call counts, whichever fault fires
            elif ready is None:
                ready = fault
        if ready is not None:
            ready.times -= 1
            self.faults_injected.append(ready.kind)
            self._raise_fault(ready.kind, request, path)

    def _raise_fault(self, kind: str, request: httpx.Request, path: str) -> None:
        ads = request.url.host == ADS_HOST
        if kind == "timeout":
            raise httpx.ReadTimeout("injected timeout", request=request)
        if kind == "expire_token":
            self.expire_tokens()
            return  # the call itself now meets the expired token
        if kind in ("429", "429_daily"):
            unit = "Day" if kind == "429_daily" else "Minute"
            raise Problem(
                429,
                "RESOURCE_EXHAUSTED",
                "RESOURCE_TEMPORARILY_EXHAUSTED" if ads else "RESOURCE_EXHAUSTED",
                "quota exceeded",
                metadata={"quota_limit": f"IngestionMutateRequestsPer{unit}PerProject"},
                ads={"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"} if ads else None,
            )
        if kind == "concurrent":
            raise Problem(
                409,
                "ABORTED",
                "CONCURRENT_MODIFICATION",
                "another request is modifying this list",
                ads={"databaseError": "CONCURRENT_MODIFICATION"} if ads else None,
            )
        http = int(kind)
        status = {500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}[http]
        raise Problem(http, status, "INTERNAL_ERROR" if http == 500 else status, "try again")

    # --- OAuth -------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        self.token_requests += 1
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if (form.get("client_id"), form.get("client_secret")) != (
                self.client_id,
                self.client_secret,
            ):
                raise Problem(401, "", "invalid_client", "The OAuth client was not found.")
            if form.get("refresh_token") != self.refresh_token:
                raise Problem(400, "", "invalid_grant", "Token has been expired or revoked.")
            scope = f"{DM_SCOPE} {ADS_SCOPE}"
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            scope = self._verify_assertion(form.get("assertion", ""))
        else:
            raise Problem(400, "", "unsupported_grant_type", f"grant_type {grant!r}")
        token = f"ya29.fake-{uuid.uuid4().hex}"
        self.tokens[token] = scope
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def _verify_assertion(self, assertion: str) -> str:
        if self.service_account is None:
            raise Problem(400, "", "invalid_grant", "no service account here")
        email, public = self.service_account
        try:
            header, claims, signature = assertion.split(".")
            public.verify(
                _unb64(signature),
                f"{header}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            payload = json.loads(_unb64(claims))
            assert json.loads(_unb64(header))["alg"] == "RS256"
        except (ValueError, KeyError, AssertionError, InvalidSignature):
            raise Problem(400, "", "invalid_grant", "Invalid JWT Signature.") from None
        if payload.get("iss") != email or payload.get("aud") != f"https://{TOKEN_HOST}/token":
            raise Problem(400, "", "invalid_grant", "Invalid JWT: iss or aud")
        if not payload.get("iat") <= time.time() + 60 < payload.get("exp") + 60:
            raise Problem(400, "", "invalid_grant", "Invalid JWT: expired")
        return str(payload.get("scope", ""))

    def _bearer(self, request: httpx.Request, scope: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        if not header.startswith("Bearer ") or token not in self.tokens:
            raise Problem(
                401,
                "UNAUTHENTICATED",
                "ACCESS_TOKEN_EXPIRED" if token else "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
                ads={"authenticationError": "OAUTH_TOKEN_INVALID"}
                if request.url.host == ADS_HOST
                else None,
            )
        if scope not in self.tokens[token].split():
            raise Problem(403, "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "scope")

    # --- Data Manager ------------------------------------------------------------------

    def _data_manager(self, request: httpx.Request, path: str, body: Any) -> dict[str, Any]:
        self._bearer(request, DM_SCOPE)
        method = request.method
        if path == "/v1/audienceMembers:ingest" and method == "POST":
            return self._members(body, remove=False)
        if path == "/v1/audienceMembers:remove" and method == "POST":
            return self._members(body, remove=True)
        if path == "/v1/requestStatus:retrieve" and method == "GET":
            return self._status(request.url.params.get("requestId", ""))
        match = re.fullmatch(
            r"/v1/accountTypes/([A-Z_]+)/accounts/(\d+)/userLists(?:/(\d+))?", path
        )
        if match:
            self._list_account(request, match.group(1), match.group(2))
            if match.group(3):
                return self._get_list(match.group(3)) if method == "GET" else self._nope(path)
            if method == "GET":
                return self._list_lists(request.url.params)
            if method == "POST":
                return self._create_list(body)
        return self._nope(path)

    @staticmethod
    def _nope(path: str) -> dict[str, Any]:
        raise Problem(404, "NOT_FOUND", "NOT_FOUND", f"no such method {path}")

    def _list_account(self, request: httpx.Request, kind: str, account: str) -> None:
        if kind != "GOOGLE_ADS" or account != self.customer_id:
            raise Problem(403, "PERMISSION_DENIED", "PERMISSION_DENIED", "caller can't see account")
        login = request.headers.get("login-account")
        if login is not None and not _ACCOUNT_HEADER.match(login):
            raise bad("INVALID_FORMAT", "login-account must be accountTypes/{TYPE}/accounts/{ID}")
        self._check_login(_ACCOUNT_HEADER.match(login).group(1) if login else None)

    def _check_login(self, login: str | None) -> None:
        # The credentials' user sits on the manager: without naming it, no access.
        if login != self.login_customer_id:
            raise Problem(
                403,
                "PERMISSION_DENIED",
                "OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH",
                "the caller reaches the operating account only through its manager",
            )

    def _get_list(self, list_id: str) -> dict[str, Any]:
        if list_id not in self.lists:
            raise Problem(404, "NOT_FOUND", "NOT_FOUND", f"user list {list_id} not found")
        return self._user_list(list_id)

    def _user_list(self, list_id: str) -> dict[str, Any]:
        item = self.lists[list_id]
        return {
            "name": f"accountTypes/GOOGLE_ADS/accounts/{self.customer_id}/userLists/{list_id}",
            "id": list_id,
            "displayName": item["displayName"],
            "description": item["description"],
            "membershipStatus": "OPEN",
            "ingestedUserListInfo": {"uploadKeyTypes": [item["uploadKeyType"]]},
            # Matched users, hours behind the uploads: 0 for a fresh list, as on Google.
            "sizeInfo": {"displayNetworkMembersCount": "0", "searchNetworkMembersCount": "0"},
        }

    def _list_lists(self, params: httpx.QueryParams) -> dict[str, Any]:
        if "pageSize" in params and not 1 <= int(params["pageSize"]) <= 1000:
            raise bad("INVALID_ARGUMENT", "pageSize must be 1..1000", "page_size")
        size = int(params.get("pageSize", 50))
        ids = sorted(self.lists)
        wanted = params.get("filter")
        if wanted:
            match = re.fullmatch(r'display_name = "((?:[^"\\]|\\.)*)"', wanted)
            if not match:
                raise bad("INVALID_ARGUMENT", f"unsupported filter {wanted!r}", "filter")
            name = re.sub(r"\\(.)", r"\1", match.group(1))
            ids = [i for i in ids if self.lists[i]["displayName"] == name]
        start = int(params.get("pageToken") or 0)
        page = ids[start : start + size]
        answer: dict[str, Any] = {"userLists": [self._user_list(i) for i in page]}
        if start + size < len(ids):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _create_list(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("displayName"):
            raise bad("REQUIRED_FIELD_MISSING", "displayName is required", "display_name")
        if any(item["displayName"] == body["displayName"] for item in self.lists.values()):
            raise Problem(409, "ALREADY_EXISTS", "DISPLAY_NAME_ALREADY_USED", "name in use")
        duration = str(body.get("membershipDuration", "46656000s"))
        seconds = int(duration[:-1]) if re.fullmatch(r"\d+s", duration) else -1
        if seconds <= 0 or seconds % 86_400:
            raise bad("INVALID_ARGUMENT", "membershipDuration: whole days", "membership_duration")
        if seconds > 540 * 86_400:
            raise bad("MEMBERSHIP_DURATION_TOO_LONG", "at most 540 days", "membership_duration")
        info = body.get("ingestedUserListInfo") or {}
        keys = info.get("uploadKeyTypes")
        if (
            not isinstance(keys, list)
            or len(keys) != 1
            or keys[0] not in ("CONTACT_ID", "MOBILE_ID")
        ):
            raise bad("INVALID_ARGUMENT", "exactly one upload key type", "upload_key_types")
        if keys[0] == "MOBILE_ID" and not (info.get("mobileIdInfo") or {}).get("appId"):
            raise bad("REQUIRED_FIELD_MISSING", "mobileIdInfo.appId", "mobile_id_info")
        list_id = self.create_list(body["displayName"], keys[0])
        self.lists[list_id]["description"] = str(body.get("description", ""))
        return self._user_list(list_id)

    def _members(self, body: Any, *, remove: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad("INVALID_FORMAT", "body must be an object")
        if remove and ("consent" in body or "termsOfService" in body):
            field_name = "consent" if "consent" in body else "termsOfService"
            raise bad("INVALID_ARGUMENT", f'Unknown name "{field_name}"', field_name)
        list_ids = self._destinations(body.get("destinations"))
        members = body.get("audienceMembers")
        if not isinstance(members, list) or not members:
            raise bad("REQUIRED_FIELD_MISSING", "audienceMembers is required", "audience_members")
        if len(members) > MAX_MEMBERS:
            raise bad("TOO_MANY_AUDIENCE_MEMBERS", "at most 10000", "audience_members")
        if not remove and (body.get("termsOfService") or {}).get(
            "customerMatchTermsOfServiceStatus"
        ) not in ("ACCEPTED", 1):
            raise bad("TERMS_AND_CONDITIONS_NOT_SIGNED", "accept the terms", "terms_of_service")
        if "consent" in body:
            self._consent(body["consent"], "consent")
        pairs = [self._member(m, i, body) for i, m in enumerate(members)]
        kinds = {kind == "mobileId" for entry in pairs for kind, _ in entry}
        if len(kinds) > 1:
            raise bad("MULTIPLE_DATA_TYPES_NOT_ALLOWED", "one data type", "audience_members")
        for list_id in list_ids:
            expected = "MOBILE_ID" if kinds == {True} else "CONTACT_ID"
            if self.lists[list_id]["uploadKeyType"] != expected:
                raise bad("INVALID_USER_LIST_TYPE", f"list {list_id} takes {expected}?")
            for entry in pairs:
                if remove:
                    self.members[list_id].difference_update(entry)
                else:
                    self.members[list_id].update(entry)
        request_id = str(uuid.uuid4())
        self.statuses[request_id] = {
            "lists": list_ids,
            "polls": 0,
            "records": len(members),
            "identifiers": sum(len(e) for e in pairs),
            "remove": remove,
        }
        return {"requestId": request_id}

    def _destinations(self, destinations: Any) -> list[str]:
        if not isinstance(destinations, list) or not 1 <= len(destinations) <= 10:
            raise bad("TOO_MANY_DESTINATIONS", "1 to 10 destinations", "destinations")
        ids = []
        for i, item in enumerate(destinations):
            where = f"destinations[{i}]"
            account = (item or {}).get("operatingAccount") or {}
            if account.get("accountType") not in ("GOOGLE_ADS", 1):
                raise bad("REQUIRED_FIELD_MISSING", "accountType", f"{where}.operating_account")
            if not _DIGITS.match(str(account.get("accountId", ""))):
                raise bad("INVALID_FORMAT", "accountId: digits", f"{where}.operating_account")
            if account["accountId"] != self.customer_id:
                raise Problem(403, "PERMISSION_DENIED", "PERMISSION_DENIED", "no access")
            login = (item.get("loginAccount") or {}).get("accountId")
            self._check_login(login)
            list_id = str(item.get("productDestinationId", ""))
            if not _DIGITS.match(list_id) or list_id not in self.lists:
                raise bad(
                    "INVALID_USER_LIST_ID",
                    f"no list {list_id!r}",
                    f"{where}.product_destination_id",
                )
            ids.append(list_id)
        return ids

    def _consent(self, consent: Any, where: str) -> None:
        if not isinstance(consent, dict) or set(consent) - {"adUserData", "adPersonalization"}:
            raise bad("INVALID_ARGUMENT", "consent has adUserData / adPersonalization", where)
        for key, value in consent.items():
            if value not in _CONSENT:
                raise bad("INVALID_ENUM_VALUE", f"{key}={value!r}", f"{where}.{key}")

    def _member(self, member: Any, index: int, body: dict[str, Any]) -> set[tuple[str, str]]:
        where = f"audience_members[{index}]"
        if not isinstance(member, dict):
            raise bad("INVALID_AUDIENCE_MEMBER", "member must be an object", where)
        data = [k for k in ("userData", "mobileData", "compositeData", "userIdData") if k in member]
        if len(data) != 1:
            raise bad("INVALID_AUDIENCE_MEMBER", "exactly one data field", where)
        if "consent" in member:
            self._consent(member["consent"], f"{where}.consent")
        if data[0] == "mobileData":
            ids = (member["mobileData"] or {}).get("mobileIds")
            if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_DM_IDENTIFIERS:
                raise bad("TOO_MANY_USER_IDENTIFIERS", "1 to 10 mobile ids", f"{where}.mobile_data")
            return {("mobileId", str(v)) for v in ids}
        if data[0] != "userData":
            raise bad("INVALID_AUDIENCE_MEMBER", f"{data[0]} is not for Customer Match", where)
        if body.get("encoding") not in ("HEX", 1):
            raise bad("INVALID_FORMAT", "encoding HEX is required with userData", "encoding")
        identifiers = (member["userData"] or {}).get("userIdentifiers")
        if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= MAX_DM_IDENTIFIERS:
            raise bad("TOO_MANY_USER_IDENTIFIERS", "1 to 10 identifiers", f"{where}.user_data")
        found = set()
        for j, identifier in enumerate(identifiers):
            spot = f"{where}.user_data.user_identifiers[{j}]"
            if not isinstance(identifier, dict) or len(identifier) != 1:
                raise bad("INVALID_FORMAT", "exactly one key per identifier", spot)
            ((key, value),) = identifier.items()
            if key == "address":
                self._address(value, spot)
                found.add(("address", json.dumps(value, sort_keys=True)))
                continue
            if key not in ("emailAddress", "phoneNumber"):
                raise bad("INVALID_FORMAT", f"unknown identifier {key}", spot)
            self._digest(value, f"{spot}.{key}")
            found.add((key, value))
        return found

    def _digest(self, value: Any, spot: str, *, ads: bool = False) -> None:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]*", value):
            raise bad("INVALID_HEX_ENCODING", "not lowercase hex", spot)
        if not _HEX64.match(value):
            raise bad("INVALID_SHA256_FORMAT", "not a SHA-256 digest (64 hex digits)", spot)
        if value in self.wrong_forms:
            raise bad("INVALID_FORMAT", self.wrong_forms[value], spot)
        if value in self.refuse:
            raise bad("INVALID_FORMAT", self.refuse[value], spot)

    def _address(self, value: Any, spot: str) -> None:
        if not isinstance(value, dict) or {
            "givenName",
            "familyName",
            "regionCode",
            "postalCode",
        } - set(value):
            raise bad("REQUIRED_FIELD_MISSING", "address needs all four fields", spot)
        self._digest(value["givenName"], f"{spot}.given_name")
        self._digest(value["familyName"], f"{spot}.family_name")

    def _status(self, request_id: str) -> dict[str, Any]:
        status = self.statuses.get(request_id)
        if status is None:
            raise bad("INVALID_REQUEST_ID", f"unknown request {request_id!r}", "request_id")
        status["polls"] += 1
        entries = []
        for list_id in status["lists"]:
            entry: dict[str, Any] = {
                "destination": {
                    "operatingAccount": {
                        "accountType": "GOOGLE_ADS",
                        "accountId": self.customer_id,
                    },
                    "productDestinationId": list_id,
                },
                "requestStatus": "PROCESSING",
            }
            if status["polls"] > self.processing_polls:
                counts = {
                    "recordCount": str(status["records"]),
                    "userIdentifierCount": str(status["identifiers"]),
                }
                if status["remove"]:
                    entry["audienceMembersRemovalStatus"] = {"userDataRemovalStatus": counts}
                else:
                    counts["uploadMatchRateRange"] = "MATCH_RATE_RANGE_51_TO_60"
                    entry["audienceMembersIngestionStatus"] = {"userDataIngestionStatus": counts}
                entry["requestStatus"] = "SUCCESS"
                if self.processing_errors:
                    failed = sum(self.processing_errors.values()) >= status["records"]
                    entry["requestStatus"] = "FAILED" if failed else "PARTIAL_SUCCESS"
                    entry["errorInfo"] = {
                        "errorCounts": [
                            {"recordCount": str(n), "reason": f"PROCESSING_ERROR_REASON_{r}"}
                            for r, n in self.processing_errors.items()
                        ]
                    }
            entries.append(entry)
        return {"requestStatusPerDestination": entries}

    # --- Google Ads API ----------------------------------------------------------------

    def _ads(self, request: httpx.Request, path: str, body: Any) -> dict[str, Any]:
        self._bearer(request, ADS_SCOPE)
        if request.headers.get("developer-token") != self.developer_token:
            raise Problem(
                401,
                "UNAUTHENTICATED",
                "DEVELOPER_TOKEN_INVALID",
                "developer-token header missing or invalid",
                ads={"authenticationError": "DEVELOPER_TOKEN_INVALID"},
            )
        match = re.fullmatch(r"/v\d+/customers/(\d+)/(.+)", path)
        if request.method != "POST" or not match:
            raise Problem(404, "NOT_FOUND", "NOT_FOUND", f"no such method {path}")
        if (
            match.group(1) != self.customer_id
            or request.headers.get("login-customer-id") != self.login_customer_id
        ):
            raise Problem(
                403,
                "PERMISSION_DENIED",
                "USER_PERMISSION_DENIED",
                "the caller can't reach this customer (check login-customer-id)",
                ads={"authorizationError": "USER_PERMISSION_DENIED"},
            )
        method = match.group(2)
        if not isinstance(body, dict):
            raise bad(
                "INVALID_ARGUMENT", "body must be an object", ads={"requestError": "INVALID_INPUT"}
            )
        if method == "googleAds:search":
            return self._search(body)
        if method == "userLists:mutate":
            return self._mutate_lists(body)
        if method == "offlineUserDataJobs:create":
            return self._create_job(body)
        job_match = re.fullmatch(r"offlineUserDataJobs/(\d+):(addOperations|run)", method)
        if job_match:
            name = f"customers/{self.customer_id}/offlineUserDataJobs/{job_match.group(1)}"
            job = self.jobs.get(name)
            if job is None:
                raise Problem(404, "NOT_FOUND", "NOT_FOUND", f"no job {name}")
            if job_match.group(2) == "run":
                return self._run(job)
            return self._add_operations(job, body)
        raise Problem(404, "NOT_FOUND", "NOT_FOUND", f"no such method {method}")

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        if "pageSize" in body:
            raise bad(
                "PAGE_SIZE_NOT_SUPPORTED",
                "pageSize",
                ads={"requestError": "PAGE_SIZE_NOT_SUPPORTED"},
            )
        query = str(body.get("query", ""))
        if re.fullmatch(r"SELECT customer\.id FROM customer LIMIT 1", query):
            return {"results": [{"customer": {"id": self.customer_id}}]}
        match = re.search(
            r"FROM user_list WHERE user_list\.(name|id) = (?:'((?:[^'\\]|\\.)*)'|(\d+))$", query
        )
        if match:
            if match.group(1) == "name":
                name = re.sub(r"\\(.)", r"\1", match.group(2) or "")
                ids = [i for i, item in self.lists.items() if item["displayName"] == name]
            else:
                ids = [match.group(3)] if match.group(3) in self.lists else []
            rows = [
                {
                    "userList": {
                        "resourceName": f"customers/{self.customer_id}/userLists/{i}",
                        "id": i,
                        "name": self.lists[i]["displayName"],
                    }
                }
                for i in ids
            ]
            return {"results": rows} if rows else {}
        match = re.search(
            r"FROM offline_user_data_job WHERE offline_user_data_job\.resource_name = '([^']+)'$",
            query,
        )
        if match:
            job = self.jobs.get(match.group(1))
            if job is None:
                return {}
            if job.status == "RUNNING":
                job.polls += 1
                if job.polls >= self.processing_polls:
                    job.status = "SUCCESS"
            row = {
                "resourceName": job.name,
                "id": job.name.rsplit("/", 1)[-1],
                "status": job.status,
            }
            if job.status == "SUCCESS":
                row["operationMetadata"] = {"matchRateRange": "MATCH_RANGE_51_TO_60"}
            return {"results": [{"offlineUserDataJob": row}]}
        raise bad(
            "QUERY_ERROR",
            f"the fake can't answer {query!r}",
            ads={"queryError": "UNEXPECTED_INPUT"},
        )

    def _mutate_lists(self, body: dict[str, Any]) -> dict[str, Any]:
        operations = body.get("operations")
        if (
            not isinstance(operations, list)
            or len(operations) != 1
            or "create" not in operations[0]
        ):
            raise bad("INVALID_ARGUMENT", "one create", ads={"mutateError": "INVALID_OPERATION"})
        create = operations[0]["create"]
        crm = create.get("crmBasedUserList") or {}
        if crm.get("uploadKeyType") not in ("CONTACT_INFO", "MOBILE_ADVERTISING_ID", "CRM_ID"):
            raise bad(
                "INVALID_ARGUMENT",
                "uploadKeyType",
                ads={"userListError": "INVALID_UPLOAD_KEY_TYPE"},
            )
        if crm["uploadKeyType"] == "MOBILE_ADVERTISING_ID" and not crm.get("appId"):
            raise bad("INVALID_ARGUMENT", "appId", ads={"userListError": "APP_ID_NOT_SET"})
        life = int(create.get("membershipLifeSpan", "540"))
        if not (0 <= life <= 540 or life == 10000):
            raise bad(
                "INVALID_ARGUMENT",
                "membershipLifeSpan",
                ads={"userListError": "INVALID_MEMBERSHIP_LIFE_SPAN"},
            )
        if any(item["displayName"] == create.get("name") for item in self.lists.values()):
            raise bad("DUPLICATE_NAME", "name in use", ads={"userListError": "DUPLICATE_NAME"})
        key = "MOBILE_ID" if crm["uploadKeyType"] == "MOBILE_ADVERTISING_ID" else "CONTACT_ID"
        list_id = self.create_list(str(create.get("name")), key)
        return {"results": [{"resourceName": f"customers/{self.customer_id}/userLists/{list_id}"}]}

    def _create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        job = body.get("job") or {}
        if job.get("type") != "CUSTOMER_MATCH_USER_LIST":
            raise bad(
                "INVALID_ARGUMENT", "type", ads={"offlineUserDataJobError": "INVALID_JOB_TYPE"}
            )
        metadata = job.get("customerMatchUserListMetadata") or {}
        resource = str(metadata.get("userList", ""))
        match = re.fullmatch(rf"customers/{self.customer_id}/userLists/(\d+)", resource)
        if not match or match.group(1) not in self.lists:
            raise bad(
                "INVALID_USER_LIST_ID",
                resource,
                ads={"offlineUserDataJobError": "INVALID_USER_LIST_ID"},
            )
        consent = metadata.get("consent") or {}
        if (
            set(consent) - {"adUserData", "adPersonalization"}
            or set(consent.values()) - _ADS_CONSENT
        ):
            raise bad("INVALID_ARGUMENT", "consent", ads={"fieldError": "INVALID_VALUE"})
        name = f"customers/{self.customer_id}/offlineUserDataJobs/{next(self._ids)}"
        self.jobs[name] = Job(name=name, user_list=match.group(1), consent=consent)
        return {"resourceName": name}

    def _add_operations(self, job: Job, body: dict[str, Any]) -> dict[str, Any]:
        if job.status != "PENDING":
            raise Problem(
                400,
                "FAILED_PRECONDITION",
                "JOB_ALREADY_STARTED",
                "job already run",
                ads={"offlineUserDataJobError": "JOB_ALREADY_STARTED"},
            )
        if body.get("enablePartialFailure") is not True:
            raise bad(
                "INVALID_ARGUMENT",
                "the hub always sends enablePartialFailure",
                ads={"requestError": "INVALID_INPUT"},
            )
        operations = body.get("operations")
        if not isinstance(operations, list) or not operations:
            raise bad(
                "INVALID_ARGUMENT", "operations", ads={"requestError": "REQUIRED_FIELD_MISSING"}
            )
        total = sum(
            len((next(iter(o.values())) or {}).get("userIdentifiers", []))
            for o in operations
            if isinstance(o, dict) and o
        )
        if total > MAX_ADS_REQUEST_IDENTIFIERS:
            raise bad(
                "TOO_MANY_USER_IDENTIFIERS",
                "over 100,000 identifiers",
                ads={"offlineUserDataJobError": "TOO_MANY_USER_IDENTIFIERS"},
            )
        errors = []
        verbs = {verb for verb, _ in job.operations}
        for index, operation in enumerate(operations):
            try:
                verb, pairs = self._ads_operation(operation)
                if verbs and verb not in verbs:
                    raise _ads_bad("CONFLICTING_OPERATION")
                verbs.add(verb)
                job.operations.append((verb, pairs))
            except Problem as problem:
                errors.append(
                    {
                        "errorCode": problem.ads,
                        "message": problem.message,
                        "location": {
                            "fieldPathElements": [{"fieldName": "operations", "index": index}]
                        },
                    }
                )
        if not errors:
            return {}
        return {
            "partialFailureError": {
                "code": 3,
                "message": "partial failure",
                "details": [
                    {
                        "@type": ADS_FAILURE,
                        "errors": errors,
                    }
                ],
            }
        }

    def _ads_operation(self, operation: Any) -> tuple[str, list[tuple[str, str]]]:
        if not isinstance(operation, dict) or len(operation) != 1:
            raise _ads_bad("INVALID_OPERATION")
        ((verb, data),) = operation.items()
        if verb not in ("create", "remove"):
            raise _ads_bad("INVALID_OPERATION")
        identifiers = (data or {}).get("userIdentifiers")
        if not isinstance(identifiers, list) or not identifiers:
            raise _ads_bad("MISSING_USER_IDENTIFIER")
        if len(identifiers) > MAX_ADS_IDENTIFIERS:
            raise _ads_bad("TOO_MANY_USER_IDENTIFIERS")
        if "consent" in data:
            raise _ads_bad("OPERATION_LEVEL_CONSENT_PROVIDED")
        pairs = []
        for identifier in identifiers:
            if not isinstance(identifier, dict) or len(identifier) != 1:
                raise _ads_bad("INVALID_USER_IDENTIFIER")
            ((key, value),) = identifier.items()
            if key == "mobileId":
                pairs.append(("mobileId", str(value)))
                continue
            if key not in ("hashedEmail", "hashedPhoneNumber"):
                raise _ads_bad("INVALID_USER_IDENTIFIER")
            try:
                self._digest(value, key)
            except Problem:
                raise _ads_bad("INVALID_SHA256_FORMAT") from None
            pairs.append(({"hashedEmail": "emailAddress"}.get(key, "phoneNumber"), value))
        return verb, pairs

    def _run(self, job: Job) -> dict[str, Any]:
        if job.status != "PENDING":
            raise Problem(
                400,
                "FAILED_PRECONDITION",
                "JOB_ALREADY_STARTED",
                "job already run",
                ads={"offlineUserDataJobError": "JOB_ALREADY_STARTED"},
            )
        job.status = "RUNNING"
        members = self.members[job.user_list]
        for verb, pairs in job.operations:
            if verb == "create":
                members.update(pairs)
            else:
                members.difference_update(pairs)
        return {"name": f"customers/{self.customer_id}/operations/{uuid.uuid4().hex}"}


def _ads_bad(code: str) -> Problem:
    return bad(code, code, ads={"offlineUserDataJobError": code})


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

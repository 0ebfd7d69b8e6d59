"""Uploading a batch as ID files (``custom_audience_files/add``) and following them.

A batch becomes one file per ``user_id_type``; each upload is processed by Tencent
asynchronously (``PENDING`` → ``PROCESSING`` → ``SUCCESS`` | ``ERROR``), so the batch
returns a :class:`PendingJob` listing its files and :func:`poll` reads their status with
``custom_audience_files/get``. Files are sets of ids, so sending one again (after a
timeout, or a retried batch) changes nothing: uploads are idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from junction.destinations.tencent_ads.client import Api
from junction.destinations.tencent_ads.files import IdFile, encode, plan_files
from junction.plugins import (
    Audience,
    BatchResult,
    JobState,
    JobStatus,
    Member,
    PendingJob,
    PermanentFailure,
    RecordResult,
    RecordStatus,
    Retryable,
)

__all__ = ["poll", "upload"]

Operation = Literal["APPEND", "REDUCE"]
_DONE = {"SUCCESS", "ERROR"}


async def upload(
    api: Api, audience: Audience, members: Sequence[Member], operation: Operation
) -> BatchResult:
    """Upload ``members`` to ``audience`` as ``operation``; one result per member.

    A file Tencent refuses as sent (an invalid parameter or file) rejects the members
    that had no identifier in any accepted file, with Tencent's code; members no file
    could take are rejected with the reason. Transient failures and auth errors raise:
    the engine resends the whole batch, which is safe.
    """
    files, unusable = plan_files(members)
    refused: dict[str, tuple[str, str | None]] = {}
    uploaded: list[dict[str, Any]] = []
    for file in files:
        for chunk in file.chunks():
            keys = file.keys(chunk)
            try:
                file_id = await _send(api, audience, file, chunk, operation)
            except PermanentFailure as exc:
                refused.update(dict.fromkeys(keys, (exc.message, exc.code)))
                continue
            uploaded.append({"id": file_id, "type": file.user_id_type, "keys": keys})
    placed = {key for item in uploaded for key in item["keys"]}
    results = tuple(_result(m.key, placed, refused, unusable) for m in members)
    job = None
    if uploaded:
        settled = [_as_data(r) for r in results if r.status is not RecordStatus.ACCEPTED]
        job = PendingJob(
            id="+".join(str(item["id"]) for item in uploaded),
            data={"audience_id": audience.id, "files": uploaded, "settled": settled},
        )
    accepted = sum(1 for r in results if r.status is RecordStatus.ACCEPTED)
    return BatchResult(results=results, job=job, received=accepted, invalid=len(results) - accepted)


async def _send(
    api: Api, audience: Audience, file: IdFile, lines: list[str], operation: Operation
) -> int:
    """Upload ``lines`` of ``file``; Tencent's id for the upload."""
    encoded = encode(lines)
    fields = {
        "account_id": str(api.ctx.config.account_id),
        "audience_id": audience.id,
        "user_id_type": file.user_id_type,
        "operation_type": operation,
    }
    if file.open_app_id:
        fields["open_app_id"] = file.open_app_id
    data = await api.post_multipart(
        "custom_audience_files/add",
        fields,
        (encoded.filename, encoded.content, encoded.content_type),
    )
    file_id = data.get("custom_audience_file_id")
    if not isinstance(file_id, int):
        raise Retryable("Tencent Ads accepted a file but returned no file id")
    api.ctx.log.info(
        "uploaded %s file %s: %s lines of %s (%s bytes)",
        operation,
        file_id,
        encoded.lines,
        file.user_id_type,
        len(encoded.content),
    )
    return file_id


def _result(
    key: str,
    placed: set[str],
    refused: dict[str, tuple[str, str | None]],
    unusable: dict[str, str],
) -> RecordResult:
    if key in placed:
        return RecordResult(key=key, status=RecordStatus.ACCEPTED)
    if key in refused:
        reason, code = refused[key]
        return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason, code=code)
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=unusable.get(key))


def _as_data(result: RecordResult) -> dict[str, Any]:
    """A result as JSON-safe data (job data must survive JSON)."""
    return {
        "key": result.key,
        "status": str(result.status),
        "reason": result.reason,
        "code": result.code,
    }


async def poll(api: Api, job: PendingJob) -> JobStatus:
    """The state of the job's files: pending until every file is done.

    When every file succeeded, ``results`` is empty: the batch's own results stand.
    When some failed, members found only in failed files are rejected with Tencent's
    ``process_code``. ``matched`` is Tencent's ``user_count`` summed over the files.
    Transient errors while polling leave the job pending (the engine polls again)
    rather than failing it: a resent batch would upload every file again.
    """
    files: list[dict[str, Any]] = job.data["files"]
    states: dict[int, dict[str, Any] | None] = {}
    try:
        for item in files:
            states[item["id"]] = await _file(api, job.data["audience_id"], item["id"])
    except Retryable as exc:
        return JobStatus(state=JobState.PENDING, message=f"status unavailable: {exc.message}")
    except PermanentFailure as exc:
        return JobStatus(state=JobState.FAILED, message=exc.message)
    lost = [fid for fid, state in states.items() if state is None]
    if lost:
        # Nothing to wait for: the engine sends the batch again.
        return JobStatus(state=JobState.FAILED, message=f"Tencent Ads lost the files {lost}")
    done = {fid: state for fid, state in states.items() if state is not None}
    waiting = [fid for fid, state in done.items() if state.get("process_status") not in _DONE]
    if waiting:
        return JobStatus(state=JobState.PENDING, message=f"files {waiting} still processing")
    return _finished(files, done, job.data.get("settled", []))


def _finished(
    files: list[dict[str, Any]], states: dict[int, dict[str, Any]], settled: list[dict[str, Any]]
) -> JobStatus:
    matched = sum(int(s.get("user_count") or 0) for s in states.values())
    invalid = sum(
        int(s.get("line_count") or 0) - int(s.get("valid_line_count") or 0) for s in states.values()
    )
    summary = f"Tencent matched {matched} users; {invalid} lines were not valid ids"
    failed = {fid for fid, s in states.items() if s.get("process_status") == "ERROR"}
    if not failed:
        return JobStatus(state=JobState.SUCCEEDED, matched=matched, message=summary)
    return JobStatus(
        state=JobState.SUCCEEDED,
        matched=matched,
        message=f"{summary}; files {sorted(failed)} failed",
        results=_after_errors(files, states, failed, settled),
    )


async def _file(api: Api, audience_id: str, file_id: int) -> dict[str, Any] | None:
    data = await api.get(
        "custom_audience_files/get",
        {
            "account_id": api.ctx.config.account_id,
            "audience_id": audience_id,
            "custom_audience_file_id": file_id,
        },
    )
    for item in data.get("list") or []:
        if isinstance(item, dict) and item.get("custom_audience_file_id") == file_id:
            return item
    return None


def _after_errors(
    files: list[dict[str, Any]],
    states: dict[int, dict[str, Any]],
    failed: set[int],
    settled: list[dict[str, Any]],
) -> tuple[RecordResult, ...]:
    """Every key of the batch: accepted in any good file, else rejected by its file."""
    good = {key for item in files if item["id"] not in failed for key in item["keys"]}
    results = {
        r["key"]: RecordResult(
            key=r["key"], status=RecordStatus(r["status"]), reason=r["reason"], code=r["code"]
        )
        for r in settled
    }
    for item in files:
        state = states[item["id"]]
        for key in item["keys"]:
            if key in good:
                results[key] = RecordResult(key=key, status=RecordStatus.ACCEPTED)
            elif key not in results:
                reason = f"Tencent could not process file {item['id']} ({item['type']}): " + str(
                    state.get("error_message") or "no message"
                )
                code = state.get("process_code")
                results[key] = RecordResult(
                    key=key,
                    status=RecordStatus.REJECTED,
                    reason=reason,
                    code=None if code is None else str(code),
                )
    return tuple(results.values())

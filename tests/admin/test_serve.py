"""`junction serve` on a fresh home: migrates, creates the key file, answers /health."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

JUNCTION = Path(sys.executable).parent / "junction"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_embedded_hub_from_nothing(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "JUNCTION_HOME": str(tmp_path / "var"), "JUNCTION_PORT": str(port)}
    env.pop("JUNCTION_DATABASE_URL", None)
    env.pop("JUNCTION_SECRET_KEY", None)
    process = subprocess.Popen(
        [str(JUNCTION), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
        assert response.json()["database"] == "sqlite"
        key_file = tmp_path / "var" / "secret.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert (tmp_path / "var" / "junction.db").exists()
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0].decode()
    assert f"Junction on http://127.0.0.1:{port}" in output
    # uvicorn shuts down gracefully, then re-raises SIGTERM as its exit status.
    assert "Application shutdown complete" in output
    assert process.returncode in (0, -signal.SIGTERM), output

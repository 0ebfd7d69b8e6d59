"""Benchmark: push a 1,000,000-member segment to a local webhook, then a 1% diff.

    .venv/bin/python bench/audience_push/run.py [--members 1000000] [--backend postgresql]

Loads the members straight into a fresh database (profiles, sealed e-mail identities, a
computed segment), then times two real runs of the sync engine against a signed local
receiver over HTTP, in batches of 10,000:

1. the full push: planning 1M ledger operations, opening each e-mail's encrypted
   value, normalizing and SHA-256 hashing it, signing and POSTing the batches, and
   acknowledging them;
2. a second run after 1% of the members changed (0.5% left, 0.5% joined).

The baseline is the same normalization and hashing in a bare loop, measured in the
same process: the ratio says what the engine costs on top of the unavoidable work.
Targets on this machine: >= 100,000 identifiers/s for the full push, <= 2 s for the
1% diff run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from load import PG_ADMIN, SECRET, change_members, load_members, open_database  # noqa: E402

from junction.core.connections import Connections  # noqa: E402
from junction.core.pii import default_registry  # noqa: E402
from junction.core.secrets import SecretBox, generate_key  # noqa: E402
from junction.core.sync import (  # noqa: E402
    SyncCreate,
    SyncEngine,
    claim,
    create_sync,
    enqueue,
    get_run,
)
from junction.plugins import Hashing, IdentifierRule  # noqa: E402
from junction.plugins.manager import load_plugins  # noqa: E402


def baseline(count: int) -> float:
    """Identifiers per second of the bare normalize + SHA-256 loop."""
    rule = IdentifierRule(type="email", hashing=Hashing.SHA256)
    values = [f"Person{i}@Example.com " for i in range(count)]
    started = time.perf_counter()
    for value in values:
        default_registry.prepare(value, rule)
    return count / (time.perf_counter() - started)


async def timed_run(engine: SyncEngine, name: str) -> tuple[float, object]:
    run_id = await enqueue(engine.db, name, trigger="manual", actor="bench")
    started = time.perf_counter()
    assert await claim(engine.db, engine.worker, engine.lease, run_id=run_id) == run_id
    await engine.execute(run_id)
    seconds = time.perf_counter() - started
    return seconds, (await get_run(engine.db, run_id)).run


async def main(members: int, backend: str, batch: int, port: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="junction-bench-"))
    box = SecretBox.from_settings(generate_key(), home)
    async with open_database(backend, home) as db:
        print(f"loading {members:,} members into {backend} ...", flush=True)
        await load_members(db, box, members)
        plugins = load_plugins(entry_points=False)
        config = {"url": f"http://127.0.0.1:{port}/hook", "signing_secret": SECRET}
        await Connections(db, plugins, box).create(
            name="hook", plugin="webhook", config=config, actor="bench"
        )
        definition = SyncCreate(
            name="push",
            kind="push",
            connection="hook",
            segment="bench",  # type: ignore[arg-type]
            mode="mirror",
            identifiers=["email"],
            batch_size=batch,  # type: ignore[arg-type]
        )
        await create_sync(db, plugins, definition, actor="bench")
        engine = SyncEngine(db, plugins, box, lease=300)
        await asyncio.sleep(0.5)  # the receiver is listening by now

        full_seconds, full = await timed_run(engine, "push")
        changed = await change_members(db, box, members // 100)
        diff_seconds, diff = await timed_run(engine, "push")
    base = baseline(min(members, 200_000))
    rate = full.accepted / full_seconds  # type: ignore[attr-defined]
    print()
    print(f"{'measure':<44}{'value':>16}")
    print(f"{'full push: members accepted':<44}{full.accepted:>16,}")  # type: ignore[attr-defined]
    print(f"{'full push: seconds':<44}{full_seconds:>16.2f}")
    print(f"{'full push: identifiers/s (target >= 100,000)':<44}{rate:>16,.0f}")
    print(f"{'1% diff: members changed':<44}{changed:>16,}")
    print(f"{'1% diff: accepted':<44}{diff.accepted:>16,}")  # type: ignore[attr-defined]
    print(f"{'1% diff: seconds (target <= 2)':<44}{diff_seconds:>16.2f}")
    print(f"{'baseline: bare normalize + SHA-256 /s':<44}{base:>16,.0f}")
    print(f"{'ratio: engine / baseline':<44}{rate / base:>16.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--batch", type=int, default=10_000)
    arguments = parser.parse_args()
    _ = PG_ADMIN
    # The receiver runs in its own process: the benchmark measures the sender.
    port = 18000 + os.getpid() % 1000
    receiver = subprocess.Popen([sys.executable, str(HERE / "receiver.py"), str(port), SECRET])
    try:
        asyncio.run(main(arguments.members, arguments.backend, arguments.batch, port))
    finally:
        receiver.terminate()

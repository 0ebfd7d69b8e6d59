"""The load process of bench/ingest: sends prepared requests over keep-alive HTTP/1.1.

Runs as its own process so the server under test has its cores to itself as far as a
2-core machine allows. A minimal client on asyncio streams: an HTTP library's own cost
per request would otherwise be what gets measured.

    python bench/ingest/load.py URL WRITE_KEY --mode batch --events 200000 --batch 100
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit


def make_event(index: int, people: int, rng: random.Random) -> dict[str, object]:
    person = rng.randrange(people)
    event: dict[str, object] = {
        "type": "track",
        "event": rng.choice(["Viewed Product", "Added to Cart", "Order Completed"]),
        "messageId": str(uuid.UUID(int=rng.getrandbits(128))),
        "anonymousId": f"anon-{person}-{rng.randrange(3)}",
        "timestamp": datetime.now(UTC).isoformat(),
        "properties": {"sku": f"SKU-{rng.randrange(500)}", "price": rng.randrange(1, 999)},
        "context": {"library": {"name": "bench", "version": "1"}},
    }
    if rng.random() < 0.5:  # half the calls come from logged-in people: merges happen
        event["userId"] = f"user-{person}"
    return event


def requests(mode: str, events: int, batch: int, people: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    if mode == "track":
        return [json.dumps(make_event(i, people, rng)).encode() for i in range(events)]
    bodies = []
    for start in range(0, events, batch):
        calls = [make_event(i, people, rng) for i in range(start, min(events, start + batch))]
        bodies.append(
            json.dumps({"batch": calls, "sentAt": datetime.now(UTC).isoformat()}).encode()
        )
    return bodies


async def worker(
    host: str, port: int, path: str, auth: str, queue: list[bytes], stats: dict[str, int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n"
        "Content-Type: application/json\r\n"
    )
    try:
        while queue:
            body = queue.pop()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            stats[str(status)] = stats.get(str(status), 0) + 1
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("write_key")
    parser.add_argument("--mode", choices=["batch", "track"], default="batch")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = urlsplit(args.url)
    path = "/v1/batch" if args.mode == "batch" else "/v1/track"
    bodies = requests(args.mode, args.events, args.batch, args.people, args.seed)
    auth = base64.b64encode(f"{args.write_key}:".encode()).decode()
    stats: dict[str, int] = {}
    queue = list(reversed(bodies))
    started = time.perf_counter()
    await asyncio.gather(
        *(
            worker(url.hostname or "127.0.0.1", url.port or 80, path, auth, queue, stats)
            for _ in range(args.connections)
        )
    )
    elapsed = time.perf_counter() - started
    json.dump(
        {"seconds": elapsed, "requests": len(bodies), "events": args.events, "statuses": stats},
        sys.stdout,
    )


if __name__ == "__main__":
    asyncio.run(main())

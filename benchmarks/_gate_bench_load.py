"""The load generator of bench_gate_check.py: a separate process on loopback, no Django.

Keeps CONCURRENCY requests in flight with asyncio over plain HTTP/1.1 (gunicorn's sync
workers close each connection, so each request opens one, as a CI fleet's would), each a
POST /api/gate/check/ for ITEMS random files of the seeded set, or (``--healthz``, the
baseline) a GET /healthz: one query, no authentication, what the server and the loop cost.
Stops after REQUESTS requests or SECONDS seconds, whichever comes first; prints JSON
latencies and counts.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import time


def file_sha256(index: int) -> str:
    return hashlib.sha256(f"hubgate-bench-{index}".encode()).hexdigest().upper()


async def one(host: str, port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
    return status, data


def build(host: str, port: int, key: str, profile: str, hashes: list[str]) -> bytes:
    body = json.dumps({"profile": profile, "items": [{"hash": h} for h in hashes]}).encode()
    head = (
        f"POST /api/gate/check/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def run(args: argparse.Namespace) -> dict:
    rng = random.Random(8)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failed_verdicts = 0
    sent = 0
    deadline = time.monotonic() + args.seconds
    window = {"start": 0.0, "end": 0.0}
    healthz = (
        f"GET /healthz HTTP/1.1\r\nHost: {args.host}:{args.port}\r\nConnection: close\r\n\r\n"
    ).encode()

    async def worker() -> None:
        nonlocal sent, failed_verdicts
        while sent < args.requests + args.warmup and time.monotonic() < deadline:
            sent += 1
            measured = sent > args.warmup
            if measured and not window["start"]:
                window["start"] = time.monotonic()
            if args.healthz:
                request = healthz
            else:
                hashes = [file_sha256(rng.randrange(args.files)) for _ in range(args.items)]
                request = build(args.host, args.port, args.key, args.profile, hashes)
            started = time.perf_counter()
            status, data = await one(args.host, args.port, request)
            elapsed = time.perf_counter() - started
            if not measured:
                continue
            latencies.append(elapsed)
            window["end"] = time.monotonic()
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200 and not args.healthz and b'"outcome":"pass"' not in data:
                failed_verdicts += 1

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
        )

    measured_wall = window["end"] - window["start"]
    return {
        "requests": len(latencies),
        "items_per_request": args.items,
        "concurrency": args.concurrency,
        "seconds": round(measured_wall, 3),
        "requests_per_second": round(len(latencies) / measured_wall, 1) if measured_wall else 0,
        "checks_per_second": round(len(latencies) * args.items / measured_wall, 1)
        if measured_wall
        else 0,
        "p50_ms": round(pct(0.50), 2),
        "p90_ms": round(pct(0.90), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0,
        "statuses": statuses,
        "non_pass_outcomes": failed_verdicts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", default="")
    parser.add_argument("--profile", default="commercial-products")
    parser.add_argument("--files", type=int, required=True)
    parser.add_argument("--items", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200, help="requests not measured")
    parser.add_argument("--healthz", action="store_true", help="GET /healthz instead")
    parser.add_argument("--seconds", type=float, default=60.0)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()

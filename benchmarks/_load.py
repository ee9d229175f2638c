"""A closed-loop HTTP load generator: CONCURRENCY threads, each one request after another,
for DURATION seconds (or REQUESTS in all). Prints JSON: requests/s and latency percentiles.

Run as its own process, so the server under test and the load do not share an interpreter.
``--walk N`` follows ``metadata.nextCursor`` N pages deep before starting over (a tool
crawling the catalog); without it every request asks for the first page.
"""

import argparse
import json
import statistics
import threading
import time

import httpx


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--walk", type=int, default=0)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    window = [0.0, 0.0]  # measuring starts once every client has warmed up

    def start_measuring() -> None:
        window[0] = time.monotonic()
        window[1] = window[0] + args.duration

    barrier = threading.Barrier(args.concurrency, action=start_measuring)

    def worker() -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            url, depth = args.url, 0
            for _ in range(args.warmup):
                client.get(args.url)
            barrier.wait()
            while time.monotonic() < window[1]:
                with lock:
                    if len(latencies) + len(errors) >= args.requests:
                        return
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        errors.append(f"{response.status_code}")
                if args.walk and response.status_code == 200:
                    following = response.json()["metadata"].get("nextPage")
                    depth += 1
                    url, depth = (
                        (following, depth) if following and depth < args.walk else (args.url, 0)
                    )

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - window[0]
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": len(errors),
                "seconds": wall,
                "rps": len(latencies) / wall if wall else 0.0,
                "p50_ms": pct(0.50),
                "p95_ms": pct(0.95),
                "p99_ms": pct(0.99),
                "mean_ms": statistics.fmean(latencies) * 1000 if latencies else 0.0,
            }
        )
    )


if __name__ == "__main__":
    main()

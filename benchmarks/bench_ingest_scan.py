"""Ingest + full scan of a generated PyTorch-style checkpoint, side by side with sha256sum.

Target (issue #4): wall time within 1.3x of `sha256sum` on the same file (one read pass is
the floor) and peak memory under 200 MB. Both read the file from the page cache: it is read
once before timing. Run: `make bench` or `python benchmarks/bench_ingest_scan.py --size-gib 2`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _state_dict_pickle(tensors: int) -> bytes:
    """A protocol-2 pickle shaped like torch.save's: OrderedDict of _rebuild_tensor_v2 calls
    with persistent ids pointing at storages. Written opcode by opcode (no torch needed)."""
    out = io.BytesIO()
    out.write(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(")
    for i in range(tensors):
        name = f"model.diffusion_model.layers.{i}.weight".encode()
        out.write(b"X" + len(name).to_bytes(4, "little") + name)
        out.write(b"ctorch._utils\n_rebuild_tensor_v2\n(")
        key = str(i).encode()
        # persistent id tuple ('storage', torch.HalfStorage, key, 'cpu', numel)
        out.write(b"(X\x07\x00\x00\x00storagectorch\nHalfStorage\nX")
        out.write(len(key).to_bytes(4, "little") + key + b"X\x03\x00\x00\x00cpuJ\x00\x00\x10\x00tQ")
        out.write(b"K\x00M\x00\x04M\x00\x04\x86K\x01M\x00\x04\x86\x89ccollections\nOrderedDict\n)R")
        out.write(b"tR")
    out.write(b"u.")
    return out.getvalue()


def make_checkpoint(path: Path, size: int) -> None:
    block = os.urandom(16 * 1024 * 1024)
    tensors = max(1, size // len(block))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", _state_dict_pickle(tensors))
        archive.writestr("archive/byteorder", b"little")
        archive.writestr("archive/version", b"3\n")
        for i in range(tensors):
            with archive.open(f"archive/data/{i}", "w", force_zip64=True) as member:
                member.write(block)


def _time(cmd: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubgate-bench-") as tmp:
        checkpoint = Path(tmp) / "checkpoint.ckpt"
        make_checkpoint(checkpoint, int(args.size_gib * 1024**3))
        size = checkpoint.stat().st_size
        subprocess.run(["cat", str(checkpoint)], stdout=subprocess.DEVNULL, check=True)
        sha_times, ingest_process, ingest_inner, rss = [], [], [], []
        for _ in range(args.runs):
            seconds, out = _time(["sha256sum", str(checkpoint)])
            sha_times.append(seconds)
            expected = out.split()[0].upper()
            seconds, out = _time(
                [sys.executable, str(HERE / "_ingest_scan_once.py"), str(checkpoint)]
            )
            report = json.loads(out)
            assert report["sha256"] == expected, "hashes disagree"
            ingest_process.append(seconds)
            ingest_inner.append(report["seconds"])
            rss.append(report["peak_rss_mib"])
        sha = statistics.median(sha_times)
        inner = statistics.median(ingest_inner)
        whole = statistics.median(ingest_process)
        print(
            f"file: {size / 1024**3:.2f} GiB PyTorch-style zip checkpoint, "
            f"{args.runs} runs, medians"
        )
        print(f"sha256sum                      {sha:7.2f} s   {size / sha / 1e6:8.0f} MB/s")
        print(
            f"hubgate ingest + full scan     {inner:7.2f} s   {size / inner / 1e6:8.0f} MB/s"
            f"   ratio {inner / sha:.2f}x   (target <= 1.30x)"
        )
        print(f"  whole process incl. startup  {whole:7.2f} s   ratio {whole / sha:.2f}x")
        print(f"  peak memory (max RSS)        {max(rss):7.1f} MiB (target < 200 MB)")
        print(f"  verdict: {report['verdict']}, findings: {report['findings']}")


if __name__ == "__main__":
    main()

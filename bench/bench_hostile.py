"""Peak memory of hostile inputs: a gzip bomb behind a link, and documents at and over
the documented size limits.  Every case runs ``patchcrawl`` in a child process of its
own and reads that child's peak RSS from ``wait4`` (nothing else shares the figure).

    python bench/bench_hostile.py [--python PYTHON] [--src DIR]

``--src`` runs another checkout's ``src`` (e.g. the code before a change) with this
checkout's test web.  Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patchcrawl.testweb.http import WebResponse
from patchcrawl.testweb.server import KernelWeb

ROOT = Path(__file__).resolve().parent.parent
BOMB = ROOT / "tests" / "data" / "bombs" / "gzip-gzip-1GiB.bin"


def run(python: str, src: Path, args: list[str]) -> tuple[int, float, float, str]:
    """Exit code, peak RSS (MB), wall seconds and the last line of stderr."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [python, "-m", "patchcrawl", *args], stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
    wall = time.monotonic() - start
    return proc.returncode, usage.ru_maxrss / 1024, wall, (lines[-1] if lines else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    a = ap.parse_args()
    rows: list[tuple[str, int, float, float, str]] = []
    with tempfile.TemporaryDirectory() as d, KernelWeb() as web:
        tmp = Path(d)
        web.route(
            "https://lwn.net/Articles/666/",
            WebResponse(
                200,
                {"content-type": "text/html", "content-encoding": "gzip, gzip"},
                BOMB.read_bytes(),
            ),
        )
        doc = tmp / "bomb.md"
        doc.write_text("<https://lwn.net/Articles/666/>\n", encoding="utf-8")
        common = ["--remap", web.remap_rule(), "--format", "json", "--no-progress"]
        code, rss, wall, last = run(
            a.python, a.src, ["verify", str(doc), "--cache-dir", str(tmp / "c1"), *common]
        )
        rows.append(("gzip, gzip bomb (1,827 B -> 1 GiB)", code, rss, wall, last))

        # 1,000,000 links: over both limits (size and links); the refusal's cost
        million = tmp / "million.md"
        with million.open("w", encoding="utf-8") as fh:
            for i in range(1_000_000):
                fh.write(f"<http://a.bc/{i}>\n")
        code, rss, wall, last = run(
            a.python, a.src, ["verify", str(million), "--offline", "--cache-dir", str(tmp / "c2")]
        )
        size = million.stat().st_size / 1e6
        rows.append((f"1,000,000 links ({size:.1f} MB)", code, rss, wall, last))

        # the most a document may hold: 100,000 links, under 16 MiB
        limit = tmp / "limit.md"
        with limit.open("w", encoding="utf-8") as fh:
            for i in range(100_000):
                fh.write(f"<https://lwn.net/Articles/{i}/>\n")
        code, rss, wall, last = run(
            a.python,
            a.src,
            ["verify", str(limit), "--offline", "--cache-dir", str(tmp / "c3"), "--format", "json"],
        )
        size = limit.stat().st_size / 1e6
        rows.append((f"100,000 links ({size:.1f} MB), --offline", code, rss, wall, last))

    print(f"{'case':44} {'exit':>4} {'peak RSS':>10} {'wall':>7}  stderr (last line)")
    for name, code, rss, wall, last in rows:
        print(f"{name:44} {code:>4} {rss:>7.0f} MB {wall:>6.1f}s  {last[:110]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Cold start to board visible and resident memory after idling, for the built app.

Start-up is timed from spawning the process to its log line saying the window rendered
the board (the UI calls `ui_ready` after its first render with data). Memory is the
backend process's VmRSS, and the total with WebKit's helper processes, after 60 s idle."""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RUNS = 5
IDLE_SECONDS = int(os.environ.get("BOARDROOM_IDLE_SECONDS", "60"))


def launch(app: str, data_dir: str) -> tuple[subprocess.Popen, float]:
    started = time.monotonic()
    proc = subprocess.Popen([app, "--data-dir", data_dir], stderr=subprocess.PIPE, text=True, env={**os.environ, "RUST_LOG": "info"})
    for line in proc.stderr:
        if "board visible" in line:
            elapsed = time.monotonic() - started
            # Keep reading its log so the app never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, elapsed
    raise RuntimeError(f"the app exited before showing the board (code {proc.wait()})")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    children = [int(p) for p in out]
    return children + [g for c in children for g in descendants(c)]


def main(app: str):
    times = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as data_dir:
            proc, elapsed = launch(app, data_dir)
            times.append(elapsed)
            proc.terminate()
            proc.wait()
    print(f"cold start to board visible: median {statistics.median(times) * 1000:.0f} ms over {RUNS} runs "
          f"({', '.join(f'{t * 1000:.0f}' for t in times)} ms)")

    with tempfile.TemporaryDirectory() as data_dir:
        proc, _ = launch(app, data_dir)
        time.sleep(IDLE_SECONDS)
        backend = rss_kib(proc.pid)
        total = backend + sum(rss_kib(p) for p in descendants(proc.pid) if Path(f"/proc/{p}").exists())
        proc.terminate()
        proc.wait()
    print(f"resident memory after {IDLE_SECONDS} s idle: backend {backend / 1024:.1f} MiB; with WebKit helpers {total / 1024:.1f} MiB")


if __name__ == "__main__":
    main(sys.argv[1])

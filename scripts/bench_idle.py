"""What the window costs while nobody is talking, against an empty Tauri window, in one run:
the CPU of all their processes (the app and WebKit's helpers) over 20 s idle, the app's over
20 s joined with the (virtual) microphone on, and their proportional set size (PSS: pages
shared between processes are split between them, so the processes add up honestly).

Needs the display and tauri-driver from scripts/lib.sh's start_display_and_driver, and the
test virtualenv (selenium). Usage: bench_idle.py APP EMPTY_WINDOW"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_startup import descendants, launch

SECONDS = 20
SETTLE = 5
TICKS = os.sysconf("SC_CLK_TCK")
DRIVER_URL = os.environ.get("TAURI_DRIVER_URL", "http://127.0.0.1:4444")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(pid: int) -> tuple[float, float]:
    """Percent of one core used by `pid` and its descendants over SECONDS, and their PSS in MiB."""
    time.sleep(SETTLE)
    before = {p: cpu_seconds(p) for p in [pid, *descendants(pid)]}
    time.sleep(SECONDS)
    after = {p: cpu_seconds(p) for p in [pid, *descendants(pid)]}
    used = sum(after[p] - before.get(p, 0.0) for p in after)
    pss = sum(pss_kib(p) for p in after) / 1024
    return used / SECONDS * 100, pss


def idle_app(app: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        proc, _ = launch(app, data_dir)
        try:
            return measure(proc.pid)
        finally:
            proc.terminate()
            proc.wait()


def idle_empty(empty: str) -> tuple[float, float]:
    proc = subprocess.Popen([empty], stderr=subprocess.DEVNULL)
    try:
        return measure(proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def virtual_microphone():
    if subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "--system=false"], check=True, stderr=subprocess.DEVNULL)
        while subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
            time.sleep(0.1)
    sinks = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True).stdout
    if "boardroom_bench_room" not in sinks:
        subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=boardroom_bench_room"], check=True, capture_output=True)
    subprocess.run(["pactl", "set-default-source", "boardroom_bench_room.monitor"], check=True)


def joined_app(app: str) -> float:
    """The app through WebDriver, after pressing Join room with the virtual microphone on."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.options import ArgOptions
    from selenium.webdriver.support.ui import WebDriverWait

    virtual_microphone()
    with tempfile.TemporaryDirectory() as data_dir:
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": app, "args": ["--data-dir", data_dir]})
        driver = webdriver.Remote(command_executor=DRIVER_URL, options=options)
        try:
            wait = WebDriverWait(driver, 30)
            wait.until(lambda d: d.find_elements(By.XPATH, "//button[text()='Join room']"))[0].click()
            wait.until(lambda d: "Microphone: " in d.find_element(By.CSS_SELECTOR, ".participants").text)
            pid = next(
                int(p.name)
                for p in Path("/proc").iterdir()
                if p.name.isdigit() and data_dir in (p / "cmdline").read_bytes().decode(errors="replace")
                and os.path.realpath(p / "exe") == os.path.realpath(app)
            )
            return measure(pid)[0]
        finally:
            driver.quit()


def main(app: str, empty: str):
    app_idle, app_pss = idle_app(app)
    empty_idle, empty_pss = idle_empty(empty)
    joined = joined_app(app)
    print(f"idle CPU over {SECONDS} s, all processes: Boardroom {app_idle:.2f} % of one core, "
          f"empty Tauri window {empty_idle:.2f} %")
    print(f"joined with the microphone on, {SECONDS} s: Boardroom {joined:.2f} % of one core")
    print(f"proportional set size: Boardroom {app_pss:.1f} MiB, empty Tauri window {empty_pss:.1f} MiB "
          f"({app_pss - empty_pss:+.1f} MiB)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

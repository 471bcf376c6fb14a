"""What the room's end-to-end tests share: waiting, test media, the headless host as a
process (optionally inside a network namespace), and Chromium participants (local, or
inside a namespace through its chromedriver; optionally as a phone) and Firefox ones."""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.firefox.options import Options as FirefoxOptions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("BOARDROOM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BOARDROOM_CHROMEDRIVER", "/usr/bin/chromedriver")
FIREFOX = os.environ.get("BOARDROOM_FIREFOX", "/usr/bin/firefox-esr")
GECKODRIVER = os.environ.get("BOARDROOM_GECKODRIVER", shutil.which("geckodriver") or os.path.expanduser("~/.cargo/bin/geckodriver"))
# Where the browsers play what they hear: a sink of its own (made by the `speakers` fixture),
# so the host's speakers, and their echo, carry only what the host plays.
BROWSER_ENV = {"PULSE_SINK": "boardroom_browsers"}
PHONE_AGENT = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"


def wait_until(condition, timeout=20, message="", interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {message}")
        time.sleep(interval)


def make_bursts(path: Path, seconds: int = 60) -> Path:
    """48 kHz mono: a 200 ms burst of speech-band noise at the start of every second, silence
    between, so what follows a burst (an echo) can be told from the burst itself."""
    burst = path.with_suffix(".burst.wav")
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", str(burst), "synth", "0.2", "pinknoise", "sinc", "300-3000", "fade", "h", "0.01", "0.2", "0.03", "gain", "-n", "-3"], check=True)
    subprocess.run(["sox", str(burst), str(path), "pad", "0", "0.8", "repeat", str(seconds - 1)], check=True)
    return path


def make_turns(path: Path, tone: int, on: float, period: float, seconds: int = 60) -> Path:
    """48 kHz mono: a sine tone for `on` seconds at the start of every `period`, silence
    between: somebody who speaks in turns, whose voice a test can pick out of a mix."""
    turn = path.with_suffix(".turn.wav")
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", str(turn), "synth", str(on), "sine", str(tone), "vol", "0.3", "fade", "h", "0.01", str(on), "0.01"], check=True)
    repeats = int(seconds / period) + 1
    subprocess.run(["sox", str(turn), str(path), "pad", "0", str(period - on), "repeat", str(repeats - 1), "trim", "0", str(seconds)], check=True)
    return path


def make_wav(path: Path, *, speech: str | None = None, voice: str = "en", tone: int | None = None, seconds: int = 30) -> Path:
    """48 kHz mono: a sentence repeated to fill `seconds`, or a sine tone, or silence."""
    if speech:
        raw = path.with_suffix(".raw.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), speech], check=True)
        subprocess.run(["sox", str(raw), "-r", "48000", "-c", "1", str(path), "repeat", "8", "trim", "0", str(seconds)], check=True)
    elif tone:
        subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", str(path), "synth", str(seconds), "sine", str(tone), "vol", "0.3"], check=True)
    else:
        subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", str(path), "trim", "0", str(seconds)], check=True)
    return path


class Host:
    """`boardroom-host --room` as a process; its status lines are collected as they come."""

    def __init__(self, data_dir: Path, *args: str, env: dict | None = None, namespace: str | None = None, wait: bool = True):
        binary = os.environ.get("BOARDROOM_HOST")
        if not binary:
            pytest.fail("BOARDROOM_HOST must name the boardroom-host binary (scripts/test.sh sets it)")
        self.lines: list[str] = []
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        environment.update(env or {})
        # `ip netns exec` runs the host in that namespace as the same process (it execs).
        inside = ["ip", "netns", "exec", namespace] if namespace else []
        self.process = subprocess.Popen(
            [*inside, binary, "--data-dir", str(data_dir), "--room", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment,
        )
        threading.Thread(target=self._collect, daemon=True).start()
        self.invite = None
        if wait:
            wait_until(lambda: self.value("room: ") or self.process.poll() is not None, 30, "the host prints its invite link")
            self.invite = self.value("room: ")
            if not self.invite:
                pytest.fail(f"the host stopped before opening the room:\n{self.output()}")

    def _collect(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def value(self, prefix: str) -> str | None:
        found = [line[len(prefix):] for line in self.lines if line.startswith(prefix)]
        return found[-1] if found else None

    def command(self, line: str) -> str:
        """Types a command on the host's standard input; returns its `control:` answer."""
        answered = len([l for l in self.lines if l.startswith("control: ")])
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        wait_until(lambda: len([l for l in self.lines if l.startswith("control: ")]) > answered, 10, f"the host answers {line!r}")
        return [l for l in self.lines if l.startswith("control: ")][answered]

    def participants(self) -> str:
        """Who is in, by name with any notes but without the ids: "Host, Ana (reconnecting)"."""
        line = self.value("participants: ") or "Host"
        return re.sub(r" \(p\d+(?:, ([^)]*))?\)", lambda m: f" ({m.group(1)})" if m.group(1) else "", line)

    def id_of(self, name: str) -> str:
        """The id the commands take for `name`, as the latest participants line shows it."""
        found = re.search(rf"(?:^|, ){re.escape(name)} \((p\d+)", self.value("participants: ") or "")
        assert found, f"{name} is not listed: {self.value('participants: ')}"
        return found.group(1)

    def resources(self) -> dict:
        """The host's open files, threads and memory, from /proc, and its Tokio tasks, from its status lines."""
        pid = self.process.pid
        status = Path(f"/proc/{pid}/status").read_text()
        field = lambda name: int(re.search(rf"^{name}:\s+(\d+)", status, re.M).group(1))
        return {
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": field("Threads"),
            "rss_kib": field("VmRSS"),
            "tasks": int(self.value("tasks: ") or 0),
        }

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=20)


class Participant:
    """Headless Chromium on the participant page, with a WAV file as its microphone."""

    def __init__(self, microphone: Path, driver_url: str | None = None, phone: bool = False, home: Path | None = None):
        """`driver_url`: a chromedriver inside a network namespace (see netns.py); `phone`:
        Chromium's mobile emulation at 390×844 with touch; `home`: the HOME of a local one,
        whose NSS database says which certificates it trusts (see netns.nss_home)."""
        options = Options()
        options.binary_location = CHROMIUM
        for arg in [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tempfile.mkdtemp()}",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}", "--autoplay-policy=no-user-gesture-required",
            "--window-size=1400,900",
        ]:
            options.add_argument(arg)
        if phone:
            options.add_experimental_option(
                "mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": True}, "userAgent": PHONE_AGENT}
            )
        if driver_url:
            self.driver = webdriver.Remote(command_executor=driver_url, options=options)
        else:
            environment = {**os.environ, **BROWSER_ENV, **({"HOME": str(home)} if home else {})}
            self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, env=environment))

    def join(self, invite: str, name: str, camera: bool = False):
        self.knock(invite, name, camera)
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "section[data-status]"), message=f"{name} sees the board")

    def knock(self, invite: str, name: str, camera: bool = False):
        """Types the name and presses Join, without waiting for what the room answers."""
        self.driver.get(invite)
        field = self.wait(lambda d: d.find_element(By.NAME, "name"))
        field.clear()
        field.send_keys(name)
        if camera:
            self.driver.find_element(By.XPATH, "//label[contains(., 'Share my camera')]/input").click()
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def closed_reason(self, timeout=20) -> str:
        """What the page says after the room closed its connection (removed, locked, declined…)."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=closed-reason]").text, timeout, "the page says why it is out")

    def waiting(self) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=waiting]"))

    def in_room(self) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, "section[data-status]"))

    def wait(self, condition, timeout=20, message=""):
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(WebDriverException,)).until(condition, message)

    def route(self) -> dict | None:
        """The selected ICE candidate pair's types (host, srflx, prflx, relay) and protocols."""
        return self.driver.execute_async_script("const done = arguments[0]; window.boardroom.route().then(done, () => done(null))")

    def heard(self) -> dict:
        return self.driver.execute_script("return window.boardroom ? window.boardroom.heard() : {}")

    def level_at(self, sender: str, hz: float) -> float:
        """How loud `sender` is around `hz` (dB of the analyser's loudest bin there)."""
        value = self.driver.execute_script("return window.boardroom ? window.boardroom.levelAt(arguments[0], arguments[1]) : null", sender, hz)
        return -200.0 if value is None else value

    def column_ids(self, status: str) -> list[str]:
        cards = self.driver.find_elements(By.CSS_SELECTOR, f'section[data-status="{status}"] li[data-card-id]')
        return [c.get_attribute("data-card-id") for c in cards]

    def people(self) -> str:
        return self.driver.find_element(By.CSS_SELECTOR, ".participant-list").text

    def leave(self):
        self.driver.find_element(By.XPATH, "//button[normalize-space()='Leave']").click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=closed-reason]"), message="left")

    def close_tab(self):
        self.driver.get("about:blank")

    def quit(self):
        self.driver.quit()


class FirefoxParticipant(Participant):
    """Headless Firefox ESR on the participant page, driven by a geckodriver inside a network
    namespace; its profile (netns.firefox_profile) trusts the test CA and gives it Firefox's
    fake microphone, which plays a tone."""

    def __init__(self, driver_url: str, profile: Path):
        options = FirefoxOptions()
        options.binary_location = FIREFOX
        for arg in ["-headless", "-profile", str(profile), "--width=1400", "--height=900"]:
            options.add_argument(arg)
        self.driver = webdriver.Remote(command_executor=driver_url, options=options)



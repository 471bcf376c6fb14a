"""Drives the real Boardroom window through WebDriver: tauri-driver in front of
WebKitWebDriver, the app under Xvfb. The scripts/test.sh harness starts Xvfb and
tauri-driver and says which binary to launch (BOARDROOM_APP)."""

import json
import math
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from netns import Network, ThrowawayCa
from rig import Participant, wait_until
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

DRIVER_URL = os.environ.get("TAURI_DRIVER_URL", "http://127.0.0.1:4444")
ARTIFACTS = Path(os.environ.get("BOARDROOM_ARTIFACTS", "test-artifacts"))


def app_path() -> str:
    app = os.environ.get("BOARDROOM_APP")
    if not app:
        pytest.fail("BOARDROOM_APP must name the built app (scripts/test.sh sets it)")
    return app


# The suggestions waiting, read in one go (the list re-renders as they change).
SUGGESTIONS = "return [...document.querySelectorAll('section.suggestions li')].map((e) => e.textContent).join(' | ')"


class Window:
    """One launch of the app on a data directory."""

    def __init__(self, data_dir: Path, app: str | None = None, size: tuple[int, int] | None = (1280, 800)):
        """`size`: the window's size for the test; `None` leaves the one the app restores."""
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": app or app_path(), "args": ["--data-dir", str(data_dir)]})
        self.driver = webdriver.Remote(command_executor=DRIVER_URL, options=options)
        if size:
            self.driver.set_window_size(*size)

    def wait(self, condition, timeout=20, message=""):
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(WebDriverException,)).until(condition, message)

    def column_ids(self, status: str) -> list[str]:
        """Read in one script, so a re-render meanwhile leaves no stale element behind."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll(`section[data-status=\"${arguments[0]}\"] li[data-card-id]`)].map((e) => e.dataset.cardId)",
            status,
        )

    def wait_for_column(self, status: str, expected: list[str], timeout=20):
        self.wait(lambda _: self.column_ids(status) == expected, timeout, f"{status} should hold {expected}, has {self.column_ids(status)}")

    def press(self, label: str):
        """Clicks the button labelled `label` as a person would: notices that cover it are
        dismissed first, and the sidebar is scrolled to it."""
        for close in self.driver.find_elements(By.CSS_SELECTOR, ".toasts [aria-label=Dismiss]"):
            try:
                close.click()
            except WebDriverException:
                pass  # gone by itself meanwhile
        button = self.driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()

    def card(self, card_id: str):
        return self.driver.find_element(By.CSS_SELECTOR, f'li[data-card-id="{card_id}"]')

    def card_title(self, card_id: str) -> str:
        return self.card(card_id).find_element(By.CSS_SELECTOR, ".card-title").text

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # Let WebKit paint the latest frame first; without this the capture can lag behind the DOM.
        self.driver.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 100)))")
        self.driver.get_screenshot_as_file(str(path))
        return path

    def quit(self):
        try:
            self.driver.quit()
        finally:
            # Give the app a moment to exit and release its files before a relaunch.
            time.sleep(0.5)


@pytest.fixture
def network():
    """Other computers on this one (netns.py), removed after the test."""
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root: run scripts/test.sh as root or with sudo")
    net = Network()
    yield net
    net.close()


@pytest.fixture
def ca(tmp_path) -> ThrowawayCa:
    """A throwaway certificate authority, which the tests' browsers trust as an organisation's own."""
    directory = tmp_path / "ca"
    directory.mkdir()
    return ThrowawayCa(directory)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def saved_board(data_dir: Path) -> dict:
    """The board as saved in `data_dir`: the snapshot with the journal's change records placed
    on it, as the board crate loads it (journal.rs, follow.rs), with the suggestions that wait;
    the activity log is left out. A last line without its line break is a record cut short,
    never acknowledged."""
    board = json.loads((data_dir / "board.json").read_text())["board"]
    board.setdefault("pending", [])
    journal = data_dir / "board.journal"
    records = journal.read_bytes().split(b"\n")[:-1] if journal.exists() else []
    for change in map(json.loads, records):
        if change["revision"] <= board["revision"]:
            continue
        board["revision"] = change["revision"]
        suggestion = change.get("suggestion")
        if suggestion:
            board["pending"] = [s for s in board["pending"] if s["id"] != suggestion["id"]]
            if change["operation"]["type"] == "suggest":
                board["pending"].append(suggestion)
        if not (change["after"] or change["before"]):
            continue
        card_id = (change["after"] or change["before"])["card"]["id"]
        for column in board["columns"]:
            column["cards"] = [card for card in column["cards"] if card["id"] != card_id]
        if change["after"]:
            card = change["after"]["card"]
            column = next(c for c in board["columns"] if c["status"] == card["status"])
            column["cards"].insert(change["after"]["position"], card)
    return board


@pytest.fixture
def virtual_microphone(tmp_path: Path):
    """PulseAudio with a null sink whose monitor is the default source: what is played into
    the sink is what the app's microphone hears. Yields a function that speaks a sentence."""

    def pactl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], capture_output=True, text=True)

    if pactl("info").returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "--system=false"], check=True, capture_output=True)
        for _ in range(100):
            if pactl("info").returncode == 0:
                break
            time.sleep(0.1)
    if "boardroom_vmic" not in pactl("list", "short", "sinks").stdout:
        pactl("load-module", "module-null-sink", "sink_name=boardroom_vmic")
    pactl("set-default-source", "boardroom_vmic.monitor")
    players = []

    def speak(text: str, times: int = 1) -> None:
        wav = tmp_path / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
        players.append(subprocess.Popen(["bash", "-c", f'for i in $(seq {times}); do paplay -d boardroom_vmic "{wav}"; done']))

    yield speak
    for player in players:
        player.kill()


FAKE_KEY = "sk-e2e-never-shown"


class FakeRealtime:
    def __init__(self, binary: str, listen: str = "127.0.0.1"):
        """`listen`: the address its Realtime API is served on (the control API stays on loopback)."""
        self.process = subprocess.Popen([binary, "--key", FAKE_KEY, "--listen", listen], stdout=subprocess.PIPE, text=True)
        self.base_url = self.process.stdout.readline().strip()
        self.control = self.process.stdout.readline().split()[1]

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.control}/control/calls", timeout=5) as response:
            return json.load(response)

    def speech(self, tones: list[int]) -> list[dict]:
        """The latest call's utterances as the fake's voice detection reported them, each with
        the level of each tone in its speech (what really sounded)."""
        query = ",".join(str(t) for t in tones)
        with urllib.request.urlopen(f"{self.control}/control/speech?tones={query}", timeout=5) as response:
            return json.load(response)["utterances"]

    def send(self, event: dict):
        request = urllib.request.Request(f"{self.control}/control/send", data=json.dumps(event).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class HttpsFront:
    """The fake's API over HTTPS, as the real API is served, for a host on another computer
    (which sends the key in clear to no one): TLS ends here with a certificate of the test CA,
    which the host trusts through SSL_CERT_FILE, and the bytes go on to the fake's plain port."""

    def __init__(self, fake: FakeRealtime, cert: Path, key: Path):
        behind = urllib.parse.urlsplit(fake.base_url)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.server = socket.create_server((behind.hostname, 0))
        self.behind = (behind.hostname, behind.port)
        self.base_url = f"https://{behind.hostname}:{self.server.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket):
        client.settimeout(10)
        try:
            tls = self.context.wrap_socket(client, server_side=True)
            upstream = socket.create_connection(self.behind, timeout=10)
        except OSError:
            client.close()
            return
        tls.settimeout(None)
        upstream.settimeout(None)

        def pump(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, tls), daemon=True).start()
        pump(tls, upstream)

    def stop(self):
        self.server.close()


def fake_realtime_binary() -> str:
    binary = os.environ.get("BOARDROOM_FAKE_REALTIME")
    if not binary:
        pytest.fail("BOARDROOM_FAKE_REALTIME must name the fake-realtime binary (scripts/test.sh sets it)")
    return binary


@pytest.fixture
def fake_realtime():
    fake = FakeRealtime(fake_realtime_binary())
    yield fake
    fake.stop()


def drag_with_pointer(driver, card_id: str, status: str):
    """Press on the card, move in steps past dnd-kit's activation distance to the column, release."""
    card = driver.find_element(By.CSS_SELECTOR, f'li[data-card-id="{card_id}"]')
    target = driver.find_element(By.CSS_SELECTOR, f'section[data-status="{status}"] .card-list')
    start, end = card.rect, target.rect
    sx, sy = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    ex, ey = end["x"] + end["width"] / 2, end["y"] + 40
    actions = ActionChains(driver, duration=50)
    actions.move_to_element(card).click_and_hold().pause(0.2)
    steps = 12
    for i in range(1, steps + 1):
        actions.move_by_offset((ex - sx) / steps, (ey - sy) / steps).pause(0.05)
    actions.pause(0.3).release().perform()


@pytest.fixture
def browsers():
    opened: list[Participant] = []

    def open_one(microphone: Path | Participant, **how) -> Participant:
        """A Chromium participant with `microphone`, or a participant opened elsewhere (Firefox)."""
        participant = microphone if isinstance(microphone, Participant) else Participant(microphone, **how)
        opened.append(participant)
        return participant

    yield open_one
    for participant in opened:
        participant.quit()


@pytest.fixture
def speakers():
    """PulseAudio with five null sinks: `boardroom_vmic` (its monitor is the default source,
    the host's microphone), `boardroom_speakers` (the default sink, the host's speakers),
    `boardroom_browsers` (where the browsers play), `boardroom_firefox` (where a Firefox
    participant plays, to hear it alone) and `boardroom_othermic` (its monitor is
    the microphone of a second computer, given to it with PULSE_SOURCE). `echo_into_microphone` makes a room of it:
    what the speakers play comes back into the microphone, later and quieter."""

    def pactl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], capture_output=True, text=True)

    if pactl("info").returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "--system=false"], check=True, capture_output=True)
        wait_until(lambda: pactl("info").returncode == 0, 10, "PulseAudio starts")
    sinks = pactl("list", "short", "sinks").stdout
    for sink in ("boardroom_vmic", "boardroom_speakers", "boardroom_browsers", "boardroom_firefox", "boardroom_othermic"):
        if sink not in sinks:
            pactl("load-module", "module-null-sink", f"sink_name={sink}")
    pactl("set-default-source", "boardroom_vmic.monitor")
    pactl("set-default-sink", "boardroom_speakers")
    players: list[subprocess.Popen] = []
    modules: list[str] = []

    class Devices:
        def play_into_microphone(self, wav: Path, sink: str = "boardroom_vmic") -> subprocess.Popen:
            """Plays `wav` in a loop into a microphone; stop it with `silence`."""
            player = subprocess.Popen(["bash", "-c", f'while true; do paplay -d {sink} "{wav}"; done'], start_new_session=True)
            players.append(player)
            return player

        def silence(self, player: subprocess.Popen):
            os.killpg(player.pid, 9)
            player.wait()

        def echo_into_microphone(self, delay_ms: int, gain: float):
            """The room: what the speakers play reaches the microphone `delay_ms` later at
            `gain` (a fixed delay: `adjust_time=0` keeps PulseAudio from retuning it)."""
            module = pactl(
                "load-module", "module-loopback", "source=boardroom_speakers.monitor", "sink=boardroom_vmic",
                f"latency_msec={delay_ms}", "adjust_time=0", "source_dont_move=true", "sink_dont_move=true",
            ).stdout.strip()
            modules.append(module)
            def loop_input() -> str | None:
                for block in pactl("list", "sink-inputs").stdout.split("Sink Input #")[1:]:
                    if f"Owner Module: {module}\n" in block:
                        return block.split("\n", 1)[0].strip()
                return None

            pactl("set-sink-input-volume", wait_until(loop_input, 10, "the loopback plays"), str(gain))

        def stop_echo(self):
            """Takes the room's echo path away again (before another `echo_into_microphone`)."""
            while modules:
                pactl("unload-module", modules.pop())

        def playing_into(self, sink: str) -> dict:
            """The environment of a browser that plays into `sink` of this PulseAudio whatever
            its HOME (where PulseAudio's client otherwise looks for the server and its cookie)."""
            server = next(line.split(": ", 1)[1] for line in pactl("info").stdout.splitlines() if line.startswith("Server String: "))
            return {"PULSE_SERVER": server, "PULSE_COOKIE": os.path.expanduser("~/.config/pulse/cookie"), "PULSE_SINK": sink}

        def record_speakers(self, seconds: float) -> float:
            """The RMS level, in dBFS, of what the host's speakers played for `seconds`."""
            return self.speakers_tone(seconds)[0]

        def speakers_tone(self, seconds: float, sink: str = "boardroom_speakers") -> tuple[float, float]:
            """What the speakers (or another `sink`) played for `seconds`: its RMS level in dBFS, and its frequency
            in Hz (the median of rising zero crossings over 100 ms windows, so that a click or
            a dropped packet in one window does not move it)."""
            raw = subprocess.run(
                ["timeout", str(seconds), "parec", "-d", f"{sink}.monitor", "--rate=48000", "--channels=1", "--format=s16le"],
                capture_output=True,
            ).stdout
            samples = memoryview(raw[: len(raw) // 2 * 2]).cast("h") if len(raw) >= 2 else []
            if not samples:
                return -100.0, 0.0
            mean_square = sum(s * s for s in samples) / len(samples)
            level = 10 * math.log10(max(mean_square, 1e-12) / 32768**2)
            def frequency(window) -> float:
                crossings = [i for i in range(1, len(window)) if window[i - 1] < 0 <= window[i]]
                return (len(crossings) - 1) * 48000 / (crossings[-1] - crossings[0]) if len(crossings) > 1 else 0.0

            estimates = sorted(frequency(samples[i : i + 4800]) for i in range(0, len(samples) - 4799, 4800))
            return level, estimates[len(estimates) // 2] if estimates else 0.0

    yield Devices()
    for player in players:
        if player.poll() is None:
            os.killpg(player.pid, 9)
    for module in modules:
        pactl("unload-module", module)

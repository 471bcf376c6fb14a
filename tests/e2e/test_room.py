"""End to end: the meeting room with real browsers. Headless Chromium (Debian's, through
chromedriver) joins through the invite link with fake media made from espeak-ng speech or
sox tones. The room is hosted by the headless host (`boardroom-host --room`) for the audio
and signaling checks, and by the real window for the hand-and-browser checks."""

import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websocket
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import FAKE_KEY, Window, drag_with_pointer

CHROMIUM = os.environ.get("BOARDROOM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BOARDROOM_CHROMEDRIVER", "/usr/bin/chromedriver")


def wait_until(condition, timeout=20, message="", interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {message}")
        time.sleep(interval)


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

    def __init__(self, data_dir: Path, *args: str, env: dict | None = None):
        binary = os.environ.get("BOARDROOM_HOST")
        if not binary:
            pytest.fail("BOARDROOM_HOST must name the boardroom-host binary (scripts/test.sh sets it)")
        self.lines: list[str] = []
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        environment.update(env or {})
        self.process = subprocess.Popen(
            [binary, "--data-dir", str(data_dir), "--room", *args], stdout=subprocess.PIPE, text=True, env=environment
        )
        threading.Thread(target=self._collect, daemon=True).start()
        self.invite = wait_until(lambda: self.value("room: "), 30, "the host prints its invite link")

    def _collect(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def value(self, prefix: str) -> str | None:
        found = [line[len(prefix):] for line in self.lines if line.startswith(prefix)]
        return found[-1] if found else None

    def participants(self) -> str:
        return self.value("participants: ") or "Host"

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
        self.process.terminate()
        self.process.wait(timeout=20)


class CuttableProxy:
    """A TCP proxy in front of the room's HTTP port, whose connections the test can cut at
    once: a network blip for the page's WebSocket (WebRTC media goes around it, over UDP)."""

    def __init__(self, target_port: int):
        import socket

        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def cut(self):
        """Drops every connection through the proxy, as a network blip would."""
        import socket

        with self.lock:
            for connection in self.open:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open.clear()


class Participant:
    """Headless Chromium on the participant page, with a WAV file as its microphone."""

    def __init__(self, microphone: Path):
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
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))

    def join(self, invite: str, name: str, camera: bool = False):
        self.driver.get(invite)
        field = self.wait(lambda d: d.find_element(By.NAME, "name"))
        field.clear()
        field.send_keys(name)
        if camera:
            self.driver.find_element(By.XPATH, "//label[contains(., 'Share my camera')]/input").click()
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "section[data-status]"), message=f"{name} sees the board")

    def wait(self, condition, timeout=20, message=""):
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(WebDriverException,)).until(condition, message)

    def heard(self) -> dict:
        return self.driver.execute_script("return window.boardroom ? window.boardroom.heard() : {}")

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


@pytest.fixture
def browsers():
    opened: list[Participant] = []

    def open_one(microphone: Path) -> Participant:
        participant = Participant(microphone)
        opened.append(participant)
        return participant

    yield open_one
    for participant in opened:
        participant.quit()


@pytest.fixture
def speakers():
    """PulseAudio with two null sinks: `boardroom_vmic` (its monitor is the default source, the
    host's microphone) and `boardroom_speakers` (the default sink, the host's speakers)."""

    def pactl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], capture_output=True, text=True)

    if pactl("info").returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "--system=false"], check=True, capture_output=True)
        wait_until(lambda: pactl("info").returncode == 0, 10, "PulseAudio starts")
    sinks = pactl("list", "short", "sinks").stdout
    for sink in ("boardroom_vmic", "boardroom_speakers"):
        if sink not in sinks:
            pactl("load-module", "module-null-sink", f"sink_name={sink}")
    pactl("set-default-source", "boardroom_vmic.monitor")
    pactl("set-default-sink", "boardroom_speakers")
    players: list[subprocess.Popen] = []

    class Devices:
        def play_into_microphone(self, wav: Path):
            players.append(subprocess.Popen(["bash", "-c", f'while true; do paplay -d boardroom_vmic "{wav}"; done']))

        def record_speakers(self, seconds: float) -> float:
            """The RMS level, in dBFS, of what the host's speakers played for `seconds`."""
            raw = subprocess.run(
                ["timeout", str(seconds), "parec", "-d", "boardroom_speakers.monitor", "--rate=48000", "--channels=1", "--format=s16le"],
                capture_output=True,
            ).stdout
            samples = memoryview(raw).cast("h") if len(raw) >= 2 else []
            if not samples:
                return -100.0
            mean_square = sum(s * s for s in samples) / len(samples)
            return 10 * __import__("math").log10(max(mean_square, 1e-12) / 32768**2)

    yield Devices()
    for player in players:
        player.kill()


def test_everyone_hears_everyone_and_the_voice_operator_hears_the_room(tmp_path, data_dir, browsers, speakers, fake_realtime):
    """Two participants speak (espeak-ng), the host's microphone plays a 440 Hz tone."""
    speakers.play_into_microphone(make_wav(tmp_path / "tone.wav", tone=440))
    host = Host(
        data_dir, "--speakers",
        env={"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": fake_realtime.base_url},
    )
    try:
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Yesterday I finished the retransmission buffer and today I start on simulcast."))
        bo = browsers(make_wav(tmp_path / "bo.wav", speech="I am blocked on the DTLS cleanup until the review is done.", voice="en-us"))
        ana.join(host.invite, "Ana", camera=True)
        bo.join(host.invite, "Bo")
        wait_until(lambda: host.participants() == "Host, Ana, Bo", 30, f"the host lists both: {host.participants()}")
        # Ana's camera (Chromium's fake one) is forwarded to Bo and plays there.
        bo.wait(
            lambda d: d.execute_script("const v = document.querySelector('figure.video video'); return v && v.videoWidth > 0"),
            message="Bo sees Ana's camera",
        )
        ana.wait(lambda _: "Bo" in ana.people(), message="Ana's page lists Bo")

        # The host's tone reaches the pages through the SFU's host track (WebAudio analyser).
        heard = wait_until(lambda: (h := ana.heard()).get("host", {}).get("rmsDbfs", -100) > -40 and h, 20, f"Ana hears the host: {ana.heard()}")
        assert abs(heard["host"]["frequency"] - 440) < 10, heard
        # The two participants hear each other, forwarded untouched.
        wait_until(lambda: bo.heard().get("p1", {}).get("rmsDbfs", -100) > -50, 20, f"Bo hears Ana: {bo.heard()}")
        wait_until(lambda: ana.heard().get("p2", {}).get("rmsDbfs", -100) > -50, 20, f"Ana hears Bo: {ana.heard()}")

        # Their speech reaches the mixer (levels) and from there the Realtime fake.
        ana.wait(lambda _: "speaking" in ana.people(), message="the room's levels show someone speaking")

        def speech_at_the_fake():
            calls = fake_realtime.state()["calls"]
            recent = calls[-1]["recent_audio"] if calls else None
            return recent if recent and recent["rms_dbfs"] > -45 and recent["voice_band_share"] > 0.8 else None

        recent = wait_until(speech_at_the_fake, 30, f"the fake hears speech: {fake_realtime.state()['calls'][-1:]}")
        print(f"at the Realtime fake: {recent}")

        # The pages show the AI's status and what it heard.
        voice_status = lambda p: p.driver.find_element(By.CSS_SELECTOR, '[data-testid="voice-status"]').text
        ana.wait(lambda _: "listening" in voice_status(ana), message=f"Ana sees the AI listening: {voice_status(ana)}")
        said = "I am blocked on the DTLS cleanup."
        fake_realtime.send({"type": "input_audio_buffer.committed", "item_id": "item_1", "previous_item_id": None})
        fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_1", "content_index": 0, "transcript": said})
        for page in (ana, bo):
            page.wait(lambda d: said in d.find_element(By.CSS_SELECTOR, "section.transcript").text, message="the transcript reaches the page")

        # The host's speakers play the participants (and never the host's own tone: mix-minus).
        level = speakers.record_speakers(3)
        assert level > -45, f"the host's speakers play the participants: {level:.1f} dBFS"
    finally:
        host.stop()
    assert fake_realtime.state()["problems"] == []


def test_a_wrong_token_and_bad_signaling_are_refused_without_disturbing_others(tmp_path, data_dir, browsers):
    host = Host(data_dir, "--microphone", "none")
    try:
        wrong = host.invite[:-1] + ("A" if host.invite[-1] != "A" else "B")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(wrong, timeout=5)
        assert refused.value.code == 404
        with pytest.raises(websocket.WebSocketBadStatusException) as refused_socket:
            websocket.create_connection(wrong.replace("http://", "ws://") + "/ws", timeout=5)
        assert refused_socket.value.status_code == 403

        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Good morning."))
        ana.join(host.invite, "Ana")
        wait_until(lambda: host.participants() == "Host, Ana", 30, host.participants())

        socket = websocket.create_connection(host.invite.replace("http://", "ws://") + "/ws", timeout=5)
        socket.send(json.dumps({"type": "hello", "version": 1, "name": "Mallory"}))
        assert json.loads(socket.recv())["type"] == "welcome"

        def next_error() -> dict:
            while True:
                message = json.loads(socket.recv())
                if message["type"] == "error":
                    return message

        socket.send("{garbage")
        assert next_error()["code"] == "invalid"
        socket.send(json.dumps({"type": "mute", "muted": True, "padding": "x" * 70_000}))
        assert next_error()["code"] == "tooLarge"
        codes = []
        while not codes or codes[-1] != "tooManyErrors":
            try:
                socket.send_binary(b"\x00\x9f\x92\x96")
                codes.append(next_error()["code"])
            except (websocket.WebSocketConnectionClosedException, BrokenPipeError, ConnectionResetError):
                break
        assert "tooManyErrors" in codes, codes
        wait_until(lambda: host.participants() == "Host, Ana", 20, f"Mallory is gone, Ana stays: {host.participants()}")

        # Ana was not disturbed: her drag still reaches the room.
        drag_with_pointer(ana.driver, "card-002", "Done")
        wait_until(lambda: any("moved card-002" in line and "by Ana" in line for line in host.lines), 10, "\n".join(host.lines[-5:]))
    finally:
        host.stop()


def test_a_participant_comes_back_by_itself_after_a_network_blip(tmp_path, data_dir, browsers):
    host = Host(data_dir, "--microphone", "none")
    try:
        port = int(host.invite.split(":")[2].split("/")[0])
        proxy = CuttableProxy(port)
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Still here after the blip."))
        ana.join(host.invite.replace(f":{port}/", f":{proxy.port}/"), "Ana")
        wait_until(lambda: host.participants() == "Host, Ana", 30, host.participants())
        ana.wait(lambda _: "connected" in ana.people(), message="audio connected")

        proxy.cut()
        wait_until(lambda: any(line == "participants: Host, Ana (reconnecting)" for line in host.lines), 20, "the host sees the drop")
        # The page reconnects through the same link and rejoins as the same person, not "Ana (2)".
        wait_until(lambda: host.participants() == "Host, Ana", 30, host.participants())
        ana.wait(lambda _: "Ana (you)" in ana.people() and "connected" in ana.people(), message=f"Ana is back: {ana.people()}")
        drag_with_pointer(ana.driver, "card-002", "Blocked")
        wait_until(lambda: any("moved card-002" in line and "by Ana" in line for line in host.lines), 10, "\n".join(host.lines[-5:]))
    finally:
        host.stop()


def test_twenty_join_and_leave_cycles_by_button_or_closed_tab_leave_nothing_behind(tmp_path, data_dir, browsers):
    host = Host(data_dir, "--microphone", "none")
    try:
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Checking in."))
        figures = []
        for cycle in range(1, 21):
            ana.join(host.invite, "Ana")
            wait_until(lambda: host.participants() == "Host, Ana", 30, f"cycle {cycle}: joined ({host.participants()})")
            ana.wait(lambda _: "connected" in ana.people(), message=f"cycle {cycle}: audio connected")
            # Every other cycle closes the tab instead: that is leaving too, not a dropped
            # connection the room would hold for a comeback (30 s).
            if cycle % 2:
                ana.leave()
            else:
                ana.close_tab()
            wait_until(lambda: host.participants() == "Host", 10, f"cycle {cycle}: left ({host.participants()})")
            time.sleep(2)  # let closed peers finish their tasks (the host reports tasks once a second)
            figures.append(host.resources())
            print(f"cycle {cycle}: {figures[-1]}")
        warm, last = figures[1], figures[-1]
        print(f"after cycle 2: {warm}; after cycle 20: {last}")
        assert last["tasks"] <= warm["tasks"], f"no task left behind: {warm['tasks']} → {last['tasks']}"
        assert last["fds"] <= warm["fds"] + 2, f"no file or socket left open: {warm['fds']} → {last['fds']}"
        assert last["threads"] <= warm["threads"] + 2, f"no thread left running: {warm['threads']} → {last['threads']}"
        assert last["rss_kib"] - warm["rss_kib"] < 30 * 1024, f"memory settles: {warm['rss_kib']} → {last['rss_kib']} KiB"
    finally:
        host.stop()


def test_the_window_hosts_the_room_and_hand_edits_flow_both_ways(tmp_path, data_dir, browsers):
    window = Window(data_dir)
    try:
        window.wait(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Start room']"))
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Start room']").click()
        link = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".invite-link").get_attribute("value"), message="the invite link shows")
        assert link.startswith("http://127.0.0.1:") and "/r/" in link
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Copy link']").click()
        window.wait(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Copied']"), message="the link is copied")

        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Hello from the browser."))
        ana.join(link, "Ana")
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-participant="Ana"]'), message="Ana appears in the window")
        window.screenshot("room-window-with-ana")

        # A drag in the browser shows up in the window…
        drag_with_pointer(ana.driver, "card-003", "In Progress")
        window.wait_for_column("In Progress", ["card-003"])
        # …and a drag in the window shows up in the browser.
        drag_with_pointer(window.driver, "card-001", "Done")
        ana.wait(lambda _: ana.column_ids("Done") == ["card-001"], message=f"Ana sees the move: {ana.column_ids('Done')}")
        activity = window.driver.find_element(By.CSS_SELECTOR, ".activity").text
        assert "Ana" in activity, activity

        # The host mutes Ana in the mix, then removes her.
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Mute Ana']").click()
        ana.wait(lambda _: "muted by the host" in ana.people(), message="Ana sees she is muted by the host")
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Remove Ana']").click()
        reason = ana.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=closed-reason]").text, message="Ana is told")
        assert "removed you" in reason
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-participant="Ana"]'), message="Ana is gone")

        window.driver.find_element(By.XPATH, "//button[normalize-space()='End room']").click()
        window.wait(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Start room']"), message="the room ends")
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(link, timeout=5)
    finally:
        window.quit()

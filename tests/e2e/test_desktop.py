"""End to end: the window behaves as a desktop app does. While it is in the background, the
system's notification server (dunst, on the test session's bus) shows who waits to join, that
the voice operator stopped and that the meeting's notes are ready; while it is in front, the
window itself says so and no notification comes. The app keeps a log file in its log folder
that a person can send with a bug report, and neither the API key nor the room's token is in it."""

import json
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By

from conftest import FAKE_KEY, Window
from rig import make_wav, wait_until


class NotificationServer:
    """dunst on the session bus the app uses: what it showed is read back with dunstctl."""

    def __init__(self):
        self.process = subprocess.Popen(["dunst"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        owner = ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"]
        wait_until(lambda: "boolean true" in subprocess.run(owner, capture_output=True, text=True).stdout or self.process.poll() is not None, 10, "dunst serves notifications")
        if self.process.poll() is not None:
            pytest.fail(f"dunst did not start: {self.process.stderr.read()}")

    def shown(self) -> list[str]:
        """Every notification shown so far, as "summary: body", oldest first. Those still on
        screen are closed first, which moves them to the server's history."""
        subprocess.run(["dunstctl", "close-all"], check=True)
        history = json.loads(subprocess.run(["dunstctl", "history"], capture_output=True, text=True, check=True).stdout)
        entries = [entry for group in history["data"] for entry in group]
        entries.sort(key=lambda entry: entry["id"]["data"])
        return [f"{entry['summary']['data']}: {entry['body']['data']}" for entry in entries]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def notifications():
    server = NotificationServer()
    yield server
    server.stop()


def x_window(title: str) -> str:
    found = wait_until(lambda: subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"], capture_output=True, text=True).stdout.split(), 10, f"the {title} window is mapped")
    return found[0]


def focus(window_id: str):
    subprocess.run(["xdotool", "windowfocus", "--sync", window_id], check=True)


def test_notifications_while_in_the_background_and_a_log_without_secrets(tmp_path, data_dir, browsers, fake_realtime, notifications):
    wrong_key = "-".join(["sk", "e2e", "not", "the", "right", "one"])
    window = Window(data_dir)
    other = None
    try:
        window.wait_for_column("Backlog", ["card-001", "card-002", "card-003", "card-004", "card-005"])
        app = x_window("Boardroom")
        focus(app)

        def voice_settings(**fields: str):
            window.press("Voice settings")
            dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"]'))
            if "key" in fields:
                dialog.find_element(By.NAME, "api-key").send_keys(fields["key"])
                dialog.find_element(By.XPATH, './/button[text()="Save key"]').click()
                window.wait(lambda _: "A key is saved" in dialog.find_element(By.CSS_SELECTOR, '[data-testid="key-status"]').text, message="the key is saved")
            if "base_url" in fields:
                dialog.find_element(By.NAME, "base-url").send_keys(fields["base_url"])
                dialog.find_element(By.XPATH, './/button[text()="Save model and address"]').click()
                window.wait(lambda _: dialog.find_element(By.NAME, "base-url").get_attribute("value") == fields["base_url"])
            dialog.find_element(By.XPATH, './/button[text()="Close"]').click()

        # In front: the room starts (its voice operator stops at once: no key yet) and Ana's
        # knock shows in the window; no notification comes.
        voice_settings(base_url=fake_realtime.base_url)
        window.driver.find_element(By.XPATH, "//label[contains(., 'Ask me before people join')]/input").click()
        window.press("Start room")
        link = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".invite-link").get_attribute("value"), message="the invite link shows")
        token = link.rsplit("/r/", 1)[1]
        ana = browsers(make_wav(tmp_path / "ana.wav"))
        ana.knock(link, "Ana")
        window.wait(lambda d: "Ana" in d.find_element(By.CSS_SELECTOR, ".lobby").text, message="the window lists Ana waiting")
        time.sleep(1)
        assert notifications.shown() == []

        # In the background (another window has the focus): Bo's knock is a notification.
        other = subprocess.Popen(["xmessage", "-title", "Another app", "Another app has the focus"])
        focus(x_window("Another app"))
        bo = browsers(make_wav(tmp_path / "bo.wav"))
        bo.knock(link, "Bo")
        wait_until(lambda: notifications.shown() == ["Bo is waiting to join: Let them in or turn them away in Boardroom's room panel."], 10, f"Bo's knock is told: {notifications.shown()}")

        # A wrong key: the voice operator stops, and says why.
        voice_settings(key=wrong_key)
        wait_until(lambda: any(n.startswith("The voice operator stopped: ") for n in notifications.shown()), 30, f"the stop is told: {notifications.shown()}")
        stopped = next(n for n in notifications.shown() if n.startswith("The voice operator stopped: "))
        assert "key" in stopped, stopped

        # With the right key it listens; ending the room ends the meeting, and its notes are written.
        voice_settings(key=FAKE_KEY)
        status = lambda: window.driver.find_element(By.CSS_SELECTOR, '[data-testid="voice-status"]').text
        window.wait(lambda _: "listening" in status(), 30, status())
        said = "I finished the retransmission buffer yesterday."
        fake_realtime.send({"type": "input_audio_buffer.committed", "item_id": "item_1", "previous_item_id": None})
        fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_1", "content_index": 0, "transcript": said})
        window.wait(lambda d: said in d.find_element(By.CSS_SELECTOR, "section.transcript").text, message="the transcript shows")
        window.press("End room")
        wait_until(lambda: (data_dir / "notes").is_dir() and any((data_dir / "notes").iterdir()), 20, "the notes are written")
        notes = next((data_dir / "notes").iterdir()).name
        wait_until(lambda: any(n.startswith(f"The meeting's notes are ready: {notes}") for n in notifications.shown()), 10, f"the notes are told: {notifications.shown()}")
        print("notifications shown:", *notifications.shown(), sep="\n  ")
    finally:
        window.quit()
        if other:
            other.kill()

    # The log file, in the log folder of the data folder the app was given.
    log = (data_dir / "logs" / "boardroom.log").read_text()
    assert "notifying: Bo is waiting to join" in log and ("board loaded" in log or "new board" in log), log[-2000:]
    for secret, what in ((wrong_key, "the wrong key"), (FAKE_KEY, "the key"), (token, "the room's token")):
        assert secret not in log, f"{what} is in the log"
    print(f"log: {len(log.splitlines())} lines, no key or token")

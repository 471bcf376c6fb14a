"""End to end on the real built app: the seed board, drags with real pointer actions and
with real key actions, the card editor, persistence across a relaunch, and a corrupt board file at start."""

import json
import subprocess
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import Window, drag_with_pointer, saved_board
from rig import wait_until

SEED = ["card-001", "card-002", "card-003", "card-004", "card-005"]


def drag_with_keyboard(window: Window, card_id: str, *keys: str):
    """Focus the card, Space to lift it, the given arrow keys, Space to drop: real key actions."""
    handle = window.card(card_id).find_element(By.CSS_SELECTOR, '[role="button"]')
    window.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", handle)
    actions = ActionChains(window.driver)
    for key in (Keys.SPACE, *keys, Keys.SPACE):
        actions.send_keys(key).pause(0.4)
    actions.perform()


def test_drag_edit_and_relaunch(data_dir: Path):
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", SEED)
        assert window.column_ids("In Progress") == []

        drag_with_pointer(window.driver, "card-003", "In Progress")
        window.wait_for_column("In Progress", ["card-003"])
        window.wait_for_column("Backlog", ["card-001", "card-002", "card-004", "card-005"])

        drag_with_keyboard(window, "card-005", Keys.ARROW_RIGHT)
        window.wait_for_column("In Progress", ["card-005", "card-003"])
        assert window.column_ids("Backlog") == ["card-001", "card-002", "card-004"]
        announcements = window.driver.execute_script("return [...document.querySelectorAll('[id^=DndLiveRegion]')].map(e => e.textContent).join(' ')")
        assert "Dropped “Add Simulcast Forwarding Controls” in In Progress." in announcements

        window.card("card-001").click()
        title = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"] input[name="title"]'))
        title.send_keys(Keys.CONTROL, "a")
        title.send_keys("HEVC packetizer: FU and AP support")
        window.driver.find_element(By.XPATH, '//div[@role="dialog"]//button[text()="Save"]').click()
        window.wait(lambda _: window.card_title("card-001") == "HEVC packetizer: FU and AP support")
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'))

        activity = window.driver.find_element(By.CSS_SELECTOR, ".activity-list").text
        assert "Moved “Implement ICE Restart Handling” from Backlog to In Progress" in activity
        assert "Edited the title of" in activity
        window.screenshot("board-after-drag-and-edit")
    finally:
        window.quit()

    saved = saved_board(data_dir)
    assert saved["revision"] == 3
    in_progress = next(c for c in saved["columns"] if c["status"] == "In Progress")
    assert [c["id"] for c in in_progress["cards"]] == ["card-005", "card-003"]

    window = Window(data_dir)
    try:
        window.wait_for_column("In Progress", ["card-005", "card-003"])
        assert window.card_title("card-001") == "HEVC packetizer: FU and AP support"
        assert "Saved · revision 3" in window.driver.find_element(By.CSS_SELECTOR, ".statusbar").text
        window.screenshot("board-after-relaunch")

        window.driver.set_window_size(1920, 1080)
        window.wait(lambda d: d.execute_script("return [innerWidth, innerHeight]") == [1920, 1080])
        time.sleep(1)  # WebKit lays out and paints the new size after reporting it
        window.screenshot("board-1920x1080")
        Select(window.driver.find_element(By.XPATH, '//label[span[text()="Theme"]]/select')).select_by_value("dark")
        window.wait(lambda d: d.execute_script("return document.documentElement.dataset.theme") == "dark")
        time.sleep(0.5)
        window.screenshot("board-dark")
    finally:
        window.quit()
    assert json.loads((data_dir / "settings.json").read_text())["theme"] == "dark"


@pytest.mark.parametrize(
    "name,content",
    [("garbage", b"\x00\x01 definitely not a board"), ("empty", b""), ("truncated", b'{"format":1,"board":{"revision":4,"colu')],
)
def test_corrupt_board_file_is_moved_aside_and_shown(data_dir: Path, name: str, content: bytes):
    (data_dir / "board.json").write_bytes(content)
    window = Window(data_dir)
    try:
        alert = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".notice[role=alert]"))
        window.wait_for_column("Backlog", SEED)
        aside = [p for p in data_dir.iterdir() if p.name.startswith("board.corrupt-")]
        assert len(aside) == 1, f"{name}: {list(data_dir.iterdir())}"
        assert aside[0].read_bytes() == content, "the bad file is kept byte for byte"
        assert str(aside[0]) in alert.text
        window.screenshot(f"corrupt-{name}")
    finally:
        window.quit()


def test_join_and_leave_the_room(data_dir: Path):
    """Joining turns the microphone on — live, or a clear reason when this machine has none —
    and the board keeps working either way; leaving turns it off."""
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", SEED)
        panel = window.driver.find_element(By.CSS_SELECTOR, "section.participants")
        panel.find_element(By.XPATH, './/button[text()="Join room"]').click()
        # "You are not in the room" also holds "You": wait for the joined panel's own button.
        window.wait(lambda _: "Leave room" in panel.text, message=panel.text)
        statusbar = lambda: window.driver.find_element(By.CSS_SELECTOR, ".statusbar").text
        window.wait(lambda _: "Microphone: " in statusbar() or "(trying again)" in statusbar(), message=statusbar())
        window.screenshot("joined")
        drag_with_keyboard(window, "card-002", Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        window.wait_for_column("Blocked", ["card-002"])
        panel.find_element(By.XPATH, './/button[text()="Leave room"]').click()
        window.wait(lambda d: "Microphone off" in d.find_element(By.CSS_SELECTOR, ".statusbar").text)
    finally:
        window.quit()


def test_your_voice_shows_in_the_participants_panel(data_dir: Path, virtual_microphone):
    """Speech on the (virtual) microphone lights up "You" as speaking with a live meter."""
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", SEED)
        panel = window.driver.find_element(By.CSS_SELECTOR, "section.participants")
        panel.find_element(By.XPATH, './/button[text()="Join room"]').click()
        window.wait(lambda _: "Microphone: " in panel.text, message=panel.text)
        virtual_microphone("Yesterday I finished the ICE restart handling. Today I pick up the retransmission buffer.", times=3)
        meter = lambda: int(window.driver.find_element(By.CSS_SELECTOR, "[role=meter]").get_attribute("aria-valuenow"))
        window.wait(lambda _: "speaking" in panel.text and meter() > 40, timeout=15, message=f"{panel.text} / meter {meter()}")
        window.screenshot("you-speaking")
        panel.find_element(By.XPATH, './/button[text()="Mute"]').click()
        window.wait(lambda _: not panel.find_elements(By.CSS_SELECTOR, ".speaking-badge") and meter() == 0, message=panel.text)
    finally:
        window.quit()


def test_what_the_computer_plays_shows_as_call_audio(data_dir: Path, speakers, tmp_path: Path):
    """With "Also listen to this computer's audio" on, another program playing on the default
    output shows in the participants panel as call audio, by name and with a live meter."""
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", SEED)
        window.driver.find_element(By.XPATH, '//button[text()="Voice settings"]').click()
        dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"]'))
        dialog.find_element(By.NAME, "system-audio").click()
        window.wait(lambda _: dialog.find_element(By.NAME, "system-audio").is_selected(), message="the setting is saved")
        dialog.find_element(By.XPATH, './/button[text()="Close"]').click()
        panel = window.driver.find_element(By.CSS_SELECTOR, "section.participants")
        panel.find_element(By.XPATH, './/button[text()="Join room"]').click()
        row = lambda: window.driver.find_element(By.CSS_SELECTOR, '[data-participant="call audio"]')
        window.wait(lambda _: "nothing plays now" in row().text, message=panel.text)

        wav = tmp_path / "call.wav"
        subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", str(wav), "synth", "30", "sine", "700", "vol", "0.3"], check=True)
        speakers.play_into_microphone(wav, sink="boardroom_speakers")
        meter = lambda: int(row().find_element(By.CSS_SELECTOR, "[role=meter]").get_attribute("aria-valuenow"))
        window.wait(lambda _: "paplay" in row().text and meter() > 40, timeout=15, message=f"{row().text} / meter {meter()}")
        window.screenshot("call-audio")

        window.driver.find_element(By.XPATH, '//button[text()="Voice settings"]').click()
        dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"]'))
        dialog.find_element(By.NAME, "system-audio").click()
        dialog.find_element(By.XPATH, './/button[text()="Close"]').click()
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-participant="call audio"]'), message=panel.text)
    finally:
        window.quit()


def test_the_window_keeps_its_size_from_one_launch_to_the_next(data_dir: Path):
    window = Window(data_dir, size=(1000, 700))
    try:
        window.wait_for_column("Backlog", SEED)
        assert window.driver.get_window_size() == {"width": 1000, "height": 700}
        # Kept a moment after the last change, so the kill that ends a WebDriver session keeps it too.
        wait_until(lambda: (data_dir / "window-state.json").exists(), 10, "the window's size is kept")
    finally:
        window.quit()
    again = Window(data_dir, size=None)
    try:
        again.wait_for_column("Backlog", SEED)
        assert again.driver.get_window_size() == {"width": 1000, "height": 700}, again.driver.get_window_size()
    finally:
        again.quit()

"""End to end: the participant page on a phone (Chromium's mobile emulation at 390×844 with
touch). The board comes first with its columns side by side at a readable width, scrolled
sideways; people and the transcript are a tab away; Mute and Leave stay in reach. A card
dragged by touch (press and hold, move, release) lands on the host's board, and so does a
move made with the card editor's column picker."""

import os
from pathlib import Path

from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from rig import Host, make_wav, wait_until

ARTIFACTS = Path(os.environ.get("BOARDROOM_ARTIFACTS", "test-artifacts"))


def touch_drag(driver, card_id: str, status: str):
    """Press and hold on the card (past the 250 ms hold that lifts it), slide onto the
    column's visible edge in small steps, release: what a finger does."""
    card = driver.find_element(By.CSS_SELECTOR, f'li[data-card-id="{card_id}"]').rect
    column = driver.find_element(By.CSS_SELECTOR, f'section[data-status="{status}"]').rect
    width = driver.execute_script("return window.innerWidth")
    sx, sy = card["x"] + card["width"] / 2, card["y"] + card["height"] / 2
    ex, ey = min(column["x"] + 20, width - 40), column["y"] + 120
    finger = PointerInput(interaction.POINTER_TOUCH, "finger")
    actions = ActionBuilder(driver, mouse=finger)
    actions.pointer_action.move_to_location(int(sx), int(sy)).pointer_down().pause(0.6)
    steps = 15
    for i in range(1, steps + 1):
        actions.pointer_action.move_to_location(int(sx + (ex - sx) * i / steps), int(sy + (ey - sy) * i / steps)).pause(0.04)
    actions.pointer_action.pause(0.3).pointer_up()
    actions.perform()


def screenshot(page, name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_a_phone_sees_the_board_first_and_moves_cards_by_touch(tmp_path, data_dir, browsers):
    host = Host(data_dir, "--microphone", "none")
    try:
        phone = browsers(make_wav(tmp_path / "ana.wav", speech="Joining from my phone."), phone=True)
        phone.join(host.invite, "Ana")
        driver = phone.driver
        assert driver.execute_script("return window.innerWidth") == 390
        # The board first, its columns at a readable width; the next one peeks in.
        columns = driver.find_elements(By.CSS_SELECTOR, "section[data-status]")
        widths = [c.rect["width"] for c in columns]
        assert all(w >= 250 for w in widths), widths
        assert columns[1].rect["x"] < 390, "the next column peeks in from the right"
        for label in ("Mute", "Leave"):
            button = driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']")
            assert button.is_displayed() and button.rect["y"] + button.rect["height"] <= 844, label
        screenshot(phone, "participant-phone-390x844")

        touch_drag(driver, "card-001", "In Progress")
        wait_until(lambda: any("moved card-001" in line and "by Ana" in line for line in host.lines), 10, f"the touch drag lands: {host.lines[-3:]}")
        phone.wait(lambda _: "card-001" in phone.column_ids("In Progress"), message=f"the page shows it too: {host.lines[-3:]} {phone.column_ids('In Progress')}")

        # The editor's column picker moves a card without dragging.
        driver.find_element(By.CSS_SELECTOR, 'li[data-card-id="card-002"] .card-title').click()
        Select(phone.wait(lambda d: d.find_element(By.NAME, "status"))).select_by_visible_text("Done")
        driver.find_element(By.XPATH, "//button[normalize-space()='Save']").click()
        wait_until(lambda: any("moved card-002" in line and "Done" in line for line in host.lines), 10, f"the picker's move lands: {host.lines[-3:]}")

        # People and the transcript are a tab away.
        driver.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'People')]").click()
        phone.wait(lambda _: "Ana (you)" in phone.people(), message="the people tab")
        assert not driver.find_element(By.CSS_SELECTOR, "section[data-status]").is_displayed()
        screenshot(phone, "participant-phone-people-390x844")

        desktop = browsers(make_wav(tmp_path / "bo.wav", speech="And from my desk."))
        desktop.driver.set_window_size(1280, 800)
        desktop.join(host.invite, "Bo")
        desktop.wait(lambda _: "card-002" in desktop.column_ids("Done"), message="the desktop page shows the moves")
        screenshot(desktop, "participant-desktop-1280x800")
    finally:
        host.stop()

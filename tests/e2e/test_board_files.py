"""End to end on the real built app: the board goes out through the system's save dialog and a
Trello export comes in through its open dialog. The GTK file dialogs are driven as a person
would, by typing the file's path into them (xdotool), since WebDriver reaches only the page."""

import csv
import json
import subprocess
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import Window

SEED = ["card-001", "card-002", "card-003", "card-004", "card-005"]

TRELLO = {
    "name": "Team",
    "actions": [{"id": "a1", "type": "createCard", "data": {}}],
    "lists": [
        {"id": "L1", "name": "To Do", "closed": False, "pos": 1},
        {"id": "L2", "name": "QA", "closed": False, "pos": 2},
        {"id": "L3", "name": "Done", "closed": False, "pos": 3},
    ],
    "cards": [
        {"id": "c1", "idList": "L1", "name": "Write the runbook", "desc": "For on-call", "closed": False, "pos": 1,
         "labels": [{"name": "docs", "color": "blue"}]},
        {"id": "c2", "idList": "L2", "name": "Check the login fix", "desc": "", "closed": False, "pos": 1, "labels": []},
        {"id": "c3", "idList": "L3", "name": "Rotate the keys", "desc": "", "closed": False, "pos": 1, "labels": []},
        {"id": "c4", "idList": "L3", "name": "An archived card", "desc": "", "closed": True, "pos": 2, "labels": []},
    ],
}


def type_into_file_dialog(title: str, path: Path):
    """Waits for the GTK file dialog titled `title` and types `path` into it, then Enter."""
    found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
                           capture_output=True, text=True, timeout=20, check=True)
    dialog = found.stdout.split()[-1]
    subprocess.run(["xdotool", "windowfocus", "--sync", dialog], check=True, timeout=10)
    time.sleep(0.5)  # GTK settles its focus after mapping
    # Ctrl+L opens the location field in both the open and the save dialog; Ctrl+A replaces what it holds.
    for keys in (["key", "--clearmodifiers", "ctrl+l"], ["key", "--clearmodifiers", "ctrl+a"],
                 ["type", "--delay", "20", str(path)], ["key", "Return"]):
        subprocess.run(["xdotool", *keys], check=True, timeout=20)
        time.sleep(0.2)


def test_export_and_import_through_the_file_dialogs(data_dir: Path, tmp_path: Path):
    trello = tmp_path / "trello board.json"
    trello.write_text(json.dumps(TRELLO))
    exported = tmp_path / "standup.csv"
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", SEED)
        window.press("Import and export")
        dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"][aria-labelledby="board-files-heading"]'))

        dialog.find_element(By.CSS_SELECTOR, '[aria-label="Export as CSV"]').click()
        type_into_file_dialog("Export the board", exported)
        status = window.wait(lambda _: dialog.find_element(By.CSS_SELECTOR, '[role="status"]'))
        assert status.text == "Exported the board as CSV to standup.csv."
        rows = list(csv.DictReader(exported.open(newline="")))
        assert [row["id"] for row in rows] == SEED
        assert rows[0]["column"] == "Backlog" and rows[0]["tags"].split("\n")[0] == "webrtc"

        window.press("Choose a file…")
        type_into_file_dialog("Import cards", trello)
        form = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, 'form[aria-label="Import trello board.json"]'))
        assert "trello board.json: 3 cards from a Trello export; 1 card archived, left out" in form.text
        submit = form.find_element(By.XPATH, './/button[@type="submit"]')
        assert submit.text == "Import 3 cards" and not submit.is_enabled(), "QA has no column yet"
        qa = form.find_element(By.XPATH, './/label[contains(., "QA")]//select')
        Select(qa).select_by_visible_text("In Progress")
        form.find_element(By.XPATH, './/label[contains(., "In place of")]/input').click()
        window.screenshot("import-dialog")
        submit.click()

        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'))
        window.wait(lambda _: len(window.column_ids("Backlog")) == 1 and len(window.column_ids("In Progress")) == 1)
        # Read in one go, and again if the board re-renders meanwhile (a stale element).
        titles = lambda d: sorted(t.text for t in d.find_elements(By.CSS_SELECTOR, "li[data-card-id] .card-title"))
        window.wait(lambda d: titles(d) == ["Check the login fix", "Rotate the keys", "Write the runbook"], message="the imported cards")
        imported = "Imported 3 cards from “trello board.json” in place of 5 cards"
        window.wait(lambda d: imported in d.find_element(By.CSS_SELECTOR, ".activity-list").text, message="the import in the activity log")

        # One Undo takes the whole import back.
        window.driver.find_element(By.CSS_SELECTOR, '[aria-label="Undo: Imported 3 cards from “trello board.json” in place of 5 cards"]').click()
        window.wait_for_column("Backlog", SEED)
        assert window.column_ids("Done") == []
    finally:
        window.quit()

"""The installed .deb: /usr/bin/boardroom launches and shows the seed board, and its desktop
file makes it the handler of boardroom:// invite links."""

import subprocess
from pathlib import Path

import pytest

from conftest import Window

INSTALLED = Path("/usr/bin/boardroom")
DESKTOP_FILE = Path("/usr/share/applications/Boardroom.desktop")


@pytest.mark.installed
def test_installed_app_shows_the_board(data_dir: Path):
    assert INSTALLED.exists(), "install the .deb first (scripts/test.sh does)"
    window = Window(data_dir, app=str(INSTALLED))
    try:
        window.wait_for_column("Backlog", ["card-001", "card-002", "card-003", "card-004", "card-005"])
        window.screenshot("installed-app")
    finally:
        window.quit()


@pytest.mark.installed
def test_the_desktop_file_opens_boardroom_links_with_the_app():
    entry = dict(line.split("=", 1) for line in DESKTOP_FILE.read_text().splitlines() if "=" in line)
    assert entry["MimeType"] == "x-scheme-handler/boardroom", entry
    # %u: the clicked link is handed to the app as its argument.
    assert entry["Exec"] == "boardroom %u", entry
    # What the desktop asks when a boardroom:// link is clicked (xdg-open, the browser).
    found = subprocess.run(["gio", "mime", "x-scheme-handler/boardroom"], capture_output=True, text=True)
    assert "Boardroom.desktop" in found.stdout, found.stdout + found.stderr

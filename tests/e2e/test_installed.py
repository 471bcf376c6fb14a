"""The installed .deb: /usr/bin/boardroom launches and shows the seed board."""

from pathlib import Path

import pytest

from conftest import Window

INSTALLED = Path("/usr/bin/boardroom")


@pytest.mark.installed
def test_installed_app_shows_the_board(data_dir: Path):
    assert INSTALLED.exists(), "install the .deb first (scripts/test.sh does)"
    window = Window(data_dir, app=str(INSTALLED))
    try:
        window.wait_for_column("Backlog", ["card-001", "card-002", "card-003", "card-004", "card-005"])
        window.screenshot("installed-app")
    finally:
        window.quit()

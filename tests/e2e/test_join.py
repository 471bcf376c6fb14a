"""End to end: the desktop app joins somebody else's room. The room is `boardroom-host
--room-lan` on another computer (a network namespace, reached over a veth cable, HTTPS with
the room's own certificate, which the window trusts by the fingerprint in the invite link);
the window runs here, with PulseAudio's virtual microphone and speakers. A colleague joins
from headless Chromium (trusting the room's certificate in its NSS database, no flags)."""

import os
import subprocess
import urllib.parse
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import FAKE_KEY, FakeRealtime, HttpsFront, Window, app_path, drag_with_pointer, fake_realtime_binary, saved_board
from netns import Network, ThrowawayCa, nss_home
from rig import Host, make_wav, wait_until
from test_window import SEED, drag_with_keyboard

ROOM, HERE = "192.168.181.10", "192.168.181.1"
COLUMNS = ["Backlog", "In Progress", "Blocked", "Done"]


def other_computer(network: Network) -> str:
    """The host's computer: a namespace cabled to this one."""
    room_ns = network.host("room")
    cable = network.link_here(room_ns, f"{ROOM}/24", f"{HERE}/24")
    network.default_route(room_ns, device=cable)
    return room_ns


def join_from_window(window: Window, name: str, link: str | None = None):
    """Fills in "Join a meeting" (opened with `link`, or by the button and pasting it) and joins."""
    if link is not None:
        window.press("Join a meeting…")
    dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[role=dialog][aria-labelledby=join-heading]"))
    if link is not None:
        field = dialog.find_element(By.NAME, "invite-link")
        field.clear()
        field.send_keys(link)
    field = dialog.find_element(By.NAME, "your-name")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(name)
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Join']").click()


def banner(window: Window) -> str:
    found = window.driver.find_elements(By.CSS_SELECTOR, ".guest-banner")
    return found[0].text if found else ""


def columns(window: Window) -> dict[str, list[str]]:
    return {status: window.column_ids(status) for status in COLUMNS}


def saved_columns(data_dir: Path) -> dict[str, list[str]]:
    board = saved_board(data_dir)
    return {column["status"]: [card["id"] for card in column["cards"]] for column in board["columns"]}


def test_the_window_joins_a_room_on_another_computer(tmp_path, data_dir, network, browsers, speakers):
    room_ns = other_computer(network)
    # The Realtime service, on this computer's address that the host's computer reaches, over
    # HTTPS with a certificate of a CA the host's computer trusts.
    fake_realtime = FakeRealtime(fake_realtime_binary(), listen=HERE)
    ca_dir = tmp_path / "ca"
    ca_dir.mkdir()
    ca = ThrowawayCa(ca_dir)
    api = HttpsFront(fake_realtime, *ca.issue("api", [HERE]))
    host_dir = tmp_path / "host"
    host_dir.mkdir()
    host_tone = speakers.play_into_microphone(make_wav(tmp_path / "tone.wav", tone=440), sink="boardroom_othermic")
    speakers.play_into_microphone(make_wav(tmp_path / "mine.wav", tone=660))
    host = Host(
        host_dir, "--room-lan", namespace=room_ns,
        env={
            "PULSE_SOURCE": "boardroom_othermic.monitor", "PULSE_SINK": "boardroom_browsers",
            "OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": api.base_url, "SSL_CERT_FILE": str(ca.cert),
        },
    )
    window = Window(data_dir)
    try:
        assert host.invite.startswith(f"https://{ROOM}:") and "#fp=sha256:" in host.invite, host.invite
        window.wait_for_column("Backlog", SEED)
        own = columns(window)
        own_files = {p.name: p.read_bytes() for p in data_dir.glob("board.*")}

        join_from_window(window, "Dee", host.invite)
        window.wait(lambda _: "You are in Host's room" in banner(window), 30, message=banner(window))
        wait_until(lambda: host.participants() == "Host, Dee", 30, f"the host lists Dee: {host.participants()}")
        window.wait_for_column("Backlog", SEED)

        # The host's 440 Hz tone plays on this computer's speakers.
        tone = wait_until(
            lambda: (t := speakers.speakers_tone(2))[0] > -45 and abs(t[1] - 440) < 10 and t, 30, "the window plays the host's 440 Hz tone"
        )

        # The window's microphone (660 Hz) reaches the host's mix and the voice operator.
        speakers.silence(host_tone)

        def window_at_the_fake():
            calls = fake_realtime.state()["calls"]
            recent = calls[-1]["recent_audio"] if calls else None
            return recent if recent and recent["rms_dbfs"] > -45 and abs(recent["frequency"] - 660) < 10 else None

        heard = wait_until(window_at_the_fake, 30, f"the fake hears the window: {fake_realtime.state()['calls'][-1:]}")
        print(f"host's tone on the window's speakers: {tone[0]:.1f} dBFS at {tone[1]:.1f} Hz; the window at the Realtime fake: {heard}")

        # A drag in the window lands in the host's board file, as Dee's.
        drag_with_keyboard(window, "card-002", Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        window.wait_for_column("Blocked", ["card-002"])
        wait_until(lambda: saved_columns(host_dir)["Blocked"] == ["card-002"], 10, "the host saves Dee's move")
        assert "Dee" in host.output(), host.output()

        # A colleague's edit in the browser shows in the window.
        trusted = nss_home(tmp_path, {"boardroom-room": (host_dir / "room-tls" / "cert.pem", "P,,")})
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Good morning."), home=trusted)
        ana.join(host.invite, "Ana")
        window.wait(lambda _: "Ana" in window.driver.find_element(By.CSS_SELECTOR, "section.participants").text, message="the window lists Ana")
        drag_with_pointer(ana.driver, "card-003", "Done")
        window.wait_for_column("Done", ["card-003"])
        window.screenshot("guest-in-a-room")

        # The host mutes Dee for everyone: the window says so; unmuted, it says so no more.
        dee = host.id_of("Dee")
        assert host.command(f"mute {dee}") == f"control: done: mute {dee}", host.output()
        window.wait(lambda _: "The host muted you" in banner(window), message=banner(window))
        host.command(f"unmute {dee}")
        window.wait(lambda _: "The host muted you" not in banner(window), message=banner(window))

        # Leave: the window's own board, exactly as it was.
        window.press("Leave")
        window.wait(lambda _: banner(window) == "", message="the banner goes")
        window.wait(lambda _: columns(window) == own, message=f"the own board comes back: {columns(window)}")
        assert {p.name: p.read_bytes() for p in data_dir.glob("board.*")} == own_files, "the own board's files are untouched"
        wait_until(lambda: host.participants() == "Host, Ana", 10, f"Dee left the room: {host.participants()}")
        assert fake_realtime.state()["problems"] == []
    finally:
        window.quit()
        host.stop()
        fake_realtime.stop()
        api.stop()


def test_an_invite_link_reaches_the_running_window_and_bad_links_change_nothing(tmp_path, data_dir, network):
    room_ns = other_computer(network)
    host_dir = tmp_path / "host"
    host_dir.mkdir()
    host = Host(host_dir, "--room-lan", "--microphone", "none", namespace=room_ns)
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", SEED)
        link, fragment = host.invite.split("#", 1)
        # A certificate other than the one the link names, a wrong token, each say so and change nothing.
        for bad, says in [
            (f"{link}#fp=sha256:{'ab' * 32}", "certificate is not the one the invite link names"),
            (f"{link[:-1]}{'A' if link[-1] != 'A' else 'B'}#{fragment}", "not valid"),
        ]:
            join_from_window(window, "Dee", bad)
            window.wait(lambda d: says in d.find_element(By.CSS_SELECTOR, ".toasts").text, 30, message=f"the window says why: {says}")
            window.wait_for_column("Backlog", SEED)
            assert banner(window) == "" and host.participants() == "Host"

        # The app started again with an invite link hands it to the window already running on
        # this data folder, and exits.
        app_link = "boardroom://join?url=" + urllib.parse.quote(host.invite, safe="")
        second = subprocess.run([app_path(), app_link], env={**os.environ, "BOARDROOM_DATA_DIR": str(data_dir)}, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        field = window.wait(lambda d: d.find_element(By.NAME, "invite-link"), message="the window offers to join")
        assert field.get_attribute("value") == app_link
        join_from_window(window, "Dee")
        window.wait(lambda _: "You are in Host's room" in banner(window), 30, message=banner(window))
        wait_until(lambda: host.participants() == "Host, Dee", 30, host.participants())

        # The headless host on the window's data folder is refused, saying who has it.
        refused = subprocess.run([os.environ["BOARDROOM_HOST"], "--data-dir", str(data_dir), "--room"], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1 and "is in use by the Boardroom app (process" in refused.stderr, refused.stderr

        # The room ends: the window says so and goes home.
        host.stop()
        window.wait(lambda d: "ended the room" in d.find_element(By.CSS_SELECTOR, ".toasts").text, 30, message="the window says the room ended")
        window.wait(lambda _: banner(window) == "", message="home again")
        window.wait_for_column("Backlog", SEED)
        # Its link now leads nowhere, and joining says so.
        join_from_window(window, "Dee", host.invite)
        window.wait(lambda d: "could not be reached" in d.find_element(By.CSS_SELECTOR, ".toasts").text, 30, message="the window says the room is gone")
        window.wait(lambda _: banner(window) == "", message="still home")
        window.wait_for_column("Backlog", SEED)
    finally:
        window.quit()
        host.stop()

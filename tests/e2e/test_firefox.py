"""End to end: a Firefox participant works as a Chromium one does. Firefox ESR and Chromium join
the same room on the LAN over HTTPS, each from a computer of its own (a network namespace),
both trusting the room's test CA through their NSS databases as an organisation deploys its own
CA. Firefox hears the host and Chromium sender by sender, and the page's analysers read what
Firefox really plays (recorded from its sink); Chromium and the host hear Firefox's microphone;
Firefox drags a card, mutes and unmutes, comes back by itself after its connection is cut, and
leaves."""

from conftest import drag_with_pointer
from netns import firefox_profile, nss_home
from rig import FirefoxParticipant, Host, make_turns, make_wav, wait_until

ROOM, FOX, ANA = "192.168.77.10", "192.168.77.20", "192.168.78.20"
# Each sender's tone: what the others must hear of it, sender by sender.
HOST_HZ, FOX_HZ, ANA_HZ = 440, 700, 300


def hears(page, sender: str, hz: float, floor: float = -45.0) -> bool:
    heard = page.heard().get(sender, {})
    return heard.get("rmsDbfs", -100) > floor and abs(heard.get("frequency", 0) - hz) < 10


def silent(page, sender: str) -> bool:
    return page.heard().get(sender, {}).get("rmsDbfs", -100) < -60


def test_a_firefox_participant_meets_a_chromium_one_as_an_equal(tmp_path, data_dir, network, ca, browsers, speakers):
    room_ns, fox_ns, ana_ns = network.host("room"), network.host("fox"), network.host("ana")
    room_if, fox_if = network.link(room_ns, f"{ROOM}/24", fox_ns, f"{FOX}/24")
    network.link(room_ns, "192.168.78.10/24", ana_ns, f"{ANA}/24")
    network.default_route(room_ns, device=room_if)
    network.default_route(ana_ns, via="192.168.78.10")
    cert, key = ca.issue("room", [ROOM])
    # The host speaks in turns (its microphone's processing turns a steady tone down as a hum),
    # on a headset: echo is test_echo.py's subject, and steady tones on the speakers from both
    # participants at once are double talk that never ends.
    host_says = make_turns(tmp_path / "host.wav", tone=HOST_HZ, on=1.5, period=2.5)
    host_voice = speakers.play_into_microphone(host_says)
    host = Host(data_dir, "--room-lan", "--tls-cert", str(cert), "--tls-key", str(key), "--speakers", "--headset", namespace=room_ns)
    try:
        trusted = {"boardroom-test-ca": (ca.cert, "C,,")}
        gecko = network.webdriver_url(fox_ns, nss_home(tmp_path, {}), firefox=True, env=speakers.playing_into("boardroom_firefox"))
        fox = browsers(FirefoxParticipant(gecko, firefox_profile(tmp_path, trusted, tone=FOX_HZ)))
        ana = browsers(make_wav(tmp_path / "ana.wav", tone=ANA_HZ), driver_url=network.webdriver_url(ana_ns, nss_home(tmp_path, trusted)))
        assert "Firefox" in fox.driver.execute_script("return navigator.userAgent")

        fox.join(host.invite, "Fox")
        assert fox.driver.execute_script("return window.isSecureContext && location.protocol") == "https:"
        ana.join(host.invite, "Ana")
        wait_until(lambda: host.participants() == "Host, Fox, Ana", 30, f"the host lists both: {host.participants()}")
        fox_id, ana_id = host.id_of("Fox"), host.id_of("Ana")
        fox.wait(lambda _: fox.people().count("connected") == 2, 30, f"Fox sees both connected: {fox.people()}")

        # Firefox hears each sender at its tone, and is heard by Chromium and by the host.
        wait_until(lambda: hears(fox, "host", HOST_HZ) and hears(fox, ana_id, ANA_HZ), 30, f"Fox hears the host and Ana: {fox.heard()}")
        wait_until(lambda: hears(ana, fox_id, FOX_HZ), 30, f"Ana hears Fox: {ana.heard()}")
        level = speakers.record_speakers(3)
        assert level > -45, f"the host's speakers play the room: {level:.1f} dBFS"

        # What the page measures is what Firefox plays: with the host quiet, Firefox's sink carries Ana alone.
        speakers.silence(host_voice)
        wait_until(lambda: silent(fox, "host"), 10, f"the host is quiet: {fox.heard()}")
        played, frequency = speakers.speakers_tone(3, sink="boardroom_firefox")
        measured = fox.heard()[ana_id]
        print(f"Firefox plays {played:.1f} dBFS at {frequency:.0f} Hz; its page measures {measured}")
        assert abs(frequency - ANA_HZ) < 10, f"Firefox plays Ana's tone: {frequency:.0f} Hz"
        assert abs(played - measured["rmsDbfs"]) < 6, f"the page reads {measured['rmsDbfs']:.1f} dBFS, Firefox plays {played:.1f} dBFS"
        host_voice = speakers.play_into_microphone(host_says)
        wait_until(lambda: hears(fox, "host", HOST_HZ), 10, f"the host again: {fox.heard()}")

        # Firefox drags a card with the pointer; everyone's board follows.
        drag_with_pointer(fox.driver, "card-002", "Blocked")
        wait_until(lambda: any("moved card-002" in line and "by Fox" in line for line in host.lines), 10, "\n".join(host.lines[-5:]))
        ana.wait(lambda _: "card-002" in ana.column_ids("Blocked"), message="Ana's board follows")

        # Firefox mutes: nobody hears it, the room shows it; unmuting brings it back.
        fox.driver.find_element("xpath", "//button[normalize-space()='Mute']").click()
        wait_until(lambda: host.participants() == "Host, Fox (muted), Ana", 10, host.participants())
        wait_until(lambda: silent(ana, fox_id), 10, f"Fox is silent for Ana: {ana.heard()}")
        fox.driver.find_element("xpath", "//button[normalize-space()='Unmute']").click()
        wait_until(lambda: hears(ana, fox_id, FOX_HZ), 10, f"Fox is heard again: {ana.heard()}")

        # Firefox's connection to the room is cut (its computer resets it, as a router that
        # forgets the connection does): the page comes back by itself as the same person.
        network.sh(fox_ns, f"ss -K dst {ROOM}")
        wait_until(lambda: any(line.startswith("participants: ") and "Fox (p" in line and "reconnecting" in line for line in host.lines), 20, "the host sees the drop")
        wait_until(lambda: host.participants() == "Host, Fox, Ana", 30, host.participants())
        assert host.id_of("Fox") == fox_id, "the same person, not a newcomer"
        wait_until(lambda: hears(ana, fox_id, FOX_HZ) and hears(fox, "host", HOST_HZ), 30, f"heard again: {ana.heard()} / {fox.heard()}")

        fox.leave()
        wait_until(lambda: host.participants() == "Host, Ana", 10, host.participants())
        ana.wait(lambda _: "Fox" not in ana.people(), message=ana.people())
    finally:
        host.stop()

"""End to end: the meeting room with real browsers. Headless Chromium (Debian's, through
chromedriver) joins through the invite link with fake media made from espeak-ng speech or
sox tones. The room is hosted by the headless host (`boardroom-host --room`) for the audio
and signaling checks, and by the real window for the hand-and-browser checks."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
import websocket
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, FAKE_KEY, SUGGESTIONS, Window, drag_with_pointer
from rig import Host, make_turns, make_wav, wait_until


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

        # A deletion by voice waits on every page, with the words that led to it, until
        # someone answers: Ana accepts one, Bo rejects the other.
        def suggest_deletion(call_id: str, card_id: str):
            item = {"type": "function_call", "call_id": call_id, "name": "delete_ticket", "arguments": json.dumps({"card_id": card_id})}
            fake_realtime.send({"type": "response.output_item.done", "response_id": f"resp_{call_id}", "item": item})

        def suggestions(page) -> str:
            return page.driver.execute_script(SUGGESTIONS)

        suggest_deletion("call_delete_buffer", "card-002")
        for page in (ana, bo):
            page.wait(lambda _: "Delete “Add RTP Retransmission Buffer”" in suggestions(page) and said in suggestions(page), message=f"the suggestion on the page: {suggestions(page)}")
        assert "card-002" in bo.column_ids("Backlog"), "nothing changes until someone accepts"
        ana.driver.find_element(By.CSS_SELECTOR, '[aria-label="Accept: Delete “Add RTP Retransmission Buffer” from Backlog"]').click()
        bo.wait(lambda _: "card-002" not in bo.column_ids("Backlog") and suggestions(bo) == "", message=f"Bo sees it accepted: {suggestions(bo)}")
        suggest_deletion("call_delete_cleanup", "card-004")
        bo.wait(lambda _: "Harden DTLS/SRTP Cleanup" in suggestions(bo), message=f"the second suggestion: {suggestions(bo)}")
        bo.driver.find_element(By.CSS_SELECTOR, '[aria-label^="Reject: Delete “Harden DTLS/SRTP Cleanup”"]').click()
        ana.wait(lambda _: suggestions(ana) == "", message=f"Ana sees it rejected: {suggestions(ana)}")
        assert "card-004" in ana.column_ids("In Progress") + ana.column_ids("Blocked") + ana.column_ids("Backlog") + ana.column_ids("Done")
        # The model hears both answers, by name.
        def told() -> list[str]:
            events = fake_realtime.state()["calls"][-1]["events"]
            return [e["item"]["content"][0]["text"] for e in events if e["type"] == "conversation.item.create" and e["item"]["type"] == "message"]
        wait_until(lambda: any('by participant "Ana": accepted suggestion' in t for t in told()) and any('by participant "Bo": rejected suggestion' in t for t in told()), 20, f"the model hears the answers: {told()[1:]}")
        assert "accepted suggestion" in host.output() and "rejected suggestion" in host.output()

        # The host's speakers play the participants (and never the host's own tone: mix-minus).
        level = speakers.record_speakers(3)
        assert level > -45, f"the host's speakers play the participants: {level:.1f} dBFS"
    finally:
        host.stop()
    assert fake_realtime.state()["problems"] == []


ANA_HZ, BO_HZ = 300, 500


def test_the_transcript_and_the_voice_changes_name_who_spoke(tmp_path, data_dir, browsers, fake_realtime):
    """Ana speaks (a 300 Hz tone) 1.2 s in every 3.6 s, Bo (500 Hz) 1.2 s in every 6 s: each
    alone at times, both at once at others. The fake detects the utterances in the room mix as
    the service does; what each really held (its tones) is checked against the names the
    transcript lines and a voice change carry on the pages and on the host's lines."""
    host = Host(data_dir, "--microphone", "none", env={"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": fake_realtime.base_url})
    try:
        ana = browsers(make_turns(tmp_path / "ana.wav", ANA_HZ, on=1.2, period=3.6))
        bo = browsers(make_turns(tmp_path / "bo.wav", BO_HZ, on=1.2, period=6.0))
        ana.join(host.invite, "Ana")
        bo.join(host.invite, "Bo")
        wait_until(lambda: host.participants() == "Host, Ana, Bo", 30, f"the host lists both: {host.participants()}")
        joined = len(fake_realtime.speech([]))

        def who_really(utterance: dict) -> frozenset[str] | None:
            """Who spoke, from the tones; None when one of them only grazes the utterance (a
            turn's edge at its start or end), where the truth itself is in doubt: the host
            counts whoever speaks for 30 % as long as the main speaker, which a tone's level
            measured over the whole span only approximates."""
            levels = {name: utterance["tones"][str(hz)] for hz, name in ((ANA_HZ, "Ana"), (BO_HZ, "Bo"))}
            loudest = max(levels.values())
            if any(max(0.005, 0.1 * loudest) < level < 0.4 * loudest for level in levels.values()):
                return None
            return frozenset(name for name, level in levels.items() if level >= 0.4 * loudest)

        wanted = {frozenset({"Ana"}), frozenset({"Bo"}), frozenset({"Ana", "Bo"})}
        found: dict[frozenset, dict] = {}

        def one_of_each():
            for utterance in fake_realtime.speech([ANA_HZ, BO_HZ])[joined:]:
                if utterance["audio_end_ms"] is not None:
                    truth = who_really(utterance)
                    if truth in wanted and truth not in found:
                        found[truth] = utterance
            return len(found) == len(wanted)

        wait_until(one_of_each, 60, f"utterances by Ana alone, Bo alone and both: {found} of {fake_realtime.speech([ANA_HZ, BO_HZ])[-8:]}")
        shown = {frozenset({"Ana"}): ["Ana"], frozenset({"Bo"}): ["Bo"]}
        for truth, utterance in found.items():
            said = f"Utterance {utterance['item_id']}."
            fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": utterance["item_id"], "content_index": 0, "transcript": said})
            line = wait_until(lambda: next((l for l in host.output().splitlines() if l.endswith(said)), None), 20, f"the host's line for {said}")
            if len(truth) == 1:
                assert line == f"heard from {next(iter(truth))}: {said}", (line, utterance)
                expected = shown[truth]
            else:
                assert line in (f"heard from several people: Ana, Bo: {said}", f"heard from several people: Bo, Ana: {said}"), (line, utterance)
                expected = [line.removeprefix("heard from ").removesuffix(f": {said}")]
            for page in (ana, bo):
                speaker = lambda: page.driver.execute_script(TRANSCRIPT_SPEAKER, said)
                page.wait(lambda _: speaker() == expected[0], message=f"the page names {expected[0]} on {said!r}: {speaker()!r}")
            print(f"{utterance['item_id']} {utterance['audio_start_ms']}–{utterance['audio_end_ms']} ms, tones {utterance['tones']}: {line}")

        # A change made on Bo's words says so on the pages and on the host's lines.
        bo_alone = found[frozenset({"Bo"})]
        fake_realtime.send({"type": "input_audio_buffer.committed", "item_id": bo_alone["item_id"], "previous_item_id": None})
        arguments = json.dumps({"card_id": "card-003", "tags": ["attribution"]})
        fake_realtime.send({"type": "response.output_item.done", "response_id": "resp_tag", "item": {"type": "function_call", "call_id": "call_tag", "name": "add_tags", "arguments": arguments}})
        change = wait_until(lambda: host.value("board: revision 1"), 20, "the change on the host's lines")
        assert f'(by voice, from Bo: "Utterance {bo_alone["item_id"]}.")' in change, change
        activity = lambda page: page.driver.find_element(By.CSS_SELECTOR, "section.activity").text
        for page in (ana, bo):
            page.wait(lambda _: "Voice, from Bo ·" in activity(page), message=activity(page))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        ana.driver.save_screenshot(str(ARTIFACTS / "page-who-spoke.png"))
    finally:
        host.stop()
    assert fake_realtime.state()["problems"] == []


# The speaker named on the page's transcript line with this text ("" if none).
TRANSCRIPT_SPEAKER = """
const item = [...document.querySelectorAll("section.transcript li")].find((li) => li.textContent.includes(arguments[0]));
return item ? (item.querySelector(".speaker")?.textContent ?? "") : null;
"""


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
        socket.send(json.dumps({"type": "hello", "version": 2, "name": "Mallory", "device": "mallorys-own-device-key"}))
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
        wait_until(lambda: any(line == "participants: Host, Ana (p1, reconnecting)" for line in host.lines), 20, "the host sees the drop")
        # The page reconnects through the same link and rejoins as the same person, not "Ana (2)".
        wait_until(lambda: host.participants() == "Host, Ana", 30, host.participants())
        ana.wait(lambda _: "Ana (you)" in ana.people() and "connected" in ana.people(), message=f"Ana is back: {ana.people()}")
        drag_with_pointer(ana.driver, "card-002", "Blocked")
        wait_until(lambda: any("moved card-002" in line and "by Ana" in line for line in host.lines), 10, "\n".join(host.lines[-5:]))
    finally:
        host.stop()


def test_the_headless_host_lets_people_in_turns_them_away_and_keeps_the_removed_out(tmp_path, data_dir, browsers):
    """`--ask-to-join`: newcomers wait, the host answers on standard input."""
    host = Host(data_dir, "--microphone", "none", "--ask-to-join")
    try:
        ana = browsers(make_wav(tmp_path / "ana.wav", speech="Let me in please."))
        bo = browsers(make_wav(tmp_path / "bo.wav"))
        ana.knock(host.invite, "Ana")
        bo.knock(host.invite, "Bo")
        wait_until(lambda: host.value("lobby: ") == "ask to join; waiting: Ana (w1), Bo (w2)", 30, f"both wait: {host.value('lobby: ')}")
        ana.wait(lambda _: ana.waiting(), message="Ana's page says she waits for the host")
        assert host.participants() == "Host", "nobody is in before the host says so"

        # Commands take the id beside the name, never the name.
        assert host.command("admit Ana") == 'control: nobody with id "Ana" is waiting (use the id shown beside the name, not the name)'
        assert host.command("admit w1") == "control: done: admit w1"
        ana.wait(lambda _: ana.in_room(), message="Ana is let in")
        assert host.command("decline w2") == "control: done: decline w2"
        assert "did not let you in" in bo.closed_reason()
        assert host.command("admit w9") == 'control: nobody with id "w9" is waiting (use the id shown beside the name, not the name)'
        wait_until(lambda: host.participants() == "Host, Ana", 20, host.participants())

        # Removed is final: "Join again" from the same browser is refused with a clear page.
        assert host.command("remove p1") == "control: done: remove p1"
        assert "removed you" in ana.closed_reason()
        ana.knock(host.invite, "Ana again")
        ana.wait(lambda _: "removed you from this meeting" in ana.closed_reason(), message="the rejoin is refused")
        wait_until(lambda: host.value("lobby: ") == "ask to join; removed: Ana (p1)", 10, f"{host.value('lobby: ')}")
        assert host.participants() == "Host"

        # Locked: a newcomer is turned away at once, with a page that says so.
        assert host.command("lock") == "control: done: lock"
        bo.knock(host.invite, "Bo")
        assert "locked this meeting" in bo.closed_reason()
        assert host.value("lobby: ").startswith("locked")
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

        ana = browsers(make_wav(tmp_path / "ana.wav", tone=660, seconds=120))
        ana.join(link, "Ana")
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-participant="Ana"]'), message="Ana appears in the window")
        bo = browsers(make_wav(tmp_path / "bo.wav"))
        bo.join(link, "Bo")
        ana_level = lambda: bo.heard().get("p1", {}).get("rmsDbfs", -100)
        wait_until(lambda: ana_level() > -45, 30, f"Bo hears Ana: {bo.heard()}")
        window.screenshot("room-window-with-ana")

        # A drag in the browser shows up in the window…
        drag_with_pointer(ana.driver, "card-003", "In Progress")
        window.wait_for_column("In Progress", ["card-003"])
        # …and a drag in the window shows up in the browser.
        drag_with_pointer(window.driver, "card-001", "Done")
        ana.wait(lambda _: ana.column_ids("Done") == ["card-001"], message=f"Ana sees the move: {ana.column_ids('Done')}")
        activity = window.driver.find_element(By.CSS_SELECTOR, ".activity").text
        assert "Ana" in activity, activity

        # The host mutes Ana for everyone: Bo stops hearing her while she keeps speaking, and
        # hears her again after Unmute. Then the host removes her.
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Mute Ana']").click()
        ana.wait(lambda _: "muted by the host" in ana.people(), message="Ana sees she is muted by the host")
        wait_until(lambda: ana_level() < -60, 10, f"Bo no longer hears Ana: {bo.heard()}")
        time.sleep(2)
        assert ana_level() < -60, f"Bo still hears nothing from Ana: {bo.heard()}"
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Unmute Ana']").click()
        wait_until(lambda: ana_level() > -45, 15, f"Bo hears Ana again: {bo.heard()}")
        print(f"mute for everyone: Bo hears Ana at {ana_level():.1f} dBFS after unmute")
        window.driver.find_element(By.XPATH, "//button[normalize-space()='Remove Ana']").click()
        assert "removed you" in ana.closed_reason()
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-participant="Ana"]'), message="Ana is gone")
        # Removed is final: the same browser cannot come back with the link…
        ana.knock(link, "Ana")
        ana.wait(lambda _: "removed you from this meeting" in ana.closed_reason(), message="Ana's rejoin is refused")
        # …until the host lets her back in.
        window.press("Let Ana back in")
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-removed]"), message="the removed list empties")
        ana.join(link, "Ana")
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-participant="Ana"]'), message="Ana is back")

        # Locked: nobody new can join, and the page says so.
        window.driver.find_element(By.XPATH, "//label[contains(., 'Lock the room')]/input").click()
        cy = browsers(make_wav(tmp_path / "cy.wav"))
        cy.knock(link, "Cy")
        assert "locked this meeting" in cy.closed_reason()
        window.driver.find_element(By.XPATH, "//label[contains(., 'Lock the room')]/input").click()

        # Ask to join: Cy waits until the window admits her; Dee is declined.
        window.driver.find_element(By.XPATH, "//label[contains(., 'Ask me before people join')]/input").click()
        cy.knock(link, "Cy")
        cy.wait(lambda _: cy.waiting(), message="Cy waits for the host")
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-waiting="Cy"]'), message="the window shows Cy waiting")
        window.screenshot("room-window-someone-waits")
        window.press("Admit Cy")
        cy.wait(lambda _: cy.in_room(), message="Cy is let in")
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-participant="Cy"]'), message="Cy is in the window's list")
        dee = bo
        dee.leave()
        dee.knock(link, "Dee")
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-waiting="Dee"]'), message="the window shows Dee waiting")
        window.press("Decline Dee")
        assert "did not let you in" in dee.closed_reason()

        window.press("End room")
        window.wait(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Start room']"), message="the room ends")
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(link, timeout=5)

        # Ending the room ended its meeting: the window shows its notes.
        notes = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"][aria-labelledby="notes-heading"]'), message="the meeting's notes show")
        window.wait(lambda _: "by Ana" in notes.text and "## Who attended" in notes.text, message=notes.text)
        notes.find_element(By.XPATH, './/button[text()="Close"]').click()

        # The next room has the same link, until the host asks for a new one.
        window.press("Start room")
        again = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".invite-link").get_attribute("value"), message="the invite link shows")
        assert again == link, "the link stays"
        assert urllib.request.urlopen(link, timeout=5).status == 200
        window.press("New link")
        window.press("Make a new link")
        renewed = window.wait(lambda d: (value := d.find_element(By.CSS_SELECTOR, ".invite-link").get_attribute("value")) != link and value, message="a new link shows")
        window.screenshot("room-window-new-link")
        with pytest.raises(urllib.error.HTTPError) as replaced:
            urllib.request.urlopen(link, timeout=5)
        assert replaced.value.code == 410 and b"replaced by a new one" in replaced.value.read()
        assert urllib.request.urlopen(renewed, timeout=5).status == 200
        window.press("End room")
    finally:
        window.quit()

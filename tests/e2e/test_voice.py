"""End to end: the voice operator in the real window, against the fake Realtime service
running as a process (tests/fake-realtime, `fake-realtime` binary). The key and the API
address are entered through the Voice settings dialog, as a user would."""

import json
import os
import signal
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import FAKE_KEY as KEY, SUGGESTIONS, FakeRealtime, Window, saved_board


def status_text(window: Window) -> str:
    return window.driver.find_element(By.CSS_SELECTOR, '[data-testid="voice-status"]').text


def test_the_voice_operator_edits_the_board_in_the_window(data_dir: Path, fake_realtime: FakeRealtime):
    window = Window(data_dir)
    try:
        window.wait_for_column("Backlog", ["card-001", "card-002", "card-003", "card-004", "card-005"])
        assert "off until you join" in status_text(window)

        # Enter the key and the fake's address in Voice settings.
        window.driver.find_element(By.XPATH, '//button[text()="Voice settings"]').click()
        dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"]'))
        key_status = dialog.find_element(By.CSS_SELECTOR, '[data-testid="key-status"]')
        window.wait(lambda _: "No key yet" in key_status.text, message=key_status.text)
        dialog.find_element(By.NAME, "api-key").send_keys(KEY)
        dialog.find_element(By.XPATH, './/button[text()="Save key"]').click()
        window.wait(lambda _: "A key is saved" in key_status.text, message=key_status.text)
        dialog.find_element(By.NAME, "base-url").send_keys(fake_realtime.base_url)
        dialog.find_element(By.XPATH, './/button[text()="Save model and address"]').click()
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]') == [] and dialog.find_element(By.NAME, "base-url").get_attribute("value") == fake_realtime.base_url)
        window.screenshot("voice-settings")
        dialog.find_element(By.XPATH, './/button[text()="Close"]').click()
        assert KEY not in window.driver.page_source, "the key never reaches the window"

        # Joining starts the call.
        window.driver.find_element(By.XPATH, '//button[text()="Join room"]').click()
        window.wait(lambda _: "listening" in status_text(window), timeout=30, message=status_text(window))
        def board_message(call: dict) -> str:
            return next((e["item"]["content"][0]["text"] for e in call["events"] if e["type"] == "conversation.item.create" and e["item"]["type"] == "message"), "")

        window.wait(lambda _: "card-003" in board_message(fake_realtime.state()["calls"][-1]), message="the board message")
        call = fake_realtime.state()["calls"][-1]
        assert "card-003" not in call["session"]["instructions"], "the board is a message, so the instructions stay cached"

        # The model hears "done" and moves the card; the window shows it, with the words.
        said = "The ICE restart card is done."
        fake_realtime.send({"type": "input_audio_buffer.committed", "item_id": "item_1", "previous_item_id": None})
        fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_1", "content_index": 0, "transcript": said})
        arguments = json.dumps({"card_id": "card-003", "status": "Done"})
        fake_realtime.send({"type": "response.output_item.done", "response_id": "resp_1", "item": {"type": "function_call", "call_id": "call_1", "name": "move_ticket", "arguments": arguments}})
        window.wait_for_column("Done", ["card-003"])
        transcript = window.driver.find_element(By.CSS_SELECTOR, "section.transcript")
        window.wait(lambda _: said in transcript.text, message=transcript.text)
        activity = window.driver.find_element(By.CSS_SELECTOR, "section.activity")
        window.wait(lambda _: said in activity.text, message=activity.text)
        window.screenshot("voice-operator")

        # The model got its answer (which tells it the change), and the instructions stayed as they were.
        def answered(state: dict) -> bool:
            latest = state["calls"][-1]
            prefix_kept = all("instructions" not in e["session"] and "tools" not in e["session"] for e in latest["events"] if e["type"] == "session.update")
            return bool(latest["outputs"]) and prefix_kept

        window.wait(lambda _: answered(fake_realtime.state()), message=json.dumps(fake_realtime.state())[:2000])
        state = fake_realtime.state()
        assert state["calls"][-1]["outputs"][0]["output"]["ok"] is True
        assert state["calls"][-1]["audio_samples"] > 0, "the room mix reaches the model"
        assert state["problems"] == [], state["problems"]

        # The response's bill reaches the status bar, priced at the model's list prices.
        usage = {"total_tokens": 2025, "input_tokens": 2000, "output_tokens": 25,
                 "input_token_details": {"text_tokens": 1500, "audio_tokens": 500, "image_tokens": 0, "cached_tokens": 1024,
                                         "cached_tokens_details": {"text_tokens": 1024, "audio_tokens": 0, "image_tokens": 0}},
                 "output_token_details": {"text_tokens": 25, "audio_tokens": 0}}
        fake_realtime.send({"type": "response.done", "response": {"id": "resp_1", "status": "completed", "output": [], "usage": usage}})
        cost = lambda: window.driver.find_element(By.CSS_SELECTOR, '[data-testid="voice-cost"]').text
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="voice-cost"]'), message="no cost in the status bar")
        # 476 text at $4, 500 audio at $32, 1,024 cached at $0.40, 25 out at $24 (per million).
        assert cost() == "· $0.019 · 2,000 tokens, 51 % cached", cost()

        # The meeting's language changes mid-call: the one setting that changes the instructions.
        window.driver.find_element(By.XPATH, '//button[text()="Voice settings"]').click()
        dialog = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"]'))
        language = Select(dialog.find_element(By.NAME, "meeting-language"))
        names = [option.text for option in language.options]
        assert "Français" in names and "Deutsch" in names and "日本語" in names, names
        language.select_by_visible_text("Français")

        def in_french(call: dict) -> bool:
            updates = [e["session"] for e in call["events"] if e["type"] == "session.update"]
            return any("held in French" in u.get("instructions", "") and u["audio"]["input"]["transcription"]["language"] == "fr" for u in updates)

        window.wait(lambda _: in_french(fake_realtime.state()["calls"][-1]), message="no session.update in French")
        window.screenshot("meeting-language")
        dialog.find_element(By.XPATH, './/button[text()="Close"]').click()

        # A deletion by voice waits for a person, with the words that led to it; Accept applies it.
        said = "Let's drop the retransmission buffer."
        fake_realtime.send({"type": "input_audio_buffer.committed", "item_id": "item_2", "previous_item_id": "item_1"})
        fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_2", "content_index": 0, "transcript": said})
        delete = {"type": "function_call", "call_id": "call_2", "name": "delete_ticket", "arguments": json.dumps({"card_id": "card-002"})}
        fake_realtime.send({"type": "response.output_item.done", "response_id": "resp_2", "item": delete})
        waiting = lambda: window.driver.execute_script(SUGGESTIONS)
        window.wait(lambda _: "Delete “Add RTP Retransmission Buffer” from Backlog" in waiting() and said in waiting(), message=waiting())
        assert "card-002" in window.column_ids("Backlog"), "nothing changes until someone accepts"
        window.screenshot("voice-suggestion")
        window.driver.find_element(By.CSS_SELECTOR, '[aria-label="Accept: Delete “Add RTP Retransmission Buffer” from Backlog"]').click()
        window.wait(lambda _: "card-002" not in window.column_ids("Backlog") and waiting() == "", message=waiting())
        def told() -> list[str]:
            events = fake_realtime.state()["calls"][-1]["events"]
            return [e["item"]["content"][0]["text"] for e in events if e["type"] == "conversation.item.create" and e["item"]["type"] == "message"]
        window.wait(lambda _: any("by the host, by hand: accepted suggestion" in t for t in told()), message=str(told()[1:]))
        # One nobody answers stays until the meeting ends.
        delete = {"type": "function_call", "call_id": "call_3", "name": "delete_ticket", "arguments": json.dumps({"card_id": "card-004"})}
        fake_realtime.send({"type": "response.output_item.done", "response_id": "resp_3", "item": delete})
        window.wait(lambda _: "Harden DTLS/SRTP Cleanup" in waiting(), message=waiting())

        # A network blip: the service stops answering (frozen, no goodbye). After 5 s of
        # silence ICE reports the call disconnected, 5 s later it counts as lost, and the
        # operator retries until the service is back, then listens on a new call.
        os.kill(fake_realtime.process.pid, signal.SIGSTOP)
        try:
            window.wait(lambda _: "reconnecting" in status_text(window), timeout=40, message=status_text(window))
            window.screenshot("voice-reconnecting")
        finally:
            os.kill(fake_realtime.process.pid, signal.SIGCONT)
        window.wait(lambda _: "listening" in status_text(window), timeout=60, message=status_text(window))
        calls = fake_realtime.state()["calls"]
        assert calls[-1]["call_id"] != call["call_id"], "a new call after the blip"
        assert saved_board(data_dir)["columns"][3]["cards"][0]["id"] == "card-003", "the blip did not touch the board"
        call = calls[-1]

        # Leaving hangs up.
        window.driver.find_element(By.XPATH, '//button[text()="Leave room"]').click()
        window.wait(lambda _: "off until you join" in status_text(window), message=status_text(window))
        window.wait(lambda _: call["call_id"] in fake_realtime.state()["hangups"])
        assert saved_board(data_dir)["columns"][3]["cards"][0]["id"] == "card-003"
        # The unanswered suggestion expired with the meeting, listed in the activity log; the card stays.
        window.wait(lambda _: waiting() == "", message=waiting())
        activity = window.driver.find_element(By.CSS_SELECTOR, "section.activity")
        window.wait(lambda _: "Nobody answered the suggestion to delete “Harden DTLS/SRTP Cleanup”" in activity.text, message=activity.text)
        saved = saved_board(data_dir)
        assert any(c["id"] == "card-004" for column in saved["columns"] for c in column["cards"])
        assert saved["pending"] == [], "saved as expired"

        # Leaving ended the meeting: its notes are written and shown.
        notes = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"][aria-labelledby="notes-heading"]'), timeout=20)
        text = lambda: notes.find_element(By.CSS_SELECTOR, ".notes-text").text
        window.wait(lambda _: "## Transcript" in text(), message=text())
        files = sorted(p.name for p in (data_dir / "notes").iterdir())
        assert len(files) == 1 and files[0].endswith("meeting.md"), files
        assert text() == (data_dir / "notes" / files[0]).read_text().strip(), "the window shows the file"
        assert "### Done\n\n- “Implement ICE Restart Handling” (card-003), by voice: “The ICE restart card is done.”" in text(), text()
        deleted = "### Deleted\n\n- “Add RTP Retransmission Buffer” (card-002), by voice: “Let's drop the retransmission buffer.”, accepted by hand (Host)"
        assert deleted in text(), text()
        assert "- **Cost:** 2,000 tokens in (51 % cached), 25 out · $0.019" in text(), text()
        assert "## Transcript\n\n" in text() and text().count(" Let's drop the retransmission buffer.") == 1, text()
        window.screenshot("meeting-notes")
        notes.find_element(By.XPATH, './/button[text()="Copy"]').click()
        said = notes.find_element(By.CSS_SELECTOR, '[role="status"]')
        window.wait(lambda _: said.text.startswith("Copied"), message=said.text)
        notes.find_element(By.XPATH, './/button[text()="Close"]').click()
        window.wait(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="dialog"]') == [])
        # The last meetings stay listed in the window.
        window.driver.find_element(By.XPATH, '//button[text()="Meeting notes"]').click()
        notes = window.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[role="dialog"][aria-labelledby="notes-heading"]'))
        listed = [item.text for item in notes.find_elements(By.CSS_SELECTOR, ".notes-list button")]
        assert listed == [files[0].removesuffix(".md")], listed
    finally:
        window.quit()

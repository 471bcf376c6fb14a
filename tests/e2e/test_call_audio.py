"""End to end: the host also listens to what its computer plays (`--system-audio`), as it
would to a Zoom or Meet call the team meets in. Another program (paplay) plays the call, a
colleague's sentences (espeak-ng) with pauses, on the computer's default output, where the
host also plays Ana (a browser, 300 Hz in turns). The fake Realtime service must hear the call, and the host's
transcript must name it "call audio"; Ana must not receive it (it is never forwarded); and
Boardroom's own playback of Ana is not taken for the call."""

import subprocess
import time
from pathlib import Path

from conftest import FAKE_KEY
from rig import Host, make_turns, wait_until

ANA_HZ = 300


def make_call(path: Path) -> Path:
    """A colleague on the call: a sentence, then 1.5 s of silence, over and over."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), "Our release slipped to Thursday because the login service still fails its load test."], check=True)
    subprocess.run(["sox", str(raw), "-r", "48000", "-c", "1", str(path), "pad", "0", "1.5", "repeat", "10"], check=True)
    return path


def test_the_call_app_reaches_the_voice_operator_as_call_audio_and_nobody_else(tmp_path, data_dir, browsers, speakers, fake_realtime):
    host = Host(
        data_dir, "--speakers", "--system-audio",
        env={"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": fake_realtime.base_url},
    )
    try:
        call_status = lambda: host.value("call audio: ") or ""
        wait_until(lambda: call_status().startswith("listening"), 20, f"the host listens to the computer:\n{host.output()}")
        ana = browsers(make_turns(tmp_path / "ana.wav", ANA_HZ, on=1.0, period=5.0))
        ana.join(host.invite, "Ana")
        wait_until(lambda: host.participants() == "Host, Ana", 30, f"the host lists Ana: {host.participants()}")
        wait_until(lambda: speakers.speakers_tone(1.0)[0] > -50, 20, "the host's speakers play Ana")
        assert call_status() == "listening (nothing plays)", f"the host's own playback is not the call: {call_status()}"

        speakers.play_into_microphone(make_call(tmp_path / "call.wav"), sink="boardroom_speakers")
        wait_until(lambda: call_status() == "listening to paplay", 20, f"the host hears paplay, and only it: {call_status()}")
        joined = len(fake_realtime.speech([]))

        # An utterance without Ana in it: the host's microphone is silent, so it is the call.
        def the_call_alone():
            for utterance in fake_realtime.speech([ANA_HZ])[joined:]:
                if utterance["audio_end_ms"] is not None and utterance["tones"][str(ANA_HZ)] < 0.005:
                    return utterance
            return None

        def speech_at_the_fake():
            recent = fake_realtime.state()["calls"][-1]["recent_audio"]
            return recent if recent and recent["rms_dbfs"] > -45 and recent["voice_band_share"] > 0.8 else None

        recent = wait_until(speech_at_the_fake, 30, f"the fake hears speech: {fake_realtime.state()['calls'][-1].get('recent_audio')}")
        utterance = wait_until(the_call_alone, 40, f"the fake hears the call alone: {fake_realtime.speech([ANA_HZ])[joined:]}")
        said = f"Utterance {utterance['item_id']}."
        fake_realtime.send({"type": "conversation.item.input_audio_transcription.completed", "item_id": utterance["item_id"], "content_index": 0, "transcript": said})
        line = wait_until(lambda: next((l for l in host.output().splitlines() if l.endswith(said)), None), 20, f"the host's line for {said}")
        assert line == f"heard from call audio: {said}", (line, utterance)

        # Never forwarded: what Ana receives from the host (its microphone is silent) stays silent
        # for two of the call's turns.
        levels = []
        for _ in range(80):
            levels.append(ana.heard().get("host", {}).get("rmsDbfs", -100.0))
            time.sleep(0.1)
        print(f"the call at the fake: {recent}, {utterance}; the host's track at Ana: up to {max(levels):.1f} dBFS")
        assert max(levels) < -60, f"Ana hears the call through the host: {max(levels):.1f} dBFS"
    finally:
        host.stop()
    assert fake_realtime.state()["problems"] == []

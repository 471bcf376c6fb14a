//! A PulseAudio of the tests' own, with null sinks as devices: shared by the tests that
//! need a sound server (`--ignored`; scripts/test.sh runs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap_or_else(|err| panic!("{program}: {err}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// Starts PulseAudio if it is not running, and adds a null sink called `sink` if there is none.
pub fn start_with_sink(sink: &str) {
    if !Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success()) {
        run("pulseaudio", &["-D", "--exit-idle-time=-1", "--system=false"]);
        let started = Instant::now();
        while !Command::new("pactl").arg("info").output().is_ok_and(|o| o.status.success()) {
            assert!(started.elapsed() < Duration::from_secs(10), "PulseAudio did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let sinks =
        String::from_utf8(Command::new("pactl").args(["list", "short", "sinks"]).output().unwrap().stdout).unwrap();
    if !sinks.contains(sink) {
        run("pactl", &["load-module", "module-null-sink", &format!("sink_name={sink}")]);
    }
}

/// A WAV file of a sine tone: 44.1 kHz mono at -15 dBFS RMS, so what plays it resamples and up-mixes.
pub fn tone_wav(dir: &Path, frequency: u32, seconds: u32) -> PathBuf {
    let wav = dir.join(format!("tone-{frequency}.wav"));
    let (seconds, frequency) = (seconds.to_string(), frequency.to_string());
    let args =
        ["-n", "-r", "44100", "-c", "1", wav.to_str().unwrap(), "synth", &seconds, "sine", &frequency, "vol", "0.25"];
    run("sox", &args);
    wav
}

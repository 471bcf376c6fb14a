#!/usr/bin/env bash
# Sets up what is missing, then runs every test: Rust unit, property, crash-safety and
# command tests, the voice operator and headless host against the fake Realtime service,
# the API key in a throwaway keychain, microphone capture on a virtual PulseAudio source and
# what the computer plays (call audio) through PulseAudio's client library,
# the UI component tests, 20 s of fuzzing per target (room messages, tool-call arguments,
# the board file), the release build with its .deb, the end-to-end tests on the
# real window under Xvfb (including the voice operator, its notifications through dunst and
# its log file), axe-core and keyboard-only checks of the window and the participant page,
# the meeting room with headless Chromium participants, and the installed .deb.
source "$(dirname "$0")/lib.sh"

ensure_apt "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_rust
ensure_node
ensure_npm_packages
ensure_tauri_driver
ensure_geckodriver
ensure_python_env

say "Building the UI"
npm run --silent ui:build >/dev/null

say "Rust tests (board core, properties, crash safety, commands, bindings drift, audio, the voice operator against the fake Realtime service, the headless host)"
cargo test --workspace --locked

say "The API key in a real keychain (a throwaway gnome-keyring on a private D-Bus)"
KEYRING_HOME="$(mktemp -d)"
XDG_DATA_HOME="$KEYRING_HOME" dbus-run-session -- bash -c \
  'printf boardroom-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && cargo test --locked --workspace --lib api_key -- --ignored'
rm -rf "$KEYRING_HOME"

say "The fake Realtime service and the headless host, as processes for the end-to-end tests"
# --workspace keeps the features the test run built with, so nothing is compiled twice.
cargo build --locked --workspace --bins
export BOARDROOM_FAKE_REALTIME="$CARGO_TARGET_DIR/debug/fake-realtime"
export BOARDROOM_HOST="$CARGO_TARGET_DIR/debug/boardroom-host"

say "Microphone capture on a virtual PulseAudio microphone, and what the computer plays as call audio"
cargo test --locked -p boardroom-audio --test microphone --test system_audio -- --ignored --test-threads=1
pulseaudio --kill 2>/dev/null || true

say "UI component tests"
npm run --silent ui:test

say "Fuzzing what strangers can send (bounded here; scripts/fuzz.sh runs longer by hand)"
bash scripts/fuzz.sh

say "Release build and .deb"
DEB="$(build_deb)"
echo "built $DEB ($(du -h "$DEB" | cut -f1))"

say "End-to-end tests on the real window, and the meeting room with headless Chromium participants"
start_display_and_driver
export BOARDROOM_ARTIFACTS="$ROOT/test-artifacts"
BOARDROOM_APP="$CARGO_TARGET_DIR/release/boardroom" "$VENV/bin/pytest" -q -p no:cacheprovider tests/e2e -m "not installed and not bench"
pulseaudio --kill 2>/dev/null || true

say "Installing the .deb and launching the installed app"
as_root dpkg -i "$DEB" >/dev/null
"$VENV/bin/pytest" -q -p no:cacheprovider tests/e2e -m installed

say "All tests passed"

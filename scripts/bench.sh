#!/usr/bin/env bash
# Prints the benchmark figures: board operations and change events, the mixer and Opus
# encode and the microphone's audio processing (criterion), microphone → encoded packet
# latency with and without echo cancellation, the voice operator (frame → RTP
# packet, tool call → board change, instruction sizes), the meeting room (CPU per
# participant, join → first audio, board change propagation), the echo's return loss per
# coupling and loop delay, the app as a guest in a
# room (join → first audio heard, host board change → app), cold start
# to board visible (median of 5 under Xvfb), backend memory after 60 s idle, the window's
# idle and joined CPU and its memory against an empty Tauri window, and .deb size.
# Run scripts/test.sh once first (it builds the release app and the .deb).
source "$(dirname "$0")/lib.sh"

ensure_apt "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_node
ensure_npm_packages

say "Board operations at 1,000 cards, the costliest edits at the size caps, and the save cost per edit at 100 and 2,000 cards"
cargo bench -p boardroom-board --bench board_ops -- --noplot 2>&1 | grep -E 'change event|save per edit|time:|^[a-z_0-9/]+$' || true

say "Mixer per 20 ms frame (ours against the original's tick) and Opus encode"
cargo bench -p boardroom-audio --bench mixer -- --noplot 2>&1 | grep -E 'time:|^[a-z_0-9/]+$' || true

say "Microphone to encoded packet latency on a virtual PulseAudio microphone, with and without echo cancellation"
cargo bench -p boardroom-audio --bench capture_latency 2>&1 | grep -E 'latency'
pulseaudio --kill 2>/dev/null || true

say "Voice operator against the fake Realtime service"
cargo bench -p boardroom-realtime --bench realtime 2>/dev/null | grep -E 'instructions|board message|->|CPU'
say "What a scripted standup sends the model and would cost"
cargo bench -p boardroom-realtime --bench standup 2>/dev/null | grep -E 'bytes|standup|cost'

say "The meeting room: webrtc-rs participants on loopback against the release host"
cargo build --release --locked -p boardroom-host
BOARDROOM_HOST="$CARGO_TARGET_DIR/release/boardroom-host" cargo bench -p boardroom-room --bench room 2>/dev/null | grep -E 'empty room|participants|join|board change'

say "Echo return loss per coupling and loop delay: the release host on speakers, PulseAudio's loop back into its microphone, Chromium participants, a minute each"
cargo build --locked -p fake-realtime
ensure_python_env
BOARDROOM_HOST="$CARGO_TARGET_DIR/release/boardroom-host" BOARDROOM_FAKE_REALTIME="$CARGO_TARGET_DIR/debug/fake-realtime" \
  "$VENV/bin/pytest" -q -s -p no:cacheprovider tests/e2e/test_echo.py -m bench 2>/dev/null | grep -E 'echo return loss'
pulseaudio --kill 2>/dev/null || true

say "The app as a guest in a room on loopback: join to first audio, the host's board changes"
cargo bench -p boardroom-runtime --bench guest 2>/dev/null | grep -E 'join|board change'

APP="$CARGO_TARGET_DIR/release/boardroom"
[ -x "$APP" ] || build_deb >/dev/null
start_display_and_driver
say "Cold start and idle memory of the release app"
python3 scripts/bench_startup.py "$APP"

say "Idle and joined CPU, and memory, of the window against an empty Tauri window"
(cd tests/empty-window && cargo build --release --locked)
ensure_python_env
"$VENV/bin/python" scripts/bench_idle.py "$APP" "$CARGO_TARGET_DIR/release/empty-window"
pulseaudio --kill 2>/dev/null || true

say ".deb size"
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | awk '{printf "%s: %.1f MB\n", $NF, $5 / 1e6}'

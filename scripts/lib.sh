# Shared set-up for scripts/app.sh, scripts/test.sh and scripts/bench.sh: each step checks
# first and installs only what is missing, so a second run is fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/boardroom/target}"
export PATH="$HOME/.cargo/bin:$PATH"
CACHE="$HOME/.cache/boardroom"
mkdir -p "$CACHE"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian/Ubuntu packages given that are not installed yet.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# What a Tauri 2 build needs on Debian/Ubuntu, with ALSA (the microphone and speakers) and
# PulseAudio's client library (what the computer plays, from PulseAudio or PipeWire).
BUILD_PACKAGES=(build-essential pkg-config cmake libwebkit2gtk-4.1-dev libasound2-dev libpulse-dev curl file)
# What the tests need: a virtual display, WebKit's WebDriver and screenshots for the window,
# xdotool and xmessage to drive file dialogs and move the focus to another window, dunst
# (a notification server, as on a desktop),
# gio to ask which app opens boardroom:// links (desktop-file-utils indexes them, as on a desktop);
# PulseAudio with ALSA's plugin (so cpal can read a virtual microphone), sox and espeak-ng
# to make tones and speech; D-Bus and gnome-keyring for a private, throwaway keychain;
# for rooms between computers: network namespaces with NAT (iproute2, iptables), socat to
# reach a browser inside one, coturn (TURN), Pebble (ACME), openssl for a throwaway CA and
# certutil to trust it in a browser's certificate store.
TEST_PACKAGES=(xvfb xauth xdotool x11-utils dunst webkit2gtk-driver libglib2.0-bin desktop-file-utils imagemagick pulseaudio pulseaudio-utils libasound2-plugins sox espeak-ng dbus gnome-keyring chromium chromium-driver firefox-esr iproute2 iptables socat coturn pebble openssl libnss3-tools)

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    say "Installing Rust (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null; then
    ensure_apt nodejs npm
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "Node.js $major is too old for Vite 7; install Node.js 20 or newer (for example from NodeSource) and run this again." >&2
    exit 1
  fi
}

# npm packages, reinstalled only when package-lock.json changed since the last install.
ensure_npm_packages() {
  local stamp="node_modules/.boardroom-lock"
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    say "Installing npm packages"
    # `npm install` rather than `npm ci`: npm 11 refuses locks that list no optional platform packages.
    npm install --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver"
    cargo install tauri-driver --version "^2" --locked --quiet
  fi
}

# The release app and its .deb; prints the .deb's path. Tauri's bundler compresses the .deb
# with gzip; repacked with xz, as Debian's own packages are, it is a third smaller to download.
build_deb() {
  # Each step says if it failed: `set -e` does not reach inside "$(build_deb)".
  npx tauri build --bundles deb >&2 || return
  local deb unpacked
  deb="$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -n 1)" || return
  unpacked="$(mktemp -d)" || return
  dpkg-deb -R "$deb" "$unpacked" || return
  dpkg-deb --root-owner-group -Zxz -b "$unpacked" "$deb" >/dev/null || return
  rm -rf "$unpacked"
  echo "$deb"
}

# geckodriver drives Firefox; it is not a Debian package, so it is built from crates.io.
ensure_geckodriver() {
  if ! command -v geckodriver >/dev/null; then
    say "Installing geckodriver"
    cargo install geckodriver --locked --quiet
  fi
}

# A Python environment with the WebDriver client and pytest for the end-to-end tests.
ensure_python_env() {
  VENV="$CACHE/venv"
  if [ ! -x "$VENV/bin/pytest" ] || ! "$VENV/bin/python" -c 'import selenium, websocket' 2>/dev/null; then
    say "Preparing the Python test environment"
    python3 -m venv "$VENV" 2>/dev/null || { ensure_apt python3-venv; python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
  fi
}

# Starts Xvfb on a free display and tauri-driver on port 4444; both stop when the script exits.
start_display_and_driver() {
  local display=99
  while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
  Xvfb ":$display" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  export DISPLAY=":$display"
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
  # A private session bus, so the app under test finds no keychain of the person running
  # the tests (it must never touch their real keys) and keeps test keys in its data folder.
  # It activates no services, so no keyring daemon starts on it either.
  local bus
  bus="$(dbus-daemon --config-file="$ROOT/tests/e2e/private-bus.conf" --fork --print-address=1 --print-pid=1 | paste -sd' ')"
  export DBUS_SESSION_BUS_ADDRESS="${bus% *}"
  TEST_BUS_PID="${bus##* }"
  tauri-driver >"$CACHE/tauri-driver.log" 2>&1 &
  DRIVER_PID=$!
  for _ in $(seq 100); do
    curl -s http://127.0.0.1:4444/status >/dev/null 2>&1 && break
    sleep 0.1
  done
  trap 'kill $DRIVER_PID $XVFB_PID $TEST_BUS_PID 2>/dev/null || true' EXIT
}

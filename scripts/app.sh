#!/usr/bin/env bash
# Sets up what is missing, then launches Boardroom in development mode (the UI reloads as you edit it).
source "$(dirname "$0")/lib.sh"

ensure_apt "${BUILD_PACKAGES[@]}"
ensure_rust
ensure_node
ensure_npm_packages

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: run this from a desktop session (or set DISPLAY, e.g. under Xvfb)." >&2
  exit 1
fi
say "Starting Boardroom"
exec npx tauri dev -- -- "$@"

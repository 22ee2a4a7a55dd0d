#!/usr/bin/env bash
# Prints the dashboard as the README shows it: `reslab --preset vanishing`
# in a 130×42 tmux window, captured once the run has finished and the
# verdict is up, with no key pressed. Run from the repository after
# `swift build -c release`. Timings (samples/s, clock stamps) differ run
# to run; the figures of the lesson do not.
set -euo pipefail
cd "$(dirname "$0")/../.."
socket="reslab-capture-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT
tmux -L "$socket" new-session -d -x 130 -y 42 "TERM=xterm-256color .build/release/reslab --preset vanishing; sleep 60"
for _ in $(seq 1 600); do
    if tmux -L "$socket" capture-pane -p | grep -q "chance 33.3 %"; then break; fi
    sleep 0.2
done
sleep 0.5
tmux -L "$socket" capture-pane -p

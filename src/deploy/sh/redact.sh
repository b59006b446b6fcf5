# shellcheck shell=sh
# `redact`: copies stdin to stdout without the lines that contain a secret value. Output that
# comes from the service (its health answer, its logs) passes through it before it is shown.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
redact() {
  if [ -s "$tmp"/secret.values ]; then grep -v -F -f "$tmp"/secret.values || true; else cat; fi
}

# shellcheck shell=sh
# The probe's last line when no route covers the health path.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
printf 'health skipped no route covers the health path\n'

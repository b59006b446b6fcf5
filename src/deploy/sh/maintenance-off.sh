# shellcheck shell=sh
# Maintenance off (maintenance.ts): the switch first, then the page.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
rm -f "$dir"/retry-after
rm -f "$dir"/page.html
rmdir "$dir" 2>/dev/null || true
printf '%s off\n' "$mark"

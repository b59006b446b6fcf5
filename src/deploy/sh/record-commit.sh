# shellcheck shell=sh
# Makes the prepared record (record-prepare.sh, record-json.sh) the host's record: renames
# only, which need no space, so a full disk after the switch cannot cut the record.
# Header: state, tmp.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
mv -f "$tmp"/releases "$state"/releases
mv -f "$tmp"/current "$state"/current
mv -f "$tmp"/owner "$state"/owner
mv -f "$tmp"/release.json "$state"/release.json

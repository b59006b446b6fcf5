# shellcheck shell=sh
# A later replica: the first replica installs the routes; this one changes none.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
routes_changed=0

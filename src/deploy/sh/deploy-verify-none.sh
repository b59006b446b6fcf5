# shellcheck shell=sh
# verify_edge when no route covers the health path: nothing to verify through the edge.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
verify_edge() {
  answer="no route covers the health path; not verified through the edge"
  return 0
}

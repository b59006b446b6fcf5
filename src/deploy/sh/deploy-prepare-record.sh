# shellcheck shell=sh
# The new release's record, prepared (see deploy-prepare.sh).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ "$mode" = new ] && ! prepare_record 2>"$tmp"/record.err; then
  docker rm --force "$name" >/dev/null 2>&1 || true
  fail "cannot write the new release record under $state (disk full?): $(last_line "$(cat "$tmp"/record.err 2>/dev/null)"); nothing was switched, the previous release keeps serving"
fi

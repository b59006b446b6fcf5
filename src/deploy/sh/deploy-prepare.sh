# shellcheck shell=sh
# Upstream and record, written to "$tmp" (beside the route lines) before anything switches; a
# release already serving is recorded already: the record changes only with a switch
# (prepare_record: record.ts). Header: container_port.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! printf '%s\n' "$name:$container_port" > "$tmp"/upstream 2>/dev/null; then
  if [ "$mode" = new ]; then docker rm --force "$name" >/dev/null 2>&1 || true; fi
  fail "cannot write the new route and record under $state (disk full?); nothing was switched, the previous release keeps serving"
fi
chmod 644 "$tmp"/upstream

# shellcheck shell=sh
# Maintenance on (maintenance.ts): the page first, then the switch its routes read
# (retry-after), so the switch only ever points at a complete page. Header: dir, page_html,
# retry_after, mark (the marker of the output lines).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ ! -d "$edge" ]; then
  fail "no edge on this host ($edge is missing): $service is not routed here"
fi
if ! (umask 022 && mkdir -p "$dir") 2>/dev/null; then
  fail "cannot create $dir as $(id -un)"
fi
if ! printf '%s' "$page_html" > "$dir"/page.html.tmp || ! chmod 644 "$dir"/page.html.tmp || ! mv -f "$dir"/page.html.tmp "$dir"/page.html; then
  fail "cannot write $dir/page.html as $(id -un)"
fi
if ! printf '%s' "$retry_after" > "$dir"/retry-after.tmp || ! chmod 644 "$dir"/retry-after.tmp || ! mv -f "$dir"/retry-after.tmp "$dir"/retry-after; then
  fail "cannot write $dir/retry-after as $(id -un)"
fi
printf '%s on\n' "$mark"

# shellcheck shell=sh
# The skeleton parts of the previous edge are kept to put back if this one fails (`undo`);
# then the new parts are written, each atomically. Header: config_head, config_mid,
# config_tail, https_suffix (src/edge/caddy.ts configParts, httpsSuffix).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
for part in config.head config.mid config.tail https_suffix; do
  if [ -f "$edge"/$part ]; then cp "$edge"/$part "$tmp"/$part.old; fi
done
undo() {
  for part in config.head config.mid config.tail https_suffix caddy.json; do
    if [ -f "$tmp"/$part.old ]; then cp "$tmp"/$part.old "$edge"/$part; fi
  done
}
write_part() {
  printf '%s' "$2" > "$edge"/"$1".tmp
  chmod 644 "$edge"/"$1".tmp
  mv -f "$edge"/"$1".tmp "$edge"/"$1"
}

write_part config.head "$config_head"

write_part config.mid "$config_mid"

write_part config.tail "$config_tail"

write_part https_suffix "$https_suffix"

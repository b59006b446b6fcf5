# shellcheck shell=sh
# `slipway prune` on one host (prune-script.ts): `prune_service SERVICE DIR KEEP` removes the
# service's release containers beyond KEEP under its deploy lock (a running container and the
# current release are never touched); `prune_images` removes images of `$repositories` that no
# container on the host uses and the stack does not pin (`$pinned`). Each removal (or, with
# `dry` 1, each one that would go) is one `<mark><TAB>kind<TAB>name<TAB>action` line.
# Header: dry, mark, repositories and pinned (one a line).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if ! tmp=$(mktemp -d 2>/dev/null); then fail "cannot create a temporary directory"; fi
prune_service() {
  service=$1
  state=$2
  if [ -d "$state" ]; then
    service_lock
    current=$(cat "$state"/current 2>/dev/null || true)
    docker ps --all --filter label=slipway.service="$service" --filter label=slipway.role=app --format '{{.Names}}' > "$tmp"/containers
    kept=0
    while IFS= read -r old; do
      if [ "$old" = "$current" ]; then continue; fi
      if [ "$kept" -lt "$3" ] || [ "$(docker inspect --format '{{.State.Status}}' "$old" 2>/dev/null)" = running ]; then
        kept=$((kept + 1))
        continue
      fi
      if [ "$dry" = 1 ]; then
        act='would remove'
      elif out=$(docker rm --force "$old" 2>&1); then
        act=removed
      else
        act="kept: $(last_line "$out")"
      fi
      printf '%s\tcontainer\t%s\t%s\n' "$mark" "$old" "$act"
    done < "$tmp"/containers
    exec 9>&-
  fi
}
prune_images() {
  # The image ID of every container on the host (any stack, any state): a container may name
  # its image by digest, by tag or by ID, so images are compared by ID.
  ids=$(docker ps --all --quiet --no-trunc)
  # shellcheck disable=SC2086 # container ids, one argument each
  if [ -n "$ids" ]; then docker inspect --format '{{.Image}}' $ids 2>/dev/null || true; fi | sort -u > "$tmp"/used
  printf '%s\n' "$pinned" > "$tmp"/pinned
  # Every image with its ID, filtered here: a reference filter does not list images pulled by
  # digest under the containerd image store, and without --digests their {{.Digest}} is empty
  # there.
  docker image ls --digests --no-trunc --format '{{.Repository}}@{{.Digest}} {{.ID}}' | grep '@sha256:' | sort -u > "$tmp"/all
  for repository in $repositories; do
    awk -v r="$repository@" 'index($0, r) == 1' "$tmp"/all
  done > "$tmp"/images
  while read -r ref id; do
    if grep -qxF "${ref#*@}" "$tmp"/pinned || grep -qxF "$id" "$tmp"/used; then continue; fi
    if [ "$dry" = 1 ]; then
      act='would remove'
    elif out=$(docker image rm "$ref" 2>&1); then
      act=removed
    else
      act="kept: $(last_line "$out")"
    fi
    printf '%s\timage\t%s\t%s\n' "$mark" "$ref" "$act"
  done < "$tmp"/images
}

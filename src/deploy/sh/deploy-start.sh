# shellcheck shell=sh
# The release container: already serving (mode current), else reused when an earlier run
# started it, started again when it is a kept release, or created (header: `release_run`,
# the `docker run` of commands.ts releaseRun); then its secret env file goes. A release this
# host ran before (a kept or the warm one: a rollback) is marked by "$tmp"/served-before.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
if [ "$name" = "$current" ] && [ "$(status_of "$name")" = running ]; then
  mode=current
  say "release $digest is already serving as $name; checking it"
else
  mode=new
  case $(status_of "$name") in
    running)
      if [ "$name" = "$warm_name" ]; then : > "$tmp"/served-before; fi
      say "reusing $name, started by an earlier run of this deploy" ;;
    exited | created)
      : > "$tmp"/served-before
      say "starting the kept release container $name again"
      if ! out=$(docker start "$name" 2>&1); then
        docker rm --force "$name" >/dev/null 2>&1 || true
        fail "cannot start $name: $(last_line "$out")"
      fi ;;
    *)
      docker rm --force "$name" >/dev/null 2>&1 || true
      say "starting $name"
      if ! out=$(release_run 2>&1); then
        docker rm --force "$name" >/dev/null 2>&1 || true
        fail "cannot start release $digest as $name: $(last_line "$out" | redact)"
      fi ;;
  esac
fi
rm -f "$tmp"/secret.env

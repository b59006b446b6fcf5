import { quote } from "../deploy/shell";

/**
 * The opening lines of every script that talks to a registry from the deploying machine
 * (attestations, moving tags, SBOM, scan, verification): strict mode, a private work
 * directory removed on exit, and a private docker config in it holding the registry's auth
 * from the environment variable `authEnv` (never a command line), or no auth at all.
 * `cdWork`: run from the work directory (oras takes files to attach by relative path).
 */
export function registryConfigPrelude(
  registry: string,
  authEnv: string,
  cdWork: boolean,
): string[] {
  return [
    "set -eu",
    "umask 077",
    'work="$(mktemp -d)"',
    `trap 'rm -rf "$work"' EXIT`,
    'export DOCKER_CONFIG="$work/docker"',
    'mkdir -p "$DOCKER_CONFIG"',
    ...(cdWork ? ['cd "$work"'] : []),
    `if [ -n "\${${authEnv}:-}" ]; then`,
    `  printf '{"auths":{"%s":{"auth":"%s"}}}' ${quote(registry)} "$${authEnv}" >"$DOCKER_CONFIG/config.json"`,
    "else",
    `  printf '{}' >"$DOCKER_CONFIG/config.json"`,
    "fi",
  ];
}

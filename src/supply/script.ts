import { command, quote, ShellExpr, v, type ShellArg } from "../deploy/shell";
import { ATTEST_SECRET_ENV } from "../images/attest";
import { registryConfigPrelude } from "../images/registry-config";
import type { DigestReference } from "../reference";

/**
 * Pieces every supply-chain script shares: a private work directory, a throwaway docker
 * config with the registry login from the environment (never the script text), and the
 * digest of each platform of an image. Scripts run on the machine that runs `pulumi up`
 * (or `slipway promote`) under /bin/sh.
 */

/** What a command resource runs: the generated script itself comes on stdin. */
export const SCRIPT_ON_STDIN = "exec /bin/sh -s";

/** Environment the scripts read secrets from: the same names the attestation script uses. */
export const SUPPLY_SECRET_ENV = ATTEST_SECRET_ENV;

/** Opening lines: work dir, docker config, `$ref`, `$repository`, `$work/manifest.json`. */
export function prelude(parsed: DigestReference, insecure: boolean): string[] {
  return [
    ...registryConfigPrelude(parsed.registry, SUPPLY_SECRET_ENV.registryAuth, true),
    `ref=${quote(parsed.ref)}`,
    `repository=${quote(parsed.repository)}`,
    command(["oras", "manifest", "fetch", ...orasFlags(insecure), v("ref")]) +
      ' >"$work/manifest.json"',
  ];
}

/** oras flags: plain HTTP for a loopback registry, and the throwaway docker config. */
export function orasFlags(insecure: boolean): ShellArg[] {
  return [...(insecure ? ["--plain-http"] : []), "--registry-config", inWork("docker/config.json")];
}

/** `"$work"/<file>`: a file in the script's work directory, as one word. */
export function inWork(file: string): ShellArg {
  return ShellExpr.join([v("work"), `/${file}`]);
}

/**
 * Sets `$digest` to the manifest digest of one platform (`linux/amd64`) of the image in
 * `$work/manifest.json`: the entry of an index, or the image's own digest when it is a
 * single-platform manifest. Fails naming the platform when the index lacks it.
 */
export function platformDigest(platform: string, own: string): string[] {
  const filter =
    'if .manifests then ([.manifests[] | select((.platform.os + "/" + .platform.architecture) == $p) | .digest][0] // "") else $own end';
  return [
    `digest="$(${command(["jq", "-r", "--arg", "p", platform, "--arg", "own", own, filter])} "$work/manifest.json")"`,
    `[ -n "$digest" ] || { echo ${quote(`slipway: `)}"$ref"${quote(` has no ${platform} manifest`)} >&2; exit 1; }`,
  ];
}

/** The platforms an image index holds (attestation manifests, `unknown/unknown`, left out). */
export const INDEX_PLATFORMS_FILTER =
  'if .manifests then [.manifests[] | select(.platform.os != null and .platform.os != "unknown") | "\\(.platform.os)/\\(.platform.architecture) \\(.digest)"] | .[] else "self \\($own)" end';

/** cosign flags for signing or attesting with the key from the environment. */
export function cosignSignFlags(insecure: boolean): ShellArg[] {
  return [
    "--yes",
    "--key",
    `env://${SUPPLY_SECRET_ENV.cosignKey}`,
    "--tlog-upload=false",
    ...(insecure ? ["--allow-http-registry", "--allow-insecure-registry"] : []),
  ];
}

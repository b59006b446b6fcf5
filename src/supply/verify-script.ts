import type { Requirement, VerifyConfig } from "../config";
import { command, quote, type ShellArg } from "../deploy/shell";
import { parseDigestReference } from "../reference";
import { INDEX_PLATFORMS_FILTER, inWork, prelude } from "./script";

/** cosign's predicate type for each requirement (what `cosign attest --type` was given). */
const ATTESTATION_TYPES: Record<Requirement, string> = {
  provenance: "slsaprovenance1",
  sbom: "spdxjson",
  scan: "vuln",
};

interface VerifyScriptInput {
  /** Image name, for messages. */
  readonly image: string;
  /** `repository@sha256:…` to verify. */
  readonly ref: string;
  readonly verify: VerifyConfig;
  /** The public key (PEM) when verify names a key (publicKey, or publicKeyFile already read). */
  readonly publicKey?: string;
  readonly insecure: boolean;
}

/** cosign flags naming the signer: a key (no transparency log: Slipway signs without it) or an identity. */
function signerFlags(input: VerifyScriptInput): ShellArg[] {
  const http = input.insecure ? ["--allow-http-registry", "--allow-insecure-registry"] : [];
  if (input.verify.identity !== undefined) {
    return [
      "--certificate-identity",
      input.verify.identity,
      "--certificate-oidc-issuer",
      input.verify.issuer ?? "",
      ...http,
    ];
  }
  return ["--key", inWork("cosign.pub"), "--insecure-ignore-tlog=true", ...http];
}

/** The signer as messages name it. */
function signer(input: VerifyScriptInput): string {
  return input.verify.identity === undefined
    ? "the key of slipway:verify"
    : `identity ${input.verify.identity} (issuer ${input.verify.issuer ?? ""})`;
}

/**
 * The script that checks a digest before anything deploys it: a cosign signature by the
 * configured key or identity, then each required attestation by the same signer (provenance
 * on the digest, an SBOM on every platform's manifest, a scan that passed and is recent).
 * It refuses with one line `slipway: refused <ref>: <reason>` and exit status 1. The same
 * text runs in the program (before any host pulls) and in `slipway promote`.
 */
export function verifyScript(input: VerifyScriptInput): string {
  const parsed = parseDigestReference(input.ref);
  const flags = signerFlags(input);
  const who = signer(input);
  const lines = [...prelude(parsed, input.insecure)];
  if (input.verify.identity === undefined) {
    if (input.publicKey === undefined) {
      throw new Error("verifyScript: a key-based slipway:verify needs the public key text");
    }
    lines.push(
      "cat >\"$work/cosign.pub\" <<'SLIPWAY_PUBLIC_KEY'",
      input.publicKey.trim(),
      "SLIPWAY_PUBLIC_KEY",
    );
  }
  lines.push(
    `refuse() { echo ${quote("slipway: refused ")}"$ref: $*" >&2; exit 1; }`,
    // cosign's last error line, without its "Error: " prefix.
    `why() { grep -v '^$' "$1" | tail -n 1 | sed -e 's/^Error: //' -e 's/^error during command execution: //' -e 's/: *$//'; }`,
    `if ! ${command(["cosign", "verify", ...flags, "--output", "json"])} "$ref" >"$work/signature.json" 2>"$work/signature.err"; then`,
    `  if grep -q 'no signatures found' "$work/signature.err"; then refuse ${quote(`unsigned: it has no cosign signature (image ${input.image})`)}; fi`,
    `  refuse ${quote(`not signed by ${who}: `)}"$(why "$work/signature.err")"`,
    "fi",
    `attested() {`,
    `  ${command(["cosign", "verify-attestation", ...flags])} --type "$1" "$2" >"$work/attestation.json" 2>"$work/attestation.err" || refuse "no $3 attestation signed by ${who.replace(/"/g, "")} on $2 ($(why "$work/attestation.err"))"`,
    "}",
  );
  const required = input.verify.require;
  if (required.includes("provenance")) {
    lines.push(`attested ${ATTESTATION_TYPES.provenance} "$ref" provenance`);
  }
  if (required.includes("sbom")) {
    lines.push(
      `${command(["jq", "-r", "--arg", "own", parsed.digest, INDEX_PLATFORMS_FILTER, inWork("manifest.json")])} >"$work/platforms"`,
      "while read -r platform digest; do",
      `  attested ${ATTESTATION_TYPES.sbom} "$repository@$digest" "SBOM ($platform)"`,
      'done <"$work/platforms"',
    );
  }
  if (required.includes("scan")) {
    const maxAge = input.verify.maxScanAgeDays;
    lines.push(
      `attested ${ATTESTATION_TYPES.scan} "$ref" scan`,
      // The newest scan decides: a later passing scan (after an allow-list entry) wins.
      `jq -s '[.[] | .payload | @base64d | fromjson | .predicate] | sort_by(.metadata.scanFinishedOn) | last' "$work/attestation.json" >"$work/scan.json"`,
      `if [ "$(jq -r '.scanner.result.passed' "$work/scan.json")" != true ]; then`,
      `  refuse "its scan failed ($(jq -r '[.scanner.result.findings[] | "\\(.id) \\(.severity) in \\(.package) \\(.installed) on \\(.platform)"] | join(", ")' "$work/scan.json"), failOn $(jq -r .scanner.result.failOn "$work/scan.json"))"`,
      "fi",
      `finished="$(jq -r '.metadata.scanFinishedOn' "$work/scan.json")"`,
      `age=$(( $(date -u +%s) - $(jq -r '.metadata.scanFinishedOn | fromdateiso8601' "$work/scan.json") ))`,
      `if [ "$age" -gt ${maxAge * 86400} ]; then`,
      `  refuse "its last scan ($finished) is $((age / 86400)) days old; slipway:verify.maxScanAgeDays is ${maxAge}: scan it again on the build stack"`,
      "fi",
    );
  }
  lines.push(
    `echo ${quote(`slipway: verified image ${input.image} `)}"$ref"${quote(`: signed by ${who}${required.length === 0 ? "" : `; ${required.join(", ")} attested`}`)}`,
  );
  return `${lines.join("\n")}\n`;
}

import type { ScanConfig } from "../config";
import { expandHome } from "../config";
import { command, quote, type ShellArg } from "../deploy/shell";
import { parseDigestReference } from "../reference";
import { blockingSeverities, ignoreFile } from "./policy";
import { cosignSignFlags, inWork, orasFlags, platformDigest, prelude } from "./script";

/** Media type of the scan result when it is attached unsigned (an OCI referrer). */
const SCAN_MEDIA_TYPE = "application/vnd.slipway.scan.v1+json";

interface ScanScriptInput {
  /** Image name in `slipway:images`, for messages. */
  readonly image: string;
  /** `repository@sha256:…` of the image. */
  readonly ref: string;
  readonly platforms: readonly string[];
  readonly scan: ScanConfig;
  /** Attach the result as a signed cosign `vuln` attestation; otherwise as an OCI referrer. */
  readonly sign: boolean;
  readonly insecure: boolean;
}

function slug(platform: string): string {
  return platform.replace(/[^a-z0-9]+/g, "-");
}

/** trivy's flags for the scan policy and where its database comes from. */
function trivyFlags(scan: ScanConfig, insecure: boolean): ShellArg[] {
  return [
    "--quiet",
    "--scanners",
    "vuln",
    "--format",
    "json",
    "--severity",
    blockingSeverities(scan.failOn).join(","),
    "--ignorefile",
    inWork("ignore.yaml"),
    // The layer cache in memory: images are scanned at once, and trivy's file cache takes a
    // lock that makes a second scan wait and then fail (the database is opened read-only).
    "--cache-backend",
    "memory",
    ...(scan.cacheDir === undefined ? [] : ["--cache-dir", expandHome(scan.cacheDir)]),
    ...(scan.dbRepository === undefined ? [] : ["--db-repository", scan.dbRepository]),
    ...(scan.offline ? ["--skip-db-update", "--skip-java-db-update", "--offline-scan"] : []),
    ...(insecure ? ["--insecure"] : []),
  ];
}

/** One line per blocking finding: image, digest, platform, CVE, package, installed and fixed. */
const FINDING_LINES =
  '.Results[]? | .Vulnerabilities[]? | "slipway: scan failed: image \\($image) \\($ref) (\\($platform)): \\(.VulnerabilityID) \\(.Severity) in package \\(.PkgName) \\(.InstalledVersion), fixed in \\(.FixedVersion // "no fixed version yet")"';

/** The findings of one platform's report as the predicate lists them. */
const FINDINGS =
  "[.Results[]? | .Vulnerabilities[]? | {platform: $platform, id: .VulnerabilityID, severity: .Severity, package: .PkgName, installed: .InstalledVersion, fixed: (.FixedVersion // null)}]";

/**
 * cosign's `vuln` predicate (from --slurpfile, so `[0]`) (scanner, result, scan times) with Slipway's verdict in
 * `scanner.result`: `passed`, `failOn`, the blocking findings and the allow-list applied.
 */
const PREDICATE =
  '{invocation: {parameters: {failOn: $failOn, allow: $allow[0]}, uri: "", event_id: "", "builder.id": "slipway"}, scanner: {uri: "pkg:golang/github.com/aquasecurity/trivy", version: $version, db: {uri: "", version: ""}, result: {passed: (($findings[0] | length) == 0), failOn: $failOn, findings: $findings[0]}}, metadata: {scanStartedOn: $started, scanFinishedOn: $finished}}';

/**
 * The script that scans each platform of a pushed image with trivy, attaches the result to
 * the image digest (also when it fails: promotion reads it), and fails naming every finding
 * at or above `failOn` that the allow-list does not cover.
 */
export function scanScript(input: ScanScriptInput): string {
  const parsed = parseDigestReference(input.ref);
  const { scan } = input;
  const lines = [
    ...prelude(parsed, input.insecure),
    "cat >\"$work/ignore.yaml\" <<'SLIPWAY_IGNORE'",
    ignoreFile(scan.allow).trimEnd(),
    "SLIPWAY_IGNORE",
    `printf '%s' ${quote(JSON.stringify(scan.allow))} >"$work/allow.json"`,
    'started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    "version=\"$(trivy --version | sed -n 's/^Version: //p' | head -n 1)\"",
    `printf '[]' >"$work/findings.json"`,
  ];
  for (const platform of input.platforms) {
    const report = `scan-${slug(platform)}.json`;
    lines.push(
      ...platformDigest(platform, parsed.digest),
      `${command(["trivy", "image", ...trivyFlags(scan, input.insecure), "--output", inWork(report)])} "$repository@$digest"`,
      `${command(["jq", "-r", "--arg", "image", input.image, "--arg", "platform", platform])} --arg ref "$ref" ${quote(FINDING_LINES)} ${command([inWork(report)])} >&2`,
      `${command(["jq", "-s", "--arg", "platform", platform, `.[0] + (.[1] | ${FINDINGS})`, inWork("findings.json"), inWork(report)])} >"$work/findings.next" && mv "$work/findings.next" "$work/findings.json"`,
    );
  }
  lines.push(
    'finished="$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    `${command(["jq", "-n", "--arg", "failOn", scan.failOn])} --arg version "$version" --arg started "$started" --arg finished "$finished" --slurpfile allow "$work/allow.json" --slurpfile findings "$work/findings.json" ${quote(PREDICATE)} >"$work/scan.json"`,
    input.sign
      ? `${command(["cosign", "attest", ...cosignSignFlags(input.insecure), "--type", "vuln", "--predicate", inWork("scan.json")])} "$ref"`
      : `${command(["oras", "attach", ...orasFlags(input.insecure), "--artifact-type", SCAN_MEDIA_TYPE])} "$ref" ${quote(`scan.json:${SCAN_MEDIA_TYPE}`)} >/dev/null`,
    `blocked="$(jq '.scanner.result.findings | length' "$work/scan.json")"`,
    'if [ "$blocked" -gt 0 ]; then',
    `  echo ${quote(`slipway: image ${input.image} `)}"$ref"${quote(`: `)}"$blocked"${quote(` finding(s) at or above ${scan.failOn}; no host was touched. Fix them, or accept each one in slipway:scan.allow with id, expires and reason`)} >&2`,
    "  exit 1",
    "fi",
    `echo ${quote(`slipway: scan passed: image ${input.image} `)}"$ref"${quote(` (failOn ${scan.failOn}, ${scan.allow.length} allowed)`)}`,
  );
  return `${lines.join("\n")}\n`;
}

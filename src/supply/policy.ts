import type { AllowEntry, ScanConfig, Severity } from "../config";
import { SEVERITIES } from "../config";

/** The severities that fail the update: `failOn` and every one above it. */
export function blockingSeverities(failOn: Severity): readonly Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(failOn));
}

/**
 * trivy's ignore file (`--ignorefile`, YAML) for the allow-list: one entry per id, with its
 * expiry (`expired_at`: from that date, 00:00 UTC, the finding blocks again) and reason.
 * Written as JSON, which is YAML: no YAML quoting rules to get wrong.
 */
export function ignoreFile(allow: readonly AllowEntry[]): string {
  return `${JSON.stringify({
    vulnerabilities: allow.map((entry) => ({
      id: entry.id,
      expired_at: `${entry.expires}T00:00:00Z`,
      statement: entry.reason,
    })),
  })}\n`;
}

/** The parts of the scan policy that decide a scan's result: a change re-runs the scan. */
export function policyKey(scan: ScanConfig): string {
  return JSON.stringify({
    failOn: scan.failOn,
    allow: scan.allow.map((entry) => [entry.id, entry.expires, entry.reason]),
  });
}

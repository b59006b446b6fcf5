import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { z } from "zod";
import { expandHome } from "./paths";
import { has, type Add } from "./raw";
import { oneOf, PATH_PLACEHOLDER, plain } from "./primitives";

/** trivy's severities, lowest first: `failOn` blocks its own level and every one above it. */
export const SEVERITIES = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Attestations a promote stack can require of every digest it pins. */
const REQUIREMENTS = ["provenance", "sbom", "scan"] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/** CVE-2024-1234, GHSA-xxxx-xxxx-xxxx, DSA-5555-1, … : what trivy reports as VulnerabilityID. */
const VULNERABILITY_ID = /^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9-]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(value: string): boolean {
  if (!DATE.test(value)) {
    return false;
  }
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * `expires: 2027-01-31` written unquoted is a YAML timestamp: a YAML 1.1 reader gives a Date,
 * and Pulumi's engine may hand it over as `2027-01-31T00:00:00Z`. Both are the day written.
 */
function unquotedDate(value: unknown): unknown {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T00:00:00(\.0+)?Z$/.test(value)) {
    return value.slice(0, 10);
  }
  return value;
}

/** A public key cosign can verify with: PEM `PUBLIC KEY` that node can parse. */
function publicKeyProblem(text: string): string | undefined {
  if (!/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(text)) {
    return "is not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----, e.g. cosign.pub from cosign generate-key-pair)";
  }
  try {
    crypto.createPublicKey(text);
    return undefined;
  } catch (error) {
    return `is not a valid public key (${(error as Error).message}); use cosign.pub from cosign generate-key-pair`;
  }
}

const allowEntrySchema = z.strictObject({
  id: plain
    .regex(VULNERABILITY_ID, "is not a vulnerability id such as CVE-2024-1234 or GHSA-…")
    .describe("The vulnerability id trivy reports (`CVE-2024-1234`)."),
  expires: z
    .preprocess(
      unquotedDate,
      z
        .string({
          error: (issue) =>
            issue.input === undefined
              ? `is required: every allowed vulnerability needs an expiry date; set it with: pulumi config set --path '${PATH_PLACEHOLDER}' 2027-01-31`
              : `expected a date YYYY-MM-DD, got ${JSON.stringify(issue.input)}`,
        })
        .refine(validDate, {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is not a date YYYY-MM-DD, e.g. 2027-01-31`,
        }),
    )
    .describe(
      "The day the entry expires, `YYYY-MM-DD`: from 00:00 UTC that day the finding blocks again (trivy's `expired_at`).",
    ),
  reason: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `is required: say why this vulnerability is accepted; set it with: pulumi config set --path '${PATH_PLACEHOLDER}' '<reason>'`
          : `expected a string, got ${JSON.stringify(issue.input)}`,
    })
    .refine((value) => value.trim() !== "", {
      error: `must not be empty: say why this vulnerability is accepted`,
    })
    .describe(
      "Why the finding is accepted, for whoever reads the stack file (and the scan attestation).",
    ),
});

/** `slipway:scan`: the vulnerability gate of every built digest. Absent: no scan. */
export const scanSchema = z
  .strictObject({
    failOn: z
      .enum(SEVERITIES, {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a trivy severity; use one of ${SEVERITIES.join(", ")}`,
      })
      .default("CRITICAL")
      .describe("Lowest severity that fails the update."),
    allow: z
      .array(allowEntrySchema)
      .default([])
      .describe("Accepted findings, each with an expiry date and a reason."),
    cacheDir: plain
      .min(1, "must not be empty")
      .optional()
      .describe(
        "trivy's cache directory (`--cache-dir`; its database is `<cacheDir>/db`); `~/` expanded.",
      ),
    dbRepository: plain
      .min(1, "must not be empty")
      .optional()
      .describe(
        "OCI repository of trivy's database (`--db-repository`), e.g. a mirror in your registry.",
      ),
    offline: z
      .boolean()
      .default(false)
      .describe(
        "Never download the database (`--skip-db-update --offline-scan`); it must be in cacheDir.",
      ),
  })
  .optional();

/** `slipway:verify`: what every digest this stack deploys must be signed with and carry. */
export const verifySchema = z
  .strictObject({
    publicKey: plain
      .refine((value) => publicKeyProblem(value) === undefined, {
        error: (issue) => publicKeyProblem(String(issue.input)) ?? "is not a public key",
      })
      .optional()
      .describe("cosign public key (PEM)."),
    publicKeyFile: plain
      .min(1, "must not be empty")
      .optional()
      .describe(
        "Path of a cosign public key file on the machine that runs `pulumi up`; `~/` expanded.",
      ),
    identity: plain
      .min(1, "must not be empty")
      .optional()
      .describe("Keyless: the signer's certificate identity (e.g. a workflow URL)."),
    issuer: plain
      .url("must be a URL, e.g. https://token.actions.githubusercontent.com")
      .optional()
      .describe("Keyless: the OIDC issuer of that identity."),
    require: z
      .array(oneOf(REQUIREMENTS))
      .default([...REQUIREMENTS])
      .describe("Attestations each digest must carry, signed by the same key or identity."),
    maxScanAgeDays: z
      .number({ error: "expected a number of days" })
      .int("must be a whole number of days")
      .min(1, "must be at least 1 day")
      .default(7)
      .describe("A passing scan older than this many days is refused."),
  })
  .optional();

export type ScanConfig = NonNullable<z.output<typeof scanSchema>>;
export type AllowEntry = ScanConfig["allow"][number];
export type VerifyConfig = NonNullable<z.output<typeof verifySchema>>;

/** Cross-field checks of `slipway:verify` (one way to name the signer). */
export function verifyChecks(verify: Record<string, unknown> | undefined, add: Add): void {
  if (verify === undefined) {
    return;
  }
  const ways = ["publicKey", "publicKeyFile", "identity"].filter((field) => has(verify, field));
  if (ways.length === 0 && !has(verify, "issuer")) {
    add(
      "verify",
      [],
      `names no signer: set publicKeyFile (pulumi config set --path '${PATH_PLACEHOLDER}.publicKeyFile' cosign.pub), publicKey, or identity and issuer for keyless signing`,
    );
  }
  if (ways.length > 1) {
    add("verify", [ways[1]!], `is set together with ${ways[0]}; keep one way to name the signer`);
  }
  if (has(verify, "identity") && !has(verify, "issuer")) {
    add(
      "verify",
      ["issuer"],
      `is required with identity (keyless): the OIDC issuer of the signer, e.g. pulumi config set --path '${PATH_PLACEHOLDER}' https://token.actions.githubusercontent.com`,
    );
  }
  if (has(verify, "issuer") && !has(verify, "identity")) {
    add(
      "verify",
      ["identity"],
      `is required with issuer (keyless): the signer's certificate identity, e.g. pulumi config set --path '${PATH_PLACEHOLDER}' '<workflow URL>@refs/heads/main'`,
    );
  }
}

/**
 * Cross-field checks of `slipway:scan.allow`: no entry that has already expired (`today` is
 * the UTC date, YYYY-MM-DD), no vulnerability allowed twice.
 */
export function scanChecks(
  scan: Record<string, unknown> | undefined,
  today: string,
  add: Add,
): void {
  const allow = Array.isArray(scan?.allow) ? (scan.allow as unknown[]) : [];
  const first = new Map<string, number>();
  allow.forEach((value, index) => {
    const entry =
      typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    const expires = unquotedDate(entry.expires);
    if (typeof expires === "string" && validDate(expires) && expires < today) {
      add(
        "scan",
        ["allow", index, "expires"],
        `${expires} has passed (today is ${today} UTC), so ${String(entry.id)} blocks again; fix it, or renew the entry with a new date and reason: pulumi config set --path '${PATH_PLACEHOLDER}' <YYYY-MM-DD>`,
      );
    }
    if (typeof entry.id !== "string") {
      return;
    }
    const earlier = first.get(entry.id);
    if (earlier === undefined) {
      first.set(entry.id, index);
    } else {
      add(
        "scan",
        ["allow", index, "id"],
        `${entry.id} is already allowed by allow[${earlier}]; keep one entry per vulnerability (one expiry, one reason)`,
      );
    }
  });
}

/**
 * The key file at `section.key` of the raw settings (`~` expanded), checked by `problem`
 * (a text that follows the file's name, or undefined when the key is right); an unreadable
 * file is refused with the setup script that makes the local stacks' key pair.
 */
function keyFileCheck(
  raw: Record<string, unknown>,
  add: Add,
  section: "verify" | "attestations",
  key: string,
  problem: (text: string) => string | undefined,
): void {
  const value = (raw[section] as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== "string" || value === "") {
    return;
  }
  const file = expandHome(value);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    add(
      section,
      [key],
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); scripts/supply-setup.sh makes the local stacks' key pair`,
    );
    return;
  }
  const found = problem(text);
  if (found !== undefined) {
    add(section, [key], `${file} ${found}`);
  }
}

/** Key files named by the supply-chain settings exist and hold the right kind of key. */
export function supplyFileChecks(raw: Record<string, unknown>, add: Add): void {
  keyFileCheck(raw, add, "verify", "publicKeyFile", publicKeyProblem);
  keyFileCheck(raw, add, "attestations", "cosignKeyFile", (text) =>
    text.includes("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
      ? undefined
      : "is not a cosign private key (-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----, from cosign generate-key-pair)",
  );
}

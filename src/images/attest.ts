import type { AttestationsConfig } from "../config";
import { quote } from "../deploy/shell";
import { parseDigestReference } from "../reference";
import type { SourceInfo } from "./git";
import type { BuildPlan } from "./plan";
import { atOnce, type ScriptJob } from "./at-once";
import { registryConfigPrelude } from "./registry-config";

/**
 * Attestations for a pushed image. docker-build has no provenance or SBOM input, so Slipway
 * writes an SLSA provenance statement itself from what it built (no clock: same inputs, same
 * statement), attaches it to the digest in the registry as an OCI referrer (oras), and, when
 * signing is on, signs the digest and the provenance with cosign and a key from Pulumi secrets.
 * SBOMs and the vulnerability scan are src/supply/'s.
 */

const IN_TOTO_MEDIA_TYPE = "application/vnd.in-toto+json";

export interface ProvenanceInput {
  readonly plan: Pick<
    BuildPlan,
    "repository" | "dockerfile" | "context" | "target" | "platforms" | "buildArgs" | "secretIds"
  >;
  readonly source: Pick<SourceInfo, "sha" | "url">;
  /** `max` records build args and secret ids (never secret values); `min` only the source. */
  readonly mode: "min" | "max";
  /** Project root, to record paths relative to it. */
  readonly root: string;
  /** Buildx builder used. */
  readonly builder?: string;
}

function relative(root: string, file: string): string {
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

/** The SLSA v1 provenance predicate of one build. */
function provenancePredicate(input: ProvenanceInput): Record<string, unknown> {
  const { plan, source, root } = input;
  const request: Record<string, unknown> = {
    frontend: "dockerfile.v0",
    platforms: [...plan.platforms],
    ...(plan.target === undefined ? {} : { target: plan.target }),
  };
  if (input.mode === "max") {
    request.args = Object.fromEntries(
      Object.entries(plan.buildArgs).sort(([a], [b]) => a.localeCompare(b)),
    );
    request.secrets = [...plan.secretIds];
  }
  const sourceUri = source.url === undefined ? undefined : `git+${source.url}@${source.sha}`;
  return {
    buildDefinition: {
      buildType: "https://mobyproject.org/buildkit@v1",
      externalParameters: {
        configSource: {
          ...(sourceUri === undefined ? {} : { uri: sourceUri }),
          digest: { sha1: source.sha },
          path: relative(root, plan.dockerfile),
        },
        context: relative(root, plan.context),
        request,
      },
      resolvedDependencies: [
        {
          ...(sourceUri === undefined ? {} : { uri: sourceUri }),
          digest: { gitCommit: source.sha },
        },
      ],
    },
    runDetails: {
      builder: {
        id: `slipway/docker-build${input.builder === undefined ? "" : `/${input.builder}`}`,
      },
    },
  };
}

/** The in-toto statement binding the predicate to the pushed digest. */
export function provenanceStatement(ref: string, input: ProvenanceInput): Record<string, unknown> {
  const parsed = parseDigestReference(ref);
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [
      { name: parsed.repository, digest: { sha256: parsed.digest.slice("sha256:".length) } },
    ],
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: provenancePredicate(input),
  };
}

interface AttestScriptInput {
  readonly ref: string;
  readonly provenance?: ProvenanceInput;
  readonly attestations: Pick<AttestationsConfig, "sign">;
  /** Plain-HTTP registry. */
  readonly insecure: boolean;
}

/**
 * Environment the script reads its secrets from; the values never appear in its text:
 * registry `user:password` base64 (docker config `auth`), cosign key and password.
 */
export const ATTEST_SECRET_ENV = {
  registryAuth: "SLIPWAY_REGISTRY_AUTH",
  cosignKey: "COSIGN_PRIVATE_KEY",
  cosignPassword: "COSIGN_PASSWORD",
} as const;

/** The script `command.local.Command` runs after a push; returns undefined when nothing is on. */
export function attestScript(input: AttestScriptInput): string | undefined {
  const { ref, provenance, attestations, insecure } = input;
  if (provenance === undefined && !attestations.sign) {
    return undefined;
  }
  const parsed = parseDigestReference(ref);
  const q = quote(parsed.ref);
  const orasFlags = `${insecure ? "--plain-http " : ""}--registry-config "$DOCKER_CONFIG/config.json"`;
  const cosignFlags = `--yes --key env://${ATTEST_SECRET_ENV.cosignKey} --tlog-upload=false${insecure ? " --allow-http-registry --allow-insecure-registry" : ""}`;
  const lines = [
    // oras takes the files to attach by relative path: run from the work directory.
    ...registryConfigPrelude(parsed.registry, ATTEST_SECRET_ENV.registryAuth, true),
    `need() { command -v "$1" >/dev/null 2>&1 || { echo "slipway: $1 is not installed; it is needed for $2 (install it, or turn $2 off in slipway:attestations)" >&2; exit 1; }; }`,
  ];
  // The provenance referrer, the signature and the provenance attestation go to three
  // different places in the registry (the referrers, `.sig`, `.att`): written at once.
  const jobs: ScriptJob[] = [];
  if (provenance !== undefined) {
    const statement = JSON.stringify(provenanceStatement(ref, provenance));
    lines.push(
      "need oras provenance",
      `cat >"$work/provenance.json" <<'SLIPWAY_PROVENANCE'`,
      statement,
      "SLIPWAY_PROVENANCE",
    );
    jobs.push({
      name: "provenance",
      lines: [
        `oras attach ${orasFlags} --artifact-type ${IN_TOTO_MEDIA_TYPE} ${q} "provenance.json:${IN_TOTO_MEDIA_TYPE}"`,
        `echo "slipway: provenance attached to ${parsed.ref}"`,
      ],
    });
  }
  if (attestations.sign) {
    lines.push("need cosign sign");
    jobs.push({ name: "signature", lines: [`cosign sign ${cosignFlags} ${q}`] });
    if (provenance !== undefined) {
      // The predicate file exists before cosign attest reads it.
      lines.push(
        `cat >"$work/predicate.json" <<'SLIPWAY_PREDICATE'`,
        JSON.stringify(provenancePredicate(provenance)),
        "SLIPWAY_PREDICATE",
      );
      jobs.push({
        name: "provenance-attestation",
        lines: [
          `cosign attest ${cosignFlags} --type slsaprovenance1 --predicate "$work/predicate.json" ${q}`,
        ],
      });
    }
  }
  lines.push(...atOnce(jobs));
  if (attestations.sign) {
    lines.push(`echo "slipway: signed ${parsed.ref}"`);
  }
  return `${lines.join("\n")}\n`;
}

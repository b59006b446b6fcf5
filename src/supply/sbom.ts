import { command, quote } from "../deploy/shell";
import { atOnce, type ScriptJob } from "../images/at-once";
import { parseDigestReference } from "../reference";
import { cosignSignFlags, inWork, orasFlags, platformDigest, prelude } from "./script";

/** The SBOM format Slipway attaches: SPDX 2.3 JSON, as syft writes it. */
const SPDX_MEDIA_TYPE = "application/spdx+json";

interface SbomScriptInput {
  /** `repository@sha256:…` of the image (an index or one manifest). */
  readonly ref: string;
  /** Platforms to describe, e.g. `linux/amd64`; each gets its own SBOM. */
  readonly platforms: readonly string[];
  /** Attach as a signed cosign attestation (`spdxjson`); otherwise as an OCI referrer. */
  readonly sign: boolean;
  /** Plain-HTTP registry. */
  readonly insecure: boolean;
}

function slug(platform: string): string {
  return platform.replace(/[^a-z0-9]+/g, "-");
}

/**
 * The script that makes one SPDX JSON SBOM per platform of a pushed image with syft and
 * attaches it to that platform's manifest digest (so `repository@<platform digest>` has its
 * own SBOM). The platforms run at once (`atOnce`: they write to different manifests); their
 * output follows in platform order, and any failure fails the script.
 * Keyed by digest by whoever runs it: an unchanged digest runs nothing.
 */
export function sbomScript(input: SbomScriptInput): string {
  const parsed = parseDigestReference(input.ref);
  const lines = [
    ...prelude(parsed, input.insecure),
    "export SYFT_CHECK_FOR_APP_UPDATE=false",
    ...(input.insecure ? ["export SYFT_REGISTRY_INSECURE_USE_HTTP=true"] : []),
  ];
  const jobs = input.platforms.map((platform): ScriptJob => {
    const file = `sbom-${slug(platform)}.spdx.json`;
    return {
      name: `sbom-${slug(platform)}`,
      lines: [
        ...platformDigest(platform, parsed.digest),
        `${command(["syft", "scan", "-q", "-o", `spdx-json=${file}`])} "registry:$repository@$digest"`,
        input.sign
          ? `${command(["cosign", "attest", ...cosignSignFlags(input.insecure), "--type", "spdxjson", "--predicate", inWork(file)])} "$repository@$digest"`
          : `${command(["oras", "attach", ...orasFlags(input.insecure), "--artifact-type", SPDX_MEDIA_TYPE])} "$repository@$digest" ${quote(`${file}:${SPDX_MEDIA_TYPE}`)} >/dev/null`,
        `packages="$(${command(["jq", ".packages | length", inWork(file)])})"`,
        `echo ${quote(`slipway: SBOM (SPDX) of ${platform}, `)}"$packages"${quote(" packages, attached to ")}"$repository@$digest"`,
      ],
    };
  });
  lines.push(...atOnce(jobs));
  return `${lines.join("\n")}\n`;
}

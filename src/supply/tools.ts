import * as fs from "node:fs";
import * as path from "node:path";
import type { SlipwayConfig } from "../config";

/** A program a supply-chain setting needs on the machine that runs `pulumi up`. */
interface ToolNeed {
  readonly tool: "syft" | "trivy" | "cosign" | "oras" | "jq";
  /** The setting that needs it, e.g. `slipway:attestations.sbom`. */
  readonly setting: string;
}

/** What the stack's supply-chain settings need installed. */
function neededTools(config: SlipwayConfig): readonly ToolNeed[] {
  const needs: ToolNeed[] = [];
  const builds = config.images.some((image) => image.kind === "build");
  if (builds && config.attestations.sbom) {
    needs.push({ tool: "syft", setting: "slipway:attestations.sbom" });
    needs.push({ tool: "jq", setting: "slipway:attestations.sbom" });
    needs.push(
      config.attestations.sign
        ? { tool: "cosign", setting: "slipway:attestations.sign" }
        : { tool: "oras", setting: "slipway:attestations.sbom" },
    );
  }
  if (builds && config.scan !== undefined) {
    needs.push({ tool: "trivy", setting: "slipway:scan" });
    needs.push({ tool: "jq", setting: "slipway:scan" });
  }
  if (config.verify !== undefined) {
    needs.push({ tool: "cosign", setting: "slipway:verify" });
    needs.push({ tool: "jq", setting: "slipway:verify" });
  }
  return needs.filter(
    (need, index) => needs.findIndex((other) => other.tool === need.tool) === index,
  );
}

/** How to get each tool: the project builds syft and trivy; Debian ships the others. */
const INSTALL: Record<ToolNeed["tool"], string> = {
  syft: "scripts/bootstrap-engine.sh --only syft (then . scripts/pulumi-env.sh), or install syft",
  trivy:
    "scripts/bootstrap-engine.sh --only trivy (then . scripts/pulumi-env.sh), or install trivy",
  cosign: "scripts/install-system.sh, or install cosign",
  oras: "scripts/install-system.sh, or install oras",
  jq: "apt-get install jq",
};

/** Whether an executable of that name is on PATH. */
function onPath(tool: string, envPath: string = process.env.PATH ?? ""): boolean {
  return envPath
    .split(path.delimiter)
    .filter((dir) => dir !== "")
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** One message per missing tool, naming the setting and the command that installs it. */
export function missingTools(
  config: SlipwayConfig,
  has: (tool: string) => boolean = (tool) => onPath(tool),
): string[] {
  return neededTools(config)
    .filter((need) => !has(need.tool))
    .map(
      (need) =>
        `${need.setting} needs ${need.tool}, which is not on PATH; install it with: ${INSTALL[need.tool]}`,
    );
}

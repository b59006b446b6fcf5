/**
 * The blue/green of a deploy (`rollout.strategy: blueGreen`), as sections of the deploy
 * script: the preview (sh/deploy-preview.sh), between the loaded routes and the switch, which
 * ends the deploy with the new release answering only on the preview route while another
 * digest than `rollout.live` serves; and after a switch (sh/deploy-preview-end.sh), the preview
 * route pointed at what serves and an earlier preview release removed.
 */
import type { RolloutConfig } from "../config/rollout";
import { previewInstance } from "../edge";
import type { ServiceDefinition } from "./definition";
import { shellLines } from "./script-files";
import { assign } from "./shell";

/** The blue/green rollout of `def`, or undefined when it has none. */
export function blueGreenOf(def: ServiceDefinition): RolloutConfig | undefined {
  return def.rollout?.strategy === "blueGreen" ? def.rollout : undefined;
}

/** Where the preview answers, for messages: the host, or the header's name (not its value). */
export function previewWhere(rollout: RolloutConfig): string {
  const preview = rollout.preview ?? {};
  return preview.host !== undefined
    ? `host ${preview.host}`
    : `requests with header ${preview.header?.name ?? "?"}`;
}

/** The preview section (sh/deploy-preview.sh) of a blue/green's deploy; none otherwise. */
export function previewLines(def: ServiceDefinition): string[] {
  const rollout = blueGreenOf(def);
  if (rollout === undefined) {
    return [];
  }
  return [
    assign("live_digest", rollout.live ?? ""),
    assign("preview_instance", previewInstance(def.service)),
    assign("preview_where", previewWhere(rollout)),
    ...shellLines("deploy-preview"),
  ];
}

/** After a blue/green's switch or in-sync run (sh/deploy-preview-end.sh); none otherwise. */
export function previewEndLines(def: ServiceDefinition): string[] {
  return blueGreenOf(def) === undefined ? [] : [...shellLines("deploy-preview-end")];
}

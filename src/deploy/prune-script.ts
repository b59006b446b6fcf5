/**
 * `slipway prune` on one host: release containers of the stack's services beyond
 * `keepReleases` (what a deploy keeps; left behind when its clean-up failed or the setting
 * went down), then images of the services' repositories that no container on the host uses
 * and the stack does not pin. Each service's containers change under its deploy lock
 * (./prelude `lock`); a running container and the current release are never touched.
 */
import { operationHeader } from "./operations";
import { shellLines } from "./script-files";
import { assign, command } from "./shell";

/** The marker of one pruned (or, dry run, prunable) thing in the script's output. */
export const PRUNE_MARK = "slipway-prune";

export interface PruneDefinition {
  readonly host: string;
  readonly stack: string;
  /** Each service instance on the host: its name, state directory, releases to keep. */
  readonly services: readonly {
    readonly service: string;
    readonly dir: string;
    readonly keepReleases: number;
  }[];
  /** Repositories (`server/namespace/name`) of the services' images. */
  readonly repositories: readonly string[];
  /** Digests the stack pins: never removed. */
  readonly pinned: readonly string[];
  /** Only say what would go. */
  readonly dryRun: boolean;
}

/** One line of the script's output, parsed. */
export interface PruneLine {
  readonly kind: "container" | "image";
  /** The container name or `repository@digest`. */
  readonly name: string;
  /** `removed`, `would remove` (dry run), or `kept: <why>` when removing failed. */
  readonly action: string;
}

/** The prune script of one host (see the file's comment; sh/prune.sh). Pure. */
export function pruneScript(def: PruneDefinition): string {
  const lines = [
    ...operationHeader(
      `Slipway prune on host ${def.host} (stack ${def.stack})${def.dryRun ? ", dry run" : ""}`,
      def.host,
      [
        ["stack", def.stack],
        ["dry", def.dryRun ? "1" : "0"],
      ],
    ),
    assign("mark", PRUNE_MARK),
    assign("repositories", def.repositories.join("\n")),
    assign("pinned", def.pinned.join("\n")),
    ...shellLines("lock"),
    ...shellLines("prune"),
    ...def.services.map(({ service, dir, keepReleases }) =>
      command(["prune_service", service, dir, keepReleases]),
    ),
    ...(def.repositories.length === 0 ? [] : ["prune_images"]),
  ];
  return `${lines.join("\n")}\n`;
}

/** Parses the prune script's output; the one reader of its format. */
export function parsePruneLines(text: string): PruneLine[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${PRUNE_MARK}\t`))
    .map((line) => {
      const [, kind = "", name = "", action = ""] = line.split("\t");
      return { kind: kind as PruneLine["kind"], name, action };
    });
}

/**
 * `slipway prune` on one host: release containers of the stack's services beyond
 * `keepReleases` (what a deploy keeps; left behind when its clean-up failed or the setting
 * went down), then images of the services' repositories that no container on the host uses
 * and the stack does not pin. Each service's containers change under its deploy lock
 * (./prelude `lock`); a running container and the current release are never touched.
 */
import { containerRemove, releaseList } from "./commands";
import { operationHeader } from "./operations";
import { lock } from "./prelude";
import { assign, command, quote, v } from "./shell";

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

function pruneServiceLines(def: PruneDefinition): string[] {
  return def.services.flatMap(({ service, dir, keepReleases }) => [
    assign("service", service),
    assign("state", dir),
    'if [ -d "$state" ]; then',
    ...lock().map((line) => `  ${line}`),
    '  current=$(cat "$state"/current 2>/dev/null || true)',
    `  ${command(releaseList({ service }))} > "$tmp"/containers`,
    "  kept=0",
    "  while IFS= read -r old; do",
    '    if [ "$old" = "$current" ]; then continue; fi',
    `    if [ "$kept" -lt ${keepReleases} ] || [ "$(docker inspect --format '{{.State.Status}}' "$old" 2>/dev/null)" = running ]; then`,
    "      kept=$((kept + 1))",
    "      continue",
    "    fi",
    '    if [ "$dry" = 1 ]; then',
    "      act='would remove'",
    `    elif out=$(${command(containerRemove(v("old")))} 2>&1); then`,
    "      act=removed",
    "    else",
    '      act="kept: $(last_line "$out")"',
    "    fi",
    `    printf '${PRUNE_MARK}\\tcontainer\\t%s\\t%s\\n' "$old" "$act"`,
    '  done < "$tmp"/containers',
    "  exec 9>&-",
    "fi",
  ]);
}

function pruneImageLines(def: PruneDefinition): string[] {
  if (def.repositories.length === 0) return [];
  return [
    // The image ID of every container on the host (any stack, any state): a container may
    // name its image by digest, by tag or by ID, so images are compared by ID.
    "ids=$(docker ps --all --quiet --no-trunc)",
    `if [ -n "$ids" ]; then docker inspect --format '{{.Image}}' $ids 2>/dev/null || true; fi | sort -u > "$tmp"/used`,
    `printf '%s\\n' ${def.pinned.map(quote).join(" ")} > "$tmp"/pinned`,
    // Every image with its ID, filtered here: a reference filter does not list images pulled
    // by digest under the containerd image store, and without --digests their {{.Digest}} is
    // empty there.
    `docker image ls --digests --no-trunc --format '{{.Repository}}@{{.Digest}} {{.ID}}' | grep '@sha256:' | sort -u > "$tmp"/all`,
    `for repository in ${def.repositories.map(quote).join(" ")}; do`,
    `  awk -v r="$repository@" 'index($0, r) == 1' "$tmp"/all`,
    'done > "$tmp"/images',
    "while read -r ref id; do",
    '  if grep -qxF "${ref#*@}" "$tmp"/pinned || grep -qxF "$id" "$tmp"/used; then continue; fi',
    '  if [ "$dry" = 1 ]; then',
    "    act='would remove'",
    '  elif out=$(docker image rm "$ref" 2>&1); then',
    "    act=removed",
    "  else",
    '    act="kept: $(last_line "$out")"',
    "  fi",
    `  printf '${PRUNE_MARK}\\timage\\t%s\\t%s\\n' "$ref" "$act"`,
    'done < "$tmp"/images',
  ];
}

/** The prune script of one host (see the file's comment). Pure. */
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
    'if ! tmp=$(mktemp -d 2>/dev/null); then fail "cannot create a temporary directory"; fi',
    ...pruneServiceLines(def),
    ...pruneImageLines(def),
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

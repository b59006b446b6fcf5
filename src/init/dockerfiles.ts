/**
 * The images of a repository, found from its Dockerfiles: `Dockerfile` (named after the
 * repository's folder, or after its own folder), `Dockerfile.<name>` and `<name>.Dockerfile`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface FoundImage {
  /** The image's name in slipway:images (a repository path component and a service name). */
  readonly name: string;
  /** Build context, relative to the project root (`.` for the root). */
  readonly context: string;
  /** The Dockerfile relative to the project root, when it is not `<context>/Dockerfile`. */
  readonly dockerfile?: string;
}

/** Folders never searched: version control, dependencies, build output. */
const SKIPPED = new Set([".git", "node_modules", "dist", "vendor"]);
const MAX_DEPTH = 3;

/** A name as an image and service name: lowercase letters, digits and inner dashes. */
export function imageNameOf(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return name === "" ? "app" : name;
}

function dockerfilesUnder(root: string, dir: string, depth: number): string[] {
  const entries = fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name));
  const here = entries
    .filter(
      (entry) =>
        entry.isFile() &&
        (entry.name === "Dockerfile" ||
          /^Dockerfile\.[A-Za-z0-9_.-]+$/.test(entry.name) ||
          /^[A-Za-z0-9_.-]+\.Dockerfile$/.test(entry.name)),
    )
    .map((entry) => path.posix.join(dir, entry.name));
  const below =
    depth >= MAX_DEPTH
      ? []
      : entries
          .filter(
            (entry) =>
              entry.isDirectory() && !SKIPPED.has(entry.name) && !entry.name.startsWith("."),
          )
          .flatMap((entry) => dockerfilesUnder(root, path.posix.join(dir, entry.name), depth + 1));
  return [...here, ...below];
}

/**
 * The images the Dockerfiles under `root` build, the root's own first. Each builds with its
 * Dockerfile's folder as context; names are made unique with a number.
 */
export function findImages(root: string): FoundImage[] {
  const taken = new Set<string>();
  return dockerfilesUnder(root, ".", 0).map((file) => {
    const dir = path.posix.dirname(file);
    const base = path.posix.basename(file);
    const stem =
      base === "Dockerfile"
        ? path.basename(dir === "." ? root : dir)
        : base.startsWith("Dockerfile.")
          ? base.slice("Dockerfile.".length)
          : base.slice(0, -".Dockerfile".length);
    let name = imageNameOf(stem);
    for (let n = 2; taken.has(name); n += 1) {
      name = `${imageNameOf(stem)}-${n}`;
    }
    taken.add(name);
    return {
      name,
      context: dir,
      ...(base === "Dockerfile" ? {} : { dockerfile: file }),
    };
  });
}

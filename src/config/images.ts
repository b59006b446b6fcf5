/** `slipway:images`: what a stack builds or pins, its schema and its checks. */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { REPOSITORY_COMPONENT_PATTERN, TAG_PATTERN } from "../reference";
import { digestString, oneOf, plain, plainText, secret } from "./primitives";
import { asList, asMap, has, type Add, type RawIssue, type RawMap } from "./raw";
import type { Role } from "./role";

/** Platforms Slipway builds for. */
export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Where BuildKit keeps its layer cache. */
const CACHE_MODES = ["registry", "gha", "none"] as const;

/**
 * What an image build takes from git: labels and time of the commit being built (`commit`),
 * of the last commit that changed its context (`context`: an unchanged context keeps its
 * digest across commits), or nothing (`none`).
 */
const STAMPS = ["commit", "context", "none"] as const;
export type Stamp = (typeof STAMPS)[number];

export const imageName = plain.regex(
  REPOSITORY_COMPONENT_PATTERN,
  "is not a valid repository name component: use lowercase letters and digits, with . _ or - between them",
);

const platform = oneOf(PLATFORMS);

const relativePath = plain.min(1, "must not be empty");

const buildSchema = z.strictObject({
  context: relativePath.describe(
    "Build context: a folder inside the project, relative to its root. Required.",
  ),
  dockerfile: relativePath
    .optional()
    .describe(
      "Dockerfile, relative to the project root (it must exist inside the project); defaults to `<context>/Dockerfile`.",
    ),
  target: plain.optional().describe("Stage to build; the last stage when absent."),
  platforms: z
    .array(platform)
    .min(1, "needs at least one platform")
    .default([...PLATFORMS])
    .describe("Platforms of the multi-platform image."),
  args: z
    .record(
      z.string(),
      plainText(
        "a build arg",
        "build args are kept in the image history; pass it in build.secrets and read it with RUN --mount=type=secret",
      ),
    )
    .default({})
    .describe(
      "Build arguments. They are stored in the image: secret-looking names and secure values are refused (use `secrets`).",
    ),
  secrets: z
    .record(z.string(), secret)
    .default({})
    .describe(
      "BuildKit secrets by id, mounted with `RUN --mount=type=secret,id=<id>`; Pulumi secrets, ignored in diffs.",
    ),
  cache: z
    .strictObject({
      mode: z
        .enum(CACHE_MODES, {
          error: (issue) =>
            `${JSON.stringify(issue.input)} is not a cache mode; use one of ${CACHE_MODES.join(", ")}`,
        })
        .default("registry")
        .describe("Where the cache lives: `registry`, `gha` (GitHub Actions' cache) or `none`."),
      ref: plain
        .optional()
        .describe("Cache image for `registry` mode; defaults to `<repository>:buildcache`."),
      scope: plain.optional().describe("Cache scope for `gha` mode; defaults to the image name."),
    })
    .default({ mode: "registry" })
    .describe("Layer cache: `registry` (`<repo>:buildcache`, mode max), `gha`, or `none`."),
  buildOnPreview: z
    .boolean()
    .default(false)
    .describe(
      "Build during `pulumi preview` too (off: previews of pull requests never build or push).",
    ),
  tags: z
    .array(plain.regex(TAG_PATTERN, "is not a valid tag"))
    .default([])
    .describe("Extra static tags, besides the ones computed from git."),
  stamp: oneOf(STAMPS)
    .default("commit")
    .describe(
      "`commit`: labels and timestamps from the commit (revision, created). `context`: from the last commit that changed the build context, so in a repository of several images a commit rebuilds only the images whose context it changed (the others keep their digest, and their services keep running). `none`: none of them (SOURCE_DATE_EPOCH 0), so the digest depends only on the context, e.g. the edge proxy. With `context` and `none` the per-build tags (`sha-…`, `dev-…`) name the last commit that changed the context too, so an image a commit did not touch gets no build, no push, no signature and no restart.",
    ),
});

const pinSchema = z.strictObject({
  digest: digestString
    .optional()
    .describe(
      "`sha256:<64 hex>`, the digest a build stack produced (written by `slipway promote`). Required in a promote stack: a tag can move.",
    ),
  tag: plain
    .regex(TAG_PATTERN, "is not a valid tag")
    .optional()
    .describe("The tag the digest was published under, kept for people reading the file."),
  revision: plain
    .regex(/^[0-9a-f]{7,40}$/, "is not a git commit sha")
    .optional()
    .describe("Source commit the digest was built from (written by `slipway promote`)."),
  repository: plain
    .optional()
    .describe("Repository to pull from, when it is not `<registry>/<namespace>/<name>`."),
  source: plain
    .regex(/^[A-Za-z0-9_.-]+$/, "is not a stack name")
    .optional()
    .describe(
      "The stack the digest was promoted from (written by `slipway promote`; the ledger's source).",
    ),
  restores: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("The ledger release a rollback restored (written by `slipway rollback`)."),
  checkedOn: z
    .literal("hosts", { error: 'can only be "hosts" (written by slipway rollback)' })
    .optional()
    .describe(
      "`hosts`: written by `slipway rollback` when the registry was unreachable and every host that runs the image still had this digest; the stack's repository check and signature verification then do not contact the registry for it. Any later pin write drops it.",
    ),
  pinnedAt: plain
    .regex(/^[0-9a-f]{7,40}$/, "is not a git commit sha")
    .optional()
    .describe(
      "On a build stack, beside `build` (written by `slipway rollback`): the commit the image's build came from when the rollback pinned it. The stack runs the pin instead of building until a later commit changes the image (the next build release), or `slipway rollback --unpin`.",
    ),
});

const imageSchema = z.strictObject({
  build: buildSchema
    .optional()
    .describe("How a build stack builds the image (refused in a promote stack)."),
  pin: pinSchema
    .optional()
    .describe("The digest another stack built, pinned by `slipway promote` or `slipway rollback`."),
});

export const imagesSchema = z.record(z.string(), imageSchema);

export type BuildConfig = z.output<typeof buildSchema>;
type PinConfig = z.output<typeof pinSchema> & { readonly digest: string };
/** Where a pin's digest was checked instead of the registry (`pin.checkedOn`). */
export type CheckedOn = NonNullable<PinConfig["checkedOn"]>;

/**
 * An image is either built by this stack or pinned to a digest another stack built. A build
 * may carry a rollback pin (`pin.pinnedAt`): what the stack runs instead while it holds.
 */
export type ImageConfig =
  | {
      readonly kind: "build";
      readonly name: string;
      readonly build: BuildConfig;
      readonly rollbackPin?: PinConfig & { readonly pinnedAt: string };
    }
  | { readonly kind: "pin"; readonly name: string; readonly pin: PinConfig };

/** Build-arg names that look like credentials, after Docker's SecretsUsedInArgOrEnv check. */
const SECRET_LIKE_NAME =
  /(?:^|_)(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)(?:_|$)/i;

/** Each image builds or pins (never both, but for a build stack's rollback pin); returns the image names. */
export function imageChecks(raw: RawMap, role: Role, add: Add): string[] {
  const images = asMap(raw.images);
  const imageNames = images === undefined ? [] : Object.keys(images);
  if (images !== undefined && imageNames.length === 0) {
    add(
      "images",
      [],
      role === "promote"
        ? "pins no image yet: a promote stack runs what a build stack produced; run slipway promote --from <build stack> --to <this stack>"
        : "declares no image; add one under slipway:images.<name>",
    );
  }
  for (const name of imageNames) {
    if (!REPOSITORY_COMPONENT_PATTERN.test(name)) {
      add(
        "images",
        [name],
        `${JSON.stringify(name)} is not a valid image name: use lowercase letters and digits, with . _ or - between them`,
      );
    }
    const image = asMap(images?.[name]);
    if (image === undefined) {
      continue;
    }
    const build = asMap(image.build);
    if (role === "promote" && has(image, "build")) {
      add(
        "images",
        [name, "build"],
        "a promote stack never builds; pin the digest a build stack produced: slipway promote --from <build stack> --to " +
          "<this stack>",
      );
    }
    if (!has(image, "build") && !has(image, "pin")) {
      add(
        "images",
        [name],
        role === "promote"
          ? "needs pin.digest: a promote stack runs only digests a build stack produced"
          : "needs either build (to build it here) or pin.digest (to run a digest built elsewhere)",
      );
    }
    const pin = asMap(image.pin);
    if (has(image, "build") && has(image, "pin")) {
      if (pin === undefined || !has(pin, "pinnedAt")) {
        add(
          "images",
          [name],
          "has both build and pin; keep one (a build stack's rollback pin, written by slipway rollback, has pinnedAt)",
        );
      } else if (!has(pin, "restores")) {
        add(
          "images",
          [name, "pin", "restores"],
          "is required beside pinnedAt: the release the rollback restores (slipway rollback writes both)",
        );
      }
    } else if (pin !== undefined && has(pin, "pinnedAt")) {
      add(
        "images",
        [name, "pin", "pinnedAt"],
        "only goes beside build: it says until when a build stack runs a rollback pin instead of building",
      );
    }
    if (pin !== undefined && !has(pin, "digest")) {
      add(
        "images",
        [name, "pin", "digest"],
        has(pin, "tag")
          ? "is required: a tag can move, pin the digest it points to (slipway promote resolves it)"
          : "is required: sha256:<64 hex>",
      );
    }
    if (build !== undefined) {
      buildChecks(name, build, add);
    }
  }

  return imageNames;
}

function buildChecks(name: string, build: RawMap, add: Add): void {
  const platforms = asList(build.platforms);
  platforms.forEach((value, index) => {
    if (platforms.indexOf(value) !== index) {
      add(
        "images",
        [name, "build", "platforms", index],
        `${JSON.stringify(value)} is listed twice`,
      );
    }
  });
  const secrets = asMap(build.secrets) ?? {};
  for (const arg of Object.keys(asMap(build.args) ?? {})) {
    if (arg in secrets) {
      add(
        "images",
        [name, "build", "args", arg],
        "is also a build secret; a secret must never be a build arg, remove it here",
      );
    } else if (SECRET_LIKE_NAME.test(arg)) {
      add(
        "images",
        [name, "build", "args", arg],
        "looks like a secret, and build args are kept in the image history; pass it in build.secrets and read it with " +
          "RUN --mount=type=secret",
      );
    }
  }
}

/** Checks paths against the project root: contexts and Dockerfiles must exist inside it. */
export function fileChecks(raw: RawMap, root: string): RawIssue[] {
  const issues: RawIssue[] = [];
  const realRoot = fs.realpathSync(root);
  const inside = (target: string) => {
    const relative = path.relative(realRoot, target);
    return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
  };
  const images = asMap(raw.images) ?? {};
  for (const [name, value] of Object.entries(images)) {
    const build = asMap(asMap(value)?.build);
    if (build === undefined || typeof build.context !== "string" || build.context === "") {
      continue;
    }
    const context = path.resolve(realRoot, build.context);
    if (!inside(context) || (fs.existsSync(context) && !inside(fs.realpathSync(context)))) {
      issues.push({
        key: "images",
        path: [name, "build", "context"],
        message: `${JSON.stringify(build.context)} is outside the project; a build context must be a folder inside it`,
      });
      continue;
    }
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
      issues.push({
        key: "images",
        path: [name, "build", "context"],
        message: `${JSON.stringify(build.context)} is not a folder in the project`,
      });
      continue;
    }
    const dockerfile =
      typeof build.dockerfile === "string"
        ? path.resolve(realRoot, build.dockerfile)
        : path.join(context, "Dockerfile");
    const shown = path.relative(realRoot, dockerfile);
    if (!inside(dockerfile)) {
      issues.push({
        key: "images",
        path: [name, "build", "dockerfile"],
        message: `${JSON.stringify(build.dockerfile)} is outside the project`,
      });
    } else if (!fs.existsSync(dockerfile) || !fs.statSync(dockerfile).isFile()) {
      issues.push({
        key: "images",
        path: [name, "build", typeof build.dockerfile === "string" ? "dockerfile" : "context"],
        message: `Dockerfile ${JSON.stringify(shown)} does not exist`,
      });
    }
  }
  return issues;
}

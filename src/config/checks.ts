import * as fs from "node:fs";
import * as path from "node:path";
import { REPOSITORY_COMPONENT_PATTERN } from "../reference";
import { ENV_NAME_PATTERN } from "./primitives";
import { asList, asMap, has, type RawMap } from "./raw";
import { repositoryChecks } from "./registry-repositories";
import { Secret } from "./secret";
import { DEFAULT_SSH_PORT, imageOrPinProblem, workloadChecks } from "./service-checks";
import { verifyChecks } from "./supply";
import { MAX_REVIEWERS, PATH_PLACEHOLDER, type Role } from "./schema";

/** An issue found by a cross-field check, before the path is formatted. */
export interface RawIssue {
  readonly key: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

type Map = RawMap;

/** Build-arg names that look like credentials, after Docker's SecretsUsedInArgOrEnv check. */
const SECRET_LIKE_NAME =
  /(?:^|_)(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)(?:_|$)/i;

/**
 * Checks that span fields or keys. They read the raw config defensively so they run even
 * when the schema has found other problems: every problem is reported at once.
 */
export function crossChecks(raw: Map, role: Role): RawIssue[] {
  const issues: RawIssue[] = [];
  const add = (key: string, where: readonly PropertyKey[], message: string) =>
    issues.push({ key, path: where, message });

  const registry = asMap(raw.registry);
  if (registry?.password instanceof Secret && /[\n\r\0]/.test(registry.password.reveal())) {
    add(
      "registry",
      ["password"],
      "contains a line break, CR or NUL; a registry password or token is one line",
    );
  }
  if (registry !== undefined && has(registry, "username") !== has(registry, "password")) {
    const missing = has(registry, "username") ? "password" : "username";
    add(
      "registry",
      [missing],
      `is required when ${missing === "password" ? "username" : "password"} is set (set both for a private registry, or neither)`,
    );
  }

  issues.push(...repositoryChecks(raw));

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

  const hostNames = new Set<string>();
  asList(raw.hosts).forEach((value, index) => {
    const host = asMap(value);
    if (host === undefined) {
      return;
    }
    if (typeof host.name === "string") {
      if (hostNames.has(host.name)) {
        add(
          "hosts",
          [index, "name"],
          `${JSON.stringify(host.name)} is used by another host; names must be unique`,
        );
      }
      hostNames.add(host.name);
    }
    if ((host.transport ?? "ssh") === "ssh") {
      keyChecks(host, [index], add);
    }
    const proxy = asMap(host.proxy);
    if (proxy !== undefined) {
      keyChecks(proxy, [index, "proxy"], add);
    }
  });

  const service = asMap(raw.service);
  if (
    service === undefined &&
    hostNames.size > 0 &&
    raw.service === undefined &&
    raw.services === undefined &&
    raw.accessories === undefined
  ) {
    add(
      "services",
      [],
      "is required when hosts are declared: what should run on them? (slipway:services, or slipway:service for one)",
    );
  }
  // With no image at all, that one problem says what to do; service references would only echo it.
  if (service !== undefined && imageNames.length > 0) {
    if (
      typeof service.image === "string" &&
      images !== undefined &&
      !imageNames.includes(service.image)
    ) {
      add(
        "service",
        ["image"],
        `${JSON.stringify(service.image)} is not in slipway:images (${imageNames.join(", ") || "none declared"})`,
      );
    }
    const edgeImage =
      typeof asMap(raw.edge)?.image === "string" ? asMap(raw.edge)!.image : undefined;
    const candidates = imageNames.filter((name) => name !== edgeImage);
    if (service.image === undefined && images !== undefined && candidates.length === 0) {
      add(
        "service",
        ["image"],
        "has no image to run besides the edge proxy; declare one under slipway:images",
      );
    }
    if (service.image === undefined && candidates.length > 1) {
      add(
        "service",
        ["image"],
        `is required when there are several images: one of ${candidates.join(", ")}`,
      );
    }
  }
  edgePortChecks(asMap(raw.edge), asList(raw.hosts), add);

  workloadChecks(raw, imageNames, add);
  edgeChecks(asMap(raw.edge), imageNames, add);

  const github = asMap(raw.github);
  if (github !== undefined) {
    githubChecks(github, role, add);
  }

  const attestations = asMap(raw.attestations);
  if (
    attestations?.sign === true &&
    !has(attestations, "cosignKey") &&
    !has(attestations, "cosignKeyFile")
  ) {
    add(
      "attestations",
      ["cosignKey"],
      `is required when sign is on: pulumi config set --secret --path '${PATH_PLACEHOLDER}' < cosign.key (or set cosignKeyFile)`,
    );
  }
  if (has(attestations, "cosignKey") && has(attestations, "cosignKeyFile")) {
    add("attestations", ["cosignKeyFile"], "is set together with cosignKey; keep one");
  }
  verifyChecks(asMap(raw.verify), add);
  return issues;
}

type Add = (key: string, where: readonly PropertyKey[], message: string) => void;

/**
 * The edge of a stack that manages it publishes `httpPort` and `httpsPort` on every host: on
 * a host reached over SSH at one of them it would fight sshd for it (and an edge that won
 * would lock Slipway out).
 */
function edgePortChecks(edge: Map | undefined, hosts: readonly unknown[], add: Add): void {
  if (edge === undefined || typeof edge.image !== "string") {
    return;
  }
  const ports = [
    ["httpPort", typeof edge.httpPort === "number" ? edge.httpPort : 80],
    ["httpsPort", typeof edge.httpsPort === "number" ? edge.httpsPort : 443],
  ] as const;
  hosts.forEach((value, index) => {
    const host = asMap(value);
    if (host === undefined || (host.transport ?? "ssh") !== "ssh") {
      return;
    }
    const sshPort = host.port ?? DEFAULT_SSH_PORT;
    for (const [field, port] of ports) {
      if (sshPort === port) {
        const name = typeof host.name === "string" ? JSON.stringify(host.name) : `[${index}]`;
        add(
          "edge",
          [field],
          `${port} is the SSH port of host ${name} (slipway:hosts[${index}].port); the edge cannot own the port ` +
            `sshd listens on: choose another ${field}`,
        );
      }
    }
  });
}

function buildChecks(name: string, build: Map, add: Add): void {
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

function keyChecks(host: Map, where: readonly PropertyKey[], add: Add): void {
  if (!has(host, "privateKey") && !has(host, "privateKeyFile")) {
    add(
      "hosts",
      where,
      `has no SSH key: set privateKey (pulumi config set --secret --path '${PATH_PLACEHOLDER}.privateKey' < key) or ` +
        "privateKeyFile",
    );
  }
  if (has(host, "privateKey") && has(host, "privateKeyFile")) {
    add("hosts", [...where, "privateKeyFile"], "is set together with privateKey; keep one");
  }
}

function githubChecks(github: Map, role: Role, add: Add): void {
  const reviewers = asMap(github.reviewers);
  const count = asList(reviewers?.users).length + asList(reviewers?.teams).length;
  if (count > MAX_REVIEWERS) {
    add(
      "github",
      ["reviewers"],
      `lists ${count} reviewers; GitHub allows at most ${MAX_REVIEWERS} (users and teams together) per environment`,
    );
  }
  if (role === "promote" && github.canAdminsBypass === true) {
    add(
      "github",
      ["canAdminsBypass"],
      "must be false in a promote stack: approvals bind admins too",
    );
  }
  const branches = asMap(github.deploymentBranches);
  if (
    branches?.protectedBranches === true &&
    (asList(branches.branches).length > 0 || asList(branches.tags).length > 0)
  ) {
    add(
      "github",
      ["deploymentBranches"],
      "sets protectedBranches together with branch or tag patterns; GitHub takes one or the other",
    );
  }
  if (
    branches !== undefined &&
    branches.protectedBranches !== true &&
    asList(branches.branches).length === 0 &&
    asList(branches.tags).length === 0
  ) {
    add(
      "github",
      ["deploymentBranches"],
      "lets no branch or tag deploy; list branches or tags, set protectedBranches, or remove deploymentBranches to let every ref deploy",
    );
  }
  for (const field of ["secrets", "variables"] as const) {
    for (const name of Object.keys(asMap(github[field]) ?? {})) {
      if (!ENV_NAME_PATTERN.test(name) || /^GITHUB_/i.test(name)) {
        add(
          "github",
          [field, name],
          "is not a name GitHub accepts: letters, digits and _, not starting with a digit or GITHUB_",
        );
      }
    }
  }
}

/** Checks paths against the project root: contexts and Dockerfiles must exist inside it. */
export function fileChecks(raw: Map, root: string): RawIssue[] {
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

const EDGE_MANAGED_FIELDS = ["httpPort", "httpsPort", "bind", "tls", "email"] as const;

/** The edge: a managing stack names its image; other fields only go with it. */
function edgeChecks(edge: Map | undefined, imageNames: readonly string[], add: Add): void {
  if (edge === undefined) {
    return;
  }
  const image = typeof edge.image === "string" ? edge.image : undefined;
  if (image === undefined) {
    for (const field of EDGE_MANAGED_FIELDS) {
      if (has(edge, field)) {
        add(
          "edge",
          [field],
          "is set, but this stack does not manage the edge (no slipway:edge.image): only the stack that manages a host's edge sets its ports and TLS",
        );
      }
    }
    return;
  }
  const problem = imageOrPinProblem(image, imageNames, "docker.io/library/caddy");
  if (problem !== undefined) {
    add("edge", ["image"], problem);
  }
  const http = typeof edge.httpPort === "number" ? edge.httpPort : 80;
  const https = typeof edge.httpsPort === "number" ? edge.httpsPort : 443;
  if (http === https) {
    add("edge", ["httpsPort"], `is the same port as httpPort (${http}); the edge needs two ports`);
  }
}

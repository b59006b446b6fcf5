/**
 * Cross-field checks of what runs on the hosts (`slipway:services`, `slipway:accessories`): images that exist, placements that match hosts, routes that no
 * two services claim, names shared by nobody, ports that stay private unless said otherwise.
 * They read the raw config defensively, so they run even when the schema found problems.
 */
import { parseDigestReference } from "../reference";
import { ENV_NAME_PATTERN } from "./primitives";
import { asList, asMap, has, type Add, type RawMap } from "./raw";
import { Secret } from "./secret";
import { hostPortChecks, volumeChecks } from "./accessory-checks";
import { routeMatchKey } from "./services";

const LOOPBACK = /^127\./;

/** Whether `ref` is `registry/repository@sha256:<hex>`. */
function isDigestReference(ref: string): boolean {
  try {
    parseDigestReference(ref);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a setting that names an image of the stack or a pinned `repository@sha256:…` (the
 * edge's and an accessory's `image`) names neither, or undefined. `example` is the official
 * repository shown in the fix; `unknown` ends the message for a name not in slipway:images.
 */
export function imageOrPinProblem(
  image: string,
  imageNames: readonly string[],
  example: string,
  unknown = "",
): string | undefined {
  if (image.includes("@")) {
    return isDigestReference(image)
      ? undefined
      : `give a pinned reference: registry/repository@sha256:<64 hex>, e.g. ${example}@sha256:…`;
  }
  // With no image at all, the images problem says what to do; this would only echo it.
  return imageNames.length === 0 || imageNames.includes(image)
    ? undefined
    : `${JSON.stringify(image)} is neither in slipway:images (${imageNames.join(", ")}) nor a pinned repository@sha256:<digest>${unknown}`;
}

/** Env names, one-line secrets, and no variable in both env and secretEnv. */
function envChecks(key: string, at: readonly PropertyKey[], entry: RawMap, add: Add): void {
  const env = asMap(entry.env) ?? {};
  const secretEnv = asMap(entry.secretEnv) ?? {};
  for (const [field, map] of [
    ["env", env],
    ["secretEnv", secretEnv],
  ] as const) {
    for (const name of Object.keys(map)) {
      if (!ENV_NAME_PATTERN.test(name)) {
        add(
          key,
          [...at, field, name],
          "is not an environment variable name: letters, digits and _, not starting with a digit",
        );
      }
    }
  }
  for (const [name, value] of Object.entries(secretEnv)) {
    if (value instanceof Secret && /[\n\r\0]/.test(value.reveal())) {
      add(
        key,
        [...at, "secretEnv", name],
        "contains a line break, CR or NUL; an env file holds one line per variable: encode it (e.g. base64) and decode it in the app",
      );
    }
  }
  const files = asMap(entry.secretEnvFiles) ?? {};
  for (const name of Object.keys(files)) {
    if (!ENV_NAME_PATTERN.test(name)) {
      add(
        key,
        [...at, "secretEnvFiles", name],
        "is not an environment variable name: letters, digits and _, not starting with a digit",
      );
    }
    if (name in secretEnv || name in env) {
      add(
        key,
        [...at, "secretEnvFiles", name],
        `is also in ${name in env ? "env" : "secretEnv"}; keep it in one place`,
      );
    }
  }
  for (const name of Object.keys(env)) {
    if (name in secretEnv) {
      add(key, [...at, "env", name], "is also in secretEnv; keep it in one place");
    }
  }
}

/** Routes of one service: TLS needs a host; no two routes match the same requests. */
function routeChecks(key: string, at: readonly PropertyKey[], routes: unknown[], add: Add): void {
  const seen = new Map<string, number>();
  routes.forEach((value, index) => {
    const route = asMap(value);
    if (route === undefined) {
      return;
    }
    const host = typeof route.host === "string" ? route.host : undefined;
    const path = typeof route.path === "string" ? route.path : undefined;
    if (route.tls === true && host === undefined) {
      add(
        key,
        [...at, "routes", index, "tls"],
        "needs a host: a certificate is issued for a host name (set routes[].host)",
      );
    }
    if (route.redirect === true && route.tls !== true) {
      add(key, [...at, "routes", index, "redirect"], "redirects to HTTPS, so it needs tls: true");
    }
    const match = routeMatchKey({
      ...(host === undefined ? {} : { host }),
      ...(path === undefined ? {} : { path }),
    });
    const first = seen.get(match);
    if (first !== undefined) {
      add(
        key,
        [...at, "routes", index],
        `matches the same requests as routes[${first}] (host ${host ?? "any"}, path ${path ?? "any"}); remove one`,
      );
    } else {
      seen.set(match, index);
    }
  });
}

interface HostInfo {
  readonly names: readonly string[];
  readonly roles: ReadonlySet<string>;
}

function hostInfo(raw: RawMap): HostInfo {
  const names: string[] = [];
  const roles = new Set<string>();
  for (const value of asList(raw.hosts)) {
    const host = asMap(value);
    if (typeof host?.name === "string") {
      names.push(host.name);
    }
    for (const role of asList(host?.roles)) {
      if (typeof role === "string") {
        roles.add(role);
      }
    }
  }
  return { names, roles };
}

/** `hosts` names declared hosts, `role` is some host's role, and not both. */
function placementChecks(
  key: string,
  at: readonly PropertyKey[],
  entry: RawMap,
  hosts: HostInfo,
  add: Add,
): void {
  if (has(entry, "hosts") && has(entry, "role")) {
    add(key, [...at, "role"], "is set together with hosts; place it by host names or by role");
  }
  asList(entry.hosts).forEach((name, index) => {
    if (typeof name === "string" && !hosts.names.includes(name)) {
      add(
        key,
        [...at, "hosts", index],
        `${JSON.stringify(name)} is not a host of slipway:hosts (${hosts.names.join(", ") || "none declared"})`,
      );
    }
  });
  if (typeof entry.role === "string" && !hosts.roles.has(entry.role)) {
    add(
      key,
      [...at, "role"],
      `no host has role ${JSON.stringify(entry.role)}; add it to a host's roles in slipway:hosts` +
        (hosts.roles.size === 0 ? "" : ` or use one of ${[...hosts.roles].join(", ")}`),
    );
  }
}

/** The image a service runs: one of `slipway:images`. */
function serviceImageCheck(
  key: string,
  at: readonly PropertyKey[],
  image: unknown,
  imageNames: readonly string[],
  add: Add,
  defaulted: boolean,
): void {
  if (typeof image !== "string" || imageNames.length === 0 || imageNames.includes(image)) {
    return;
  }
  add(
    key,
    defaulted ? at : [...at, "image"],
    defaulted
      ? `has no image: none of slipway:images (${imageNames.join(", ")}) is called ${JSON.stringify(image)}; set image: <one of them>`
      : `${JSON.stringify(image)} is not in slipway:images (${imageNames.join(", ")})`,
  );
}

/** Every check of `slipway:services` and `slipway:accessories`. */
export function workloadChecks(raw: RawMap, imageNames: readonly string[], add: Add): void {
  const hosts = hostInfo(raw);
  const services = asMap(raw.services) ?? {};
  /** Which service first claimed each route (host|path), for clashes across services. */
  const claimed = new Map<string, string>();
  for (const [name, value] of Object.entries(services)) {
    const entry = asMap(value);
    if (entry === undefined) {
      continue;
    }
    const image = has(entry, "image") ? entry.image : name;
    serviceImageCheck("services", [name], image, imageNames, add, !has(entry, "image"));
    envChecks("services", [name], entry, add);
    placementChecks("services", [name], entry, hosts, add);
    const routes = asList(entry.routes);
    routeChecks("services", [name], routes, add);
    if (entry.worker === true && routes.length > 0) {
      add(
        "services",
        [name, "routes"],
        "is set, but the service is a worker (worker: true); a worker gets no requests: remove its routes, or worker: true",
      );
    }
    if (entry.worker === false && routes.length === 0) {
      add(
        "services",
        [name, "worker"],
        "is false, but the service has no routes, and a service without routes is a worker; add routes (e.g. routes: [{}], which routes every request), or remove worker",
      );
    }
    if (routes.length > 0 && entry.worker !== true && has(entry, "healthCommand")) {
      add(
        "services",
        [name, "healthCommand"],
        "is set, but the service has routes: its health is healthPath, asked over HTTP through the edge; remove healthCommand (or set healthPath), or remove routes to make it a worker",
      );
    }
    if (routes.length === 0 && has(entry, "healthPath")) {
      add(
        "services",
        [name, "healthPath"],
        "is set, but the service has no routes (a worker): its health is healthCommand, or the image's HEALTHCHECK",
      );
    }
    routes.forEach((routeValue, index) => {
      const route = asMap(routeValue);
      if (route === undefined) {
        return;
      }
      const key = routeMatchKey({
        ...(typeof route.host === "string" ? { host: route.host } : {}),
        ...(typeof route.path === "string" ? { path: route.path } : {}),
      });
      const owner = claimed.get(key);
      if (owner !== undefined && owner !== name) {
        add(
          "services",
          [name, "routes", index],
          `is also a route of service ${owner} (host ${typeof route.host === "string" ? route.host : "any"}, path ${typeof route.path === "string" ? route.path : "any"}); give one of them another host or path`,
        );
      } else {
        claimed.set(key, name);
      }
    });
  }

  const accessories = asMap(raw.accessories) ?? {};
  for (const [name, value] of Object.entries(accessories)) {
    const entry = asMap(value);
    if (entry === undefined) {
      continue;
    }
    if (name in services) {
      add(
        "accessories",
        [name],
        `is also the name of a service; services and accessories share the stack's network, where each name is one container: rename one`,
      );
    }
    const problem =
      typeof entry.image === "string"
        ? imageOrPinProblem(
            entry.image,
            imageNames,
            "docker.io/library/postgres",
            "; an accessory runs a fixed digest",
          )
        : undefined;
    if (problem !== undefined) {
      add("accessories", [name, "image"], problem);
    }
    envChecks("accessories", [name], entry, add);
    placementChecks("accessories", [name], entry, hosts, add);
    volumeChecks(name, entry, add);
    asList(entry.ports).forEach((portValue, index) => {
      const published = asMap(portValue);
      if (
        typeof published?.bind === "string" &&
        !LOOPBACK.test(published.bind) &&
        published.public !== true
      ) {
        add(
          "accessories",
          [name, "ports", index, "bind"],
          `publishes ${name} on ${published.bind}, reachable from other machines; services reach it by name without any port. Bind 127.0.0.1, or set public: true if it is meant to be reachable`,
        );
      }
    });
  }
  hostPortChecks(raw, add);
}

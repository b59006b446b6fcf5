/** `slipway:edge`: the Caddy edge of every host, its schema and its checks. */
import { z } from "zod";
import { DOCKER_NAME_PATTERN, oneOf, plain, port } from "./primitives";
import { asMap, has, type Add, type RawMap } from "./raw";
import { DEFAULT_SSH_PORT } from "./hosts";
import { imageOrPinProblem } from "./service-checks";

/** Who issues the edge's certificates: ACME (public names; Caddy's own CA for local ones), or Caddy's internal CA for every name. */
const TLS_ISSUERS = ["acme", "internal"] as const;
export type TlsIssuer = (typeof TLS_ISSUERS)[number];

/** Default name of a host's edge proxy: its container, network and state directory. */
export const DEFAULT_EDGE_NAME = "slipway-edge";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The edge proxy of every host of the stack. A stack that sets `image` manages it (starts,
 * upgrades it); a stack without it routes through the edge of that name that another stack
 * manages on the same hosts.
 */
export const edgeSchema = z.strictObject({
  name: plain
    .regex(DOCKER_NAME_PATTERN, "is not a container name: lowercase letters, digits, _ . -")
    .default(DEFAULT_EDGE_NAME)
    .describe("Container, network and state directory name of the edge on each host."),
  image: plain
    .min(1, "must not be empty")
    .optional()
    .describe(
      "Set: this stack manages the edge. An image of `slipway:images` (`edge` locally), or a pinned `repository@sha256:…` (e.g. the official `docker.io/library/caddy:2.11@sha256:…`). Absent: the stack routes through the edge another stack manages on its hosts.",
    ),
  httpPort: port.default(80).describe("Host port for HTTP (the managing stack only)."),
  httpsPort: port.default(443).describe("Host port for HTTPS (the managing stack only)."),
  bind: plain
    .regex(IPV4, "is not an IPv4 address, e.g. 0.0.0.0 or 127.0.0.1")
    .default("0.0.0.0")
    .describe("Address the ports are published on: `0.0.0.0` (all interfaces) or `127.0.0.1`."),
  tls: oneOf(TLS_ISSUERS)
    .default("acme")
    .describe(
      "Certificate issuer for TLS routes: `acme` (public names; Caddy's own CA for `localhost` names) or `internal` (Caddy's CA for every name).",
    ),
  email: plain
    .regex(/^[^\s@]+@[^\s@]+$/, "is not an e-mail address")
    .optional()
    .describe("ACME account e-mail (expiry notices); optional."),
});

export type EdgeConfig = z.output<typeof edgeSchema>;

/**
 * The edge of a stack that manages it publishes `httpPort` and `httpsPort` on every host: on
 * a host reached over SSH at one of them it would fight sshd for it (and an edge that won
 * would lock Slipway out).
 */
export function edgePortChecks(
  edge: RawMap | undefined,
  hosts: readonly unknown[],
  add: Add,
): void {
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

const EDGE_MANAGED_FIELDS = ["httpPort", "httpsPort", "bind", "tls", "email"] as const;

/** The edge: a managing stack names its image; other fields only go with it. */
export function edgeChecks(
  edge: RawMap | undefined,
  imageNames: readonly string[],
  add: Add,
): void {
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

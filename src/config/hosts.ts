/** `slipway:hosts`: the machines services run on and how they are reached, schema and checks. */
import { z } from "zod";
import { oneOf, PATH_PLACEHOLDER, plain, port, ruled, secret } from "./primitives";
import { asList, asMap, has, type Add, type RawMap } from "./raw";
import { sshPublicKeyProblem } from "./rules";

/** SSH's port when a host does not say. */
export const DEFAULT_SSH_PORT = 22;

/** How a host is reached: over SSH, or this machine itself (no SSH). */
const TRANSPORTS = ["ssh", "local"] as const;
export type Transport = (typeof TRANSPORTS)[number];

const hostKey = ruled(sshPublicKeyProblem);

const proxySchema = z.strictObject({
  address: plain.min(1, "must not be empty").describe("The bastion's address. Required."),
  port: port.default(DEFAULT_SSH_PORT).describe("The bastion's SSH port."),
  user: plain.min(1).default("root").describe("User on the bastion."),
  privateKey: secret.optional().describe("SSH private key for the bastion; a Pulumi secret."),
  privateKeyFile: plain
    .optional()
    .describe("Or: path of that key on the machine that runs `pulumi up` (`~/` expanded)."),
  hostKey: hostKey.optional().describe("The bastion's public key; pins its identity."),
});

const hostSchema = z.strictObject({
  name: plain
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
      "is not a host name: lowercase letters, digits and inner dashes",
    )
    .describe("Short name, unique in the stack, used in resource names and messages. Required."),
  transport: oneOf(TRANSPORTS)
    .default("ssh")
    .describe("`ssh`: over SSH (default); `local`: this machine, no SSH."),
  address: plain
    .min(1, "must not be empty")
    .default("127.0.0.1")
    .describe("Address (name or IP) the host is reached at over SSH."),
  port: port.default(DEFAULT_SSH_PORT).describe("The host's SSH port."),
  user: plain.min(1, "must not be empty").default("root").describe("SSH user; runs docker."),
  privateKey: secret
    .optional()
    .describe(
      "SSH private key (PEM/OpenSSH); a Pulumi secret. An SSH host needs `privateKey` or `privateKeyFile`.",
    ),
  privateKeyFile: plain
    .optional()
    .describe(
      "Path to an SSH private key file on the machine that runs `pulumi up` (`~/` expanded); it must exist when the program runs.",
    ),
  hostKey: hostKey
    .optional()
    .describe(
      "The host's public key, `ssh-ed25519 AAAA…` as `ssh-keyscan` prints it; pins the host's identity (checked to parse).",
    ),
  proxy: proxySchema
    .optional()
    .describe("A bastion to jump through: `address`, `port`, `user`, a key, `hostKey`."),
  roles: z
    .array(
      plain.regex(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
        "is not a role: lowercase letters, digits and inner dashes",
      ),
    )
    .default([])
    .describe(
      "Roles the host has (`[web]`, `[db]`): services and accessories with `role: <role>` run on it.",
    ),
});

export const hostsSchema = z.array(hostSchema);

export type HostConfig = z.output<typeof hostSchema>;
export type ProxyConfig = z.output<typeof proxySchema>;

/** Unique host names and one SSH key per host and bastion; returns the host names. */
export function hostChecks(raw: RawMap, add: Add): Set<string> {
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

  return hostNames;
}

function keyChecks(host: RawMap, where: readonly PropertyKey[], add: Add): void {
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

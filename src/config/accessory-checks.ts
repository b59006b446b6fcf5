/**
 * Cross-field checks of `slipway:accessories` that look beyond one field: volumes that do not
 * share a mount path, host ports nobody else holds on the same hosts.
 */
import { DEFAULT_SSH_PORT } from "./hosts";
import { asList, asMap, type Add, type RawMap } from "./raw";
import { placement } from "./workload";

/** No two volumes of one accessory mount at the same path (Docker refuses the container). */
export function volumeChecks(name: string, entry: RawMap, add: Add): void {
  const byPath = new Map<string, string>();
  for (const [volume, target] of Object.entries(asMap(entry.volumes) ?? {})) {
    if (typeof target !== "string") {
      continue;
    }
    const first = byPath.get(target);
    if (first === undefined) {
      byPath.set(target, volume);
    } else {
      add(
        "accessories",
        [name, "volumes", volume],
        `${JSON.stringify(target)} is also where volume ${first} mounts; Docker mounts one volume at a path: give each volume its own path`,
      );
    }
  }
}

/** A host port someone already holds on a host: the edge, sshd, or another accessory. */
interface HeldPort {
  readonly port: number;
  /** Address it is published on; `*` for every address (sshd). */
  readonly bind: string;
  readonly hosts: readonly string[];
  /** Who holds it, in words, with where it is set. */
  readonly holder: string;
  /** The accessory and port index, when an accessory holds it. */
  readonly accessory?: readonly [string, number];
}

/** Whether two published addresses take the same port: the same address, or any one is every address. */
function bindsClash(a: string, b: string): boolean {
  return a === b || [a, b].some((bind) => bind === "0.0.0.0" || bind === "*");
}

/**
 * Each accessory's published host port is free on the hosts it runs on: not the managed
 * edge's HTTP or HTTPS port, not the host's SSH port, not another accessory's port. Docker
 * would refuse the container only at deploy time, after other resources changed (or, at the
 * SSH port, start it and lock Slipway out).
 */
export function hostPortChecks(raw: RawMap, add: Add): void {
  const hosts = asList(raw.hosts).flatMap((value) => {
    const host = asMap(value);
    return typeof host?.name === "string"
      ? [
          {
            name: host.name,
            roles: asList(host.roles).filter((role): role is string => typeof role === "string"),
            host,
          },
        ]
      : [];
  });
  const held: HeldPort[] = [];
  const edge = asMap(raw.edge);
  if (typeof edge?.image === "string") {
    const bind = typeof edge.bind === "string" ? edge.bind : "0.0.0.0";
    for (const [field, fallback] of [
      ["httpPort", 80],
      ["httpsPort", 443],
    ] as const) {
      held.push({
        port: typeof edge[field] === "number" ? edge[field] : fallback,
        bind,
        hosts: hosts.map((host) => host.name),
        holder: `the edge's ${field} (slipway:edge.${field}), published on every host`,
      });
    }
  }
  hosts.forEach(({ name, host }, index) => {
    if ((host.transport ?? "ssh") === "ssh") {
      held.push({
        port: typeof host.port === "number" ? host.port : DEFAULT_SSH_PORT,
        bind: "*",
        hosts: [name],
        holder: `the SSH port of host ${name} (slipway:hosts[${index}].port), where sshd listens`,
      });
    }
  });
  for (const [name, value] of Object.entries(asMap(raw.accessories) ?? {})) {
    const entry = asMap(value);
    if (entry === undefined) {
      continue;
    }
    const on = placement(
      {
        ...(Array.isArray(entry.hosts) ? { hosts: entry.hosts as string[] } : {}),
        ...(typeof entry.role === "string" ? { role: entry.role } : {}),
      },
      hosts,
    );
    asList(entry.ports).forEach((portValue, index) => {
      const published = asMap(portValue);
      const port = published?.hostPort ?? published?.containerPort;
      if (typeof port !== "number") {
        return;
      }
      const bind = typeof published?.bind === "string" ? published.bind : "127.0.0.1";
      const clash = held.find(
        (other) =>
          other.port === port &&
          bindsClash(other.bind, bind) &&
          other.hosts.some((host) => on.includes(host)),
      );
      if (clash !== undefined) {
        const shared = clash.hosts.filter((host) => on.includes(host));
        add(
          "accessories",
          [name, "ports", index, "hostPort"],
          `${port} is ${clash.holder}${clash.accessory === undefined ? "" : ` on ${shared.length === 1 ? "host" : "hosts"} ${shared.join(", ")}`}; ` +
            `two listeners cannot share a host port: choose another hostPort` +
            (published?.hostPort === undefined ? " (it defaults to containerPort)" : ""),
        );
      } else {
        held.push({
          port,
          bind,
          hosts: on,
          holder: `also published by accessory ${name} (slipway:accessories.${name}.ports[${index}])`,
          accessory: [name, index],
        });
      }
    });
  }
}

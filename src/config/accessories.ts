/**
 * `slipway:accessories`: stateful containers beside the services (PostgreSQL, Redis, …), as
 * config schemas, and their validated form (`AccessorySpec`).
 */
import { z } from "zod";
import { plain, port } from "./primitives";
import { workload, workloadFields, workloadName, type WorkloadSpec } from "./workload";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A port an accessory publishes on the host: loopback unless `public` says otherwise. */
const accessoryPortSchema = z.strictObject({
  containerPort: port.describe("Port the accessory listens on inside the container."),
  hostPort: port.optional().describe("Host port; the container port when absent."),
  bind: plain
    .regex(IPV4, "is not an IPv4 address, e.g. 127.0.0.1")
    .default("127.0.0.1")
    .describe("Address on the host; loopback by default."),
  public: z
    .boolean()
    .default(false)
    .describe(
      "Says that binding a non-loopback address is intended (reachable from other machines).",
    ),
});

/** One entry of `slipway:accessories`: a stateful container beside the services. */
const accessorySchema = z.strictObject({
  ...workloadFields,
  image: plain
    .min(1, "must not be empty")
    .describe(
      "An image of `slipway:images` (built or promoted like the others), or a pinned `repository@sha256:…` (e.g. the official `docker.io/library/postgres:17@sha256:…`; `docker buildx imagetools inspect postgres:17` prints the digest). A tag is an error. Required.",
    ),
  volumes: z
    .record(
      workloadName("volume", "pgdata"),
      plain.regex(/^\/[^\s:]*$/, "is not an absolute path in the container (no spaces or :)"),
    )
    .default({})
    .describe(
      "Named volumes (`<network>-<name>-<volume>`) by volume name: the absolute path they mount at. They survive every release, rollback, restart and `pulumi destroy`.",
    ),
  ports: z
    .array(accessoryPortSchema)
    .default([])
    .describe(
      "Ports published on the host, on loopback unless `public` (services need none: they reach it by name).",
    ),
  deleteVolumesOnDestroy: z
    .boolean()
    .default(false)
    .describe("`pulumi destroy` deletes its volumes too (off: the data stays on the hosts)."),
});

export const accessoriesSchema = z.record(
  workloadName("accessory", "postgres or redis-cache"),
  accessorySchema,
);

type AccessoryEntry = z.output<typeof accessorySchema>;
type AccessoryPort = z.output<typeof accessoryPortSchema>;

export interface AccessorySpec extends WorkloadSpec {
  readonly volumes: Readonly<Record<string, string>>;
  readonly ports: readonly (AccessoryPort & { readonly hostPort: number })[];
  readonly deleteVolumesOnDestroy: boolean;
}

export function accessorySpec(
  name: string,
  entry: AccessoryEntry,
  hosts: readonly { readonly name: string; readonly roles: readonly string[] }[],
): AccessorySpec {
  return {
    ...workload(name, entry.image, entry, hosts),
    volumes: entry.volumes,
    ports: entry.ports.map((p) => ({ ...p, hostPort: p.hostPort ?? p.containerPort })),
    deleteVolumesOnDestroy: entry.deleteVolumesOnDestroy,
  };
}

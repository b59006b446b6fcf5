import {
  DEFAULT_MAINTENANCE_MESSAGE,
  DEFAULT_RETRY_AFTER,
  maintenanceScript,
  MAINTENANCE_MARK,
} from "../../deploy";
import type { Run } from "../context";
import { failureOf, runOnHosts, serviceTarget, type HostJob } from "../day-two";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { setMaintenance } from "../../ledger";
import { readStackFiles, refusal, writeStackFile } from "../pinning";

interface MaintenanceRequest {
  readonly stack: string;
  readonly service?: string;
  readonly hosts?: readonly string[];
  readonly on: boolean;
  readonly message?: string;
  readonly retryAfter?: number;
}

/**
 * `slipway maintenance on|off`: the service's routes answer 503 with a page and Retry-After
 * through the edge of each of its hosts (or `--host`) while the release keeps running; off:
 * they serve again. A rename of files the routes read per request: no reload, no connection
 * closed. Without `--host` it is also the stack setting `slipway:maintenance.<service>` in
 * `Pulumi.<stack>.yaml` (comments kept), so the next `pulumi up` keeps it.
 */
export async function maintenance(run: Run, request: MaintenanceRequest): Promise<number> {
  const { config, service, hosts, masker } = await serviceTarget(run, "maintenance", request);
  if (service.routes.length === 0) {
    throw new CliError(
      EXIT.usage,
      `${service.name} has no routes (a worker): maintenance answers requests through the edge; routed services: ${
        config.services
          .filter((entry) => entry.routes.length > 0)
          .map((entry) => entry.name)
          .join(", ") || "none"
      }`,
    );
  }
  const mode = request.on
    ? {
        kind: "on" as const,
        message: request.message ?? DEFAULT_MAINTENANCE_MESSAGE,
        retryAfter: request.retryAfter ?? DEFAULT_RETRY_AFTER,
      }
    : { kind: "off" as const };
  // The stack setting first (what the next pulumi up keeps), unless only some hosts switch.
  const recorded = request.hosts === undefined || request.hosts.length === 0;
  if (recorded) {
    const files = readStackFiles(run, request.stack);
    const text = setMaintenance(
      files.text,
      service.name,
      mode.kind === "on"
        ? {
            ...(request.message === undefined ? {} : { message: request.message }),
            retryAfter: mode.retryAfter,
          }
        : undefined,
      files.display,
    );
    if (text !== files.text) {
      try {
        writeStackFile(run, files, text);
      } catch (error) {
        refusal(error);
      }
    }
  }
  const jobs: HostJob[] = hosts.map((host) => ({
    host,
    label: host.name,
    script: maintenanceScript({
      host: host.name,
      stack: request.stack,
      service: service.name,
      stateRoot: run.deps.releaseRoot,
      edge: config.edge.name,
      mode,
    }),
  }));
  const outcomes = await runOnHosts(run, jobs, masker, { collect: true });
  const failure = failureOf(outcomes, masker);
  if (failure !== undefined) throw failure;
  const stale = outcomes
    .filter(({ lines }) => lines.includes(`${MAINTENANCE_MARK} stale`))
    .map(({ job }) => job.host.name);
  const state = request.on ? "on" : "off";
  run.result(
    [
      `maintenance ${state} for ${service.name} on ${hosts.map((host) => host.name).join(", ")}` +
        (request.on
          ? `: its routes answer 503 (Retry-After ${mode.kind === "on" ? mode.retryAfter : 0}) while the release keeps running`
          : ": its routes serve the release again") +
        (recorded
          ? `; recorded in Pulumi.${request.stack}.yaml (slipway:maintenance), which the next pulumi up keeps`
          : "; not recorded in the stack (only some hosts)"),
      ...(stale.length === 0
        ? []
        : [
            `the routes of ${service.name} on ${stale.join(", ")} predate maintenance mode and do not answer it yet; deploy once (slipway up --stack ${request.stack}) to install them`,
          ]),
    ].join("\n"),
    {
      stack: request.stack,
      service: service.name,
      maintenance: state,
      recorded,
      hosts: hosts.map((host) => ({ host: host.name, stale: stale.includes(host.name) })),
      ...(mode.kind === "on" ? { retryAfter: mode.retryAfter, message: mode.message } : {}),
    },
  );
  return EXIT.ok;
}

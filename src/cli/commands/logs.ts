import { accessoryLogsScript, replicaName, serviceLogsScript } from "../../deploy";
import type { LogsOptions } from "../../deploy";
import type { Run } from "../context";
import { accessoryTarget, failureOf, runOnHosts, serviceTarget, type HostJob } from "../day-two";
import { EXIT } from "../exit-codes";

/** `--grep`: the lines that match. */
function keepOf(grep: RegExp | undefined): { keep?: (line: string) => boolean } {
  return grep === undefined ? {} : { keep: (line) => grep.test(line) };
}

interface LogsRequest extends LogsOptions {
  readonly stack: string;
  readonly service?: string;
  readonly hosts?: readonly string[];
  readonly previous?: boolean;
  /** Only lines that match this regular expression (after masking). */
  readonly grep?: RegExp;
}

/**
 * `slipway logs`: the logs of the current release container of a service (every instance
 * on every host, or `--host`), or the previous one's; secret values masked; with more than
 * one host or replica each line is marked `[host]` / `[host instance]`.
 */
export async function logs(run: Run, request: LogsRequest): Promise<number> {
  const { config, service, hosts, masker } = await serviceTarget(run, "logs", request);
  const jobs: HostJob[] = hosts.flatMap((host) =>
    Array.from({ length: service.replicas }, (_, i) => {
      const instance = replicaName(service.name, i + 1);
      return {
        host,
        label: service.replicas === 1 ? host.name : `${host.name} ${instance}`,
        script: serviceLogsScript(
          {
            host: host.name,
            stack: request.stack,
            service: instance,
            stateRoot: run.deps.releaseRoot,
            edge: config.edge.name,
          },
          request,
        ),
      };
    }),
  );
  const failure = failureOf(await runOnHosts(run, jobs, masker, keepOf(request.grep)), masker);
  if (failure !== undefined) throw failure;
  return EXIT.ok;
}

interface AccessoryLogsRequest extends LogsOptions {
  readonly stack: string;
  readonly accessory: string;
  readonly hosts?: readonly string[];
  readonly grep?: RegExp;
}

/** `slipway accessory logs <name>`: the accessory container's logs, masked, per host. */
export async function accessoryLogs(run: Run, request: AccessoryLogsRequest): Promise<number> {
  const { hosts, container, masker } = await accessoryTarget(run, "logs", request);
  const jobs: HostJob[] = hosts.map((host) => ({
    host,
    label: host.name,
    script: accessoryLogsScript(host.name, request.stack, container, request),
  }));
  const failure = failureOf(await runOnHosts(run, jobs, masker, keepOf(request.grep)), masker);
  if (failure !== undefined) throw failure;
  return EXIT.ok;
}

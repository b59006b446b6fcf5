import { ACCESSORY_STOP_SECONDS, accessoryRestartScript } from "../../deploy";
import type { Run } from "../context";
import { accessoryTarget, failureOf, runOnHosts } from "../day-two";
import { EXIT } from "../exit-codes";

export { accessoryLogs } from "./logs";
export { accessoryExec } from "./exec";

/**
 * `slipway accessory restart <name>`: on each of its hosts (or `--host`), one after the
 * other, the same container stopped cleanly and started again — volumes, name and address
 * stay — under the accessory's deploy lock, and health-gated: the next host only once this
 * one is healthy again.
 */
export async function accessoryRestart(
  run: Run,
  request: {
    readonly stack: string;
    readonly accessory: string;
    readonly hosts?: readonly string[];
  },
): Promise<number> {
  const { accessory, hosts, container, stateDir, masker } = await accessoryTarget(
    run,
    "restart",
    request,
  );
  const restarted: { host: string; seconds: number }[] = [];
  for (const host of hosts) {
    run.progress(`restarting ${accessory.name} on ${host.name}`);
    const [outcome] = await runOnHosts(
      run,
      [
        {
          host,
          label: host.name,
          script: accessoryRestartScript({
            host: host.name,
            stack: request.stack,
            name: accessory.name,
            container,
            stateDir,
            ...(accessory.healthCommand === undefined
              ? {}
              : { healthCommand: accessory.healthCommand }),
            healthTimeoutSeconds: accessory.healthTimeoutSeconds,
            stopSeconds: ACCESSORY_STOP_SECONDS,
          }),
        },
      ],
      masker,
      { collect: true },
    );
    const failure = failureOf([outcome!], masker);
    if (failure !== undefined) {
      if (restarted.length > 0) {
        run.progress(`restarted before the failure: ${restarted.map((r) => r.host).join(", ")}`);
      }
      throw failure;
    }
    const seconds = Number(
      outcome!.lines
        .map((line) => /^restarted (\d+)$/.exec(line)?.[1])
        .find((s) => s !== undefined) ?? 0,
    );
    restarted.push({ host: host.name, seconds });
  }
  run.result(
    restarted
      .map(
        (entry) => `restarted ${accessory.name} on ${entry.host}: healthy after ${entry.seconds} s`,
      )
      .join("\n"),
    { stack: request.stack, accessory: accessory.name, restarted },
  );
  return EXIT.ok;
}

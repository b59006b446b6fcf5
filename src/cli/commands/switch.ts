import type { ServiceSpec } from "../../config/services";
import type { Run } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { pinAndUp, readStackFiles, stackSettings, validatedConfig } from "../pinning";
import { pinnedLookup } from "../pinned";
import { shortDigest } from "../table";
import { rollback } from "./rollback";

interface SwitchOptions {
  readonly stack: string;
  /** Only these blue/green services (`--service`); default: every one. */
  readonly services?: readonly string[];
  /** Remove the preview release instead: the stack pins the live digest again. */
  readonly abort: boolean;
  readonly noUp: boolean;
}

/** The blue/green services the command acts on; a named service without one is refused. */
function blueGreenServices(
  stack: string,
  services: readonly ServiceSpec[],
  names: readonly string[] | undefined,
): ServiceSpec[] {
  const blue = services.filter((service) => service.rollout?.strategy === "blueGreen");
  for (const name of names ?? []) {
    if (!services.some((service) => service.name === name)) {
      throw new CliError(
        EXIT.usage,
        `${stack} has no service ${name}; its services: ${services.map((s) => s.name).join(", ") || "none"}`,
      );
    }
    if (!blue.some((service) => service.name === name)) {
      throw new CliError(
        EXIT.usage,
        `service ${name} of ${stack} has no blue/green rollout: each of its releases reaches every user at once`,
        [`set slipway:services.${name}.rollout: {strategy: blueGreen, preview: {host: <name>}}`],
      );
    }
  }
  const chosen = blue.filter((service) => names === undefined || names.includes(service.name));
  if (chosen.length === 0) {
    throw new CliError(EXIT.refused, `${stack} has no blue/green service; nothing to switch`);
  }
  return chosen;
}

/**
 * `slipway switch --stack <stack> [--service <name>…] [--abort]`: moves every user of a
 * blue/green service to the release its preview route answers, the digest the stack runs for
 * the service's image, by setting `rollout.live` to it and running the update: the deploy
 * renames the service's upstream file to the running preview release (no new container, no
 * reload, no connection closed). `--abort` removes the preview release instead: a rollback of
 * the service to its live digest, after which the update finds it serving.
 */
export async function switchServices(run: Run, options: SwitchOptions): Promise<void> {
  const { stack } = options;
  const files = readStackFiles(run, stack);
  const config = await validatedConfig(run, stack);
  const services = blueGreenServices(stack, config.services, options.services);
  const pinned = pinnedLookup(run, stack, config, files.display);
  const moves: { service: string; from?: string; to: string }[] = [];
  for (const service of services) {
    const { expected } = await pinned(service.image);
    const live = service.rollout?.live;
    if (expected === undefined) {
      throw new CliError(
        EXIT.refused,
        `${stack} has not deployed image ${service.image} of service ${service.name} yet; nothing is on its preview route`,
        [`slipway up --stack ${stack}`],
      );
    }
    if (options.abort) {
      if (live === undefined || live === expected) {
        run.progress(
          `${service.name}: no preview release to remove (every user gets ${shortDigest(expected)}, the digest the stack pins)`,
        );
        continue;
      }
      run.progress(
        `${service.name}: removing the preview release ${shortDigest(expected)}: pinning the live ${shortDigest(live)} again`,
      );
      await rollback(run, { stack, to: live, services: [service.name], noUp: options.noUp });
      continue;
    }
    if (live === expected) {
      run.progress(`${service.name}: every user already gets ${shortDigest(expected)}`);
      continue;
    }
    moves.push({
      service: service.name,
      ...(live === undefined ? {} : { from: live }),
      to: expected,
    });
  }
  if (options.abort) {
    return;
  }
  if (moves.length === 0) {
    run.result(`${stack}: nothing to switch; every user gets what the stack pins`, {
      stack,
      switched: [],
    });
    return;
  }
  const settings = await stackSettings(run, stack);
  const live = Object.fromEntries(moves.map((move) => [move.service, move.to]));
  const { up } = await pinAndUp(run, files, settings, {}, { noUp: options.noUp, live });
  const lines = moves.map(
    (move) => `  ${move.service}: ${move.from ?? "(the release serving until now)"} -> ${move.to}`,
  );
  run.result(
    up === undefined
      ? `set the live release in ${files.display} (not deployed: --no-up):\n${lines.join("\n")}\nnext: slipway up --stack ${stack}`
      : `switched every user of ${stack} to the preview release:\n${lines.join("\n")}`,
    { stack, switched: moves, updated: up !== undefined },
  );
}

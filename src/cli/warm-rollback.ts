/**
 * The instant part of `slipway rollback`: before the pin and the update, each host whose
 * warm release (the previous one, kept running without traffic for the rollback window) is
 * the release being restored switches the edge to it at once (src/deploy/warm-switch-script).
 * The update that follows finds those hosts already on that release. A host that cannot
 * switch says why and gets the release from the update, as without a window.
 */
import type { SlipwayConfig } from "../config/schema";
import { parseWarmSwitch, warmSwitchScript } from "../deploy";
import { instanceOnHost, instancesOf } from "./service-instances";
import type { Run } from "./context";
import { shortDigest } from "./table";

/** What happened on one host for one service instance. */
interface WarmOutcome {
  readonly instance: string;
  readonly host: string;
  readonly switched: boolean;
  /** The warm container it switched to, or why it could not. */
  readonly detail: string;
  /** A canary was walking there and stopped for the rollback (its update then fails). */
  readonly stoppedCanary?: true;
}

/**
 * Switches every host of every routed service with a rollback window that runs one of
 * `digests`' images to its warm release, all hosts at once; reports each one as progress.
 */
export async function switchToWarm(
  run: Run,
  config: SlipwayConfig,
  digests: Readonly<Record<string, string>>,
): Promise<WarmOutcome[]> {
  if (config.target === "kubernetes") {
    return [];
  }
  const attempts = config.services.flatMap((service) => {
    const digest = digests[service.image];
    if (
      digest === undefined ||
      service.routes.length === 0 ||
      // Without a window there is no warm release, but a canary walking is still stopped.
      (service.rollbackWindowSeconds === 0 && service.rollout?.strategy !== "canary")
    ) {
      return [];
    }
    return config.hosts
      .filter((host) => service.hosts.includes(host.name))
      .flatMap((host) =>
        instancesOf(service).map(async ({ instance }): Promise<WarmOutcome> => {
          const script = warmSwitchScript({
            ...instanceOnHost(config, run.deps.releaseRoot, host.name, service, instance),
            drainSeconds: service.drainSeconds,
            rollbackWindowSeconds: service.rollbackWindowSeconds,
            digest,
          });
          const ran = await run.deps.hosts.run(host, script);
          const outcome =
            ran.kind === "unreachable"
              ? { kind: "fallback" as const, reason: ran.message }
              : parseWarmSwitch(ran.stdout);
          const stopped = ran.kind !== "unreachable" && /^canary-stopped$/m.test(ran.stdout);
          if (stopped) {
            run.progress(
              `${instance} on ${host.name}: stopped the canary walking there; every request went back to the release that served before it`,
            );
          }
          const base = {
            instance,
            host: host.name,
            ...(stopped ? { stoppedCanary: true as const } : {}),
          };
          if (outcome.kind === "switched") {
            run.progress(
              `${instance} on ${host.name}: the edge serves ${shortDigest(digest)} again (warm release ${outcome.container})`,
            );
            return { ...base, switched: true, detail: outcome.container };
          }
          run.progress(
            `${instance} on ${host.name}: no instant switch (${outcome.reason}); the update deploys ${shortDigest(digest)} the normal way`,
          );
          return { ...base, switched: false, detail: outcome.reason };
        }),
      );
  });
  return Promise.all(attempts);
}

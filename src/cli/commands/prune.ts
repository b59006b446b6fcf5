import { parsePruneLines, pruneScript, replicaName, type PruneLine } from "../../deploy";
import type { Run } from "../context";
import { failureOf, runOnHosts, stackTarget, type HostJob } from "../day-two";
import { EXIT } from "../exit-codes";
import { pinnedLookup } from "../pinned";
import { formatTable } from "../table";

/**
 * `slipway prune [--dry-run]`: on each host of the stack (or `--host`), the services' release
 * containers beyond `keepReleases` and the images of their repositories that no container
 * there uses and the stack does not pin (src/deploy/prune-script).
 */
export async function prune(
  run: Run,
  request: { readonly stack: string; readonly hosts?: readonly string[]; readonly dryRun: boolean },
): Promise<number> {
  const { config, hosts, masker } = await stackTarget(run, "prune", request);
  const lookup = pinnedLookup(run, request.stack, config, `Pulumi.${request.stack}.yaml`);
  const pins = new Map<string, { repository?: string; digest?: string }>();
  for (const image of new Set(config.services.map((service) => service.image))) {
    const pinned = await lookup(image);
    pins.set(image, {
      ...(pinned.ref === undefined ? {} : { repository: pinned.ref.split("@")[0]! }),
      ...(pinned.expected === undefined ? {} : { digest: pinned.expected }),
    });
  }
  const jobs: HostJob[] = hosts.map((host) => {
    const services = config.services.filter((service) => service.hosts.includes(host.name));
    const images = [...new Set(services.map((service) => service.image))];
    return {
      host,
      label: host.name,
      script: pruneScript({
        host: host.name,
        stack: request.stack,
        services: services.flatMap((service) =>
          Array.from({ length: service.replicas }, (_, i) => {
            const name = replicaName(service.name, i + 1);
            return {
              service: name,
              dir: `${run.deps.releaseRoot}/${name}`,
              keepReleases: service.keepReleases,
            };
          }),
        ),
        repositories: [
          ...new Set(images.flatMap((image) => pins.get(image)?.repository ?? [])),
        ].sort(),
        pinned: [...new Set(images.flatMap((image) => pins.get(image)?.digest ?? []))].sort(),
        dryRun: request.dryRun,
      }),
    };
  });
  const outcomes = await runOnHosts(run, jobs, masker, { collect: true });
  const failure = failureOf(outcomes, masker);
  if (failure !== undefined) throw failure;
  const rows: (PruneLine & { readonly host: string })[] = outcomes.flatMap(({ job, lines }) =>
    parsePruneLines(lines.join("\n")).map((line) => ({ host: job.host.name, ...line })),
  );
  const summary =
    rows.length === 0
      ? `nothing to prune for ${request.stack} on ${hosts.map((host) => host.name).join(", ")}`
      : request.dryRun
        ? `${rows.length} would be removed; run without --dry-run to remove them`
        : `${rows.filter((row) => row.action === "removed").length} removed`;
  run.result(
    rows.length === 0
      ? summary
      : `${formatTable(
          ["HOST", "KIND", "NAME", "ACTION"],
          rows.map((row) => [row.host, row.kind, row.name, row.action]),
        )}\n${summary}`,
    { stack: request.stack, dryRun: request.dryRun, pruned: rows },
  );
  return EXIT.ok;
}

/**
 * Whether the hosts still hold digests locally, for a rollback while the registry is
 * unreachable: a host that holds a release's image (its kept container's) starts it without
 * a pull, so the rollback can go ahead without the registry when every host does.
 */
import type { SlipwayConfig } from "../config/schema";
import { imageInspect } from "../deploy/commands";
import { command, quote } from "../deploy/shell";
import type { Run } from "./context";
import type { DigestCheck } from "./registries";

/** What the hosts answered: every host that runs the image, and those that lack it (why). */
interface Held {
  readonly name: string;
  readonly ref: string;
  readonly hosts: readonly string[];
  readonly lacking: readonly { readonly host: string; readonly why: string }[];
}

/** The probe for `refs` on one host: `present <ref>` or `absent <ref>`, one line each. */
export function heldScript(refs: readonly string[]): string {
  return `${refs
    .map(
      (ref) =>
        `if ${command(imageInspect(ref))} >/dev/null 2>&1; then echo present ${quote(ref)}; else echo absent ${quote(ref)}; fi`,
    )
    .join("\n")}\n`;
}

/**
 * Asks every host that runs each checked image (a service, an accessory or the managed edge
 * of an SSH target) whether it holds the image by digest; one script per host. A host that
 * cannot be reached lacks it.
 */
export async function heldOnHosts(
  run: Run,
  config: SlipwayConfig,
  checks: readonly Pick<DigestCheck, "name" | "ref">[],
): Promise<Held[]> {
  // Every workload that runs the image on its hosts; a managed edge runs on every host.
  const hostsOf = (image: string) => [
    ...new Set([
      ...[...config.services, ...config.accessories]
        .filter((workload) => workload.image === image)
        .flatMap((workload) => workload.hosts),
      ...(config.edge.image === image ? config.hosts.map((host) => host.name) : []),
    ]),
  ];
  const hostsByImage = new Map(checks.map((check) => [check.name, hostsOf(check.name)]));
  const answers = new Map<string, { present: Set<string> } | { unreachable: string }>();
  for (const host of config.hosts) {
    const refs = checks.filter((check) => hostsByImage.get(check.name)!.includes(host.name));
    if (refs.length === 0) {
      continue;
    }
    const ran = await run.deps.hosts.run(host, heldScript(refs.map((check) => check.ref)));
    answers.set(
      host.name,
      ran.kind === "unreachable"
        ? { unreachable: ran.message }
        : {
            present: new Set(
              ran.stdout
                .split("\n")
                .filter((line) => line.startsWith("present "))
                .map((line) => line.slice("present ".length)),
            ),
          },
    );
  }
  return checks.map((check) => {
    const hosts = hostsByImage.get(check.name)!;
    const lacking = hosts.flatMap((host) => {
      const answer = answers.get(host);
      if (answer === undefined) {
        return [{ host, why: "not probed" }];
      }
      if ("unreachable" in answer) {
        return [{ host, why: `unreachable: ${answer.unreachable}` }];
      }
      return answer.present.has(check.ref) ? [] : [{ host, why: "does not hold it" }];
    });
    return { name: check.name, ref: check.ref, hosts, lacking };
  });
}

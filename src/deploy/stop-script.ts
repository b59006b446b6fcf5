/**
 * The stop script: what deleting a service from a host runs. Takes the host lock; leaves a
 * service another stack owns alone; takes the service's routes out of the edge first (no
 * new requests), then stops and removes its releases and its state directory. Images stay on
 * the host, and so does the edge (its managing stack removes it). The stack's network goes
 * with its last container (Docker refuses to remove it while another is attached). Safe to
 * run again: nothing left means nothing to do.
 */
import { containerStop, quietly, serviceContainers } from "./commands";
import { checkHostService, serviceNames, type HostService } from "./definition";
import { edgeFunctions } from "./edge-commands";
import { awaitRetire, header, lock, toolsCheck } from "./prelude";
import { command, quote, v } from "./shell";
import { unsuperviseLines } from "./supervisor";

/** Stops `def`; `network`: the stack's network, removed once no container is attached to it. */
export function stopScript(def: HostService & { readonly network?: string }): string {
  checkHostService(def);
  const names = serviceNames(def);
  const list = command(serviceContainers(def.service));
  const sections: string[][] = [
    header(`Slipway stop of ${def.service} on host ${def.host} (stack ${def.stack})`, def),
    toolsCheck(),
    [
      `if [ ! -d "$state" ] && [ -z "$(${list})" ]; then`,
      '  say "$service is not on this host; nothing to stop"',
      "  exit 0",
      "fi",
      'mkdir -p "$state"',
    ],
    lock(),
    awaitRetire(),
    [
      'owner=$(head -c 100 "$state"/owner 2>/dev/null | head -n 1 || true)',
      'if [ -n "$owner" ] && [ "$owner" != "$stack" ]; then',
      '  say "$service on this host belongs to stack $owner; left as it is"',
      "  exit 0",
      "fi",
    ],
    edgeFunctions(names.edge),
    [
      'if [ -f "$edge"/routes/"$service" ] || [ -f "$edge"/upstreams/"$service" ]; then',
      "  edge_lock",
      '  rm -f "$edge"/routes/"$service"',
      '  if [ -f "$edge"/config.head ] && edge_render && ! edge_apply; then',
      '    say "the edge did not take the config without $service ($edge_error); it drops the route at its next reload"',
      "  fi",
      '  rm -f "$edge"/upstreams/"$service"',
      "  exec 8>&-",
      "fi",
      `containers=$(${list})`,
      "count=0",
      "for id in $containers; do",
      `  ${quietly(containerStop(v("id")))}`,
      '  docker rm --force "$id" >/dev/null',
      "  count=$((count + 1))",
      "done",
      'rm -rf "$state"',
      `say "stopped $service: removed its route and $count release containers; images stay on the host"`,
      ...(def.network === undefined
        ? []
        : [
            `if ${command(["docker", "network", "rm", def.network])} >/dev/null 2>&1; then`,
            `  say ${quote(`removed the stack's network ${def.network} (no container is left on it)`)}`,
            "fi",
          ]),
    ],
    unsuperviseLines(def.stateRoot),
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

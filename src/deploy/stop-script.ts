/**
 * The stop script: what deleting a service from a host runs. Takes the host lock, stops the
 * proxy first (no new connections), then the releases, removes every container of the service
 * and its network, and the service's state directory. Images stay on the host. Safe to run
 * again: nothing left means nothing to do.
 */
import { serviceContainers } from "./commands";
import { checkHostService, serviceNames, type HostService } from "./definition";
import { header, lock, toolsCheck } from "./prelude";
import { command, quote } from "./shell";

export function stopScript(def: HostService): string {
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
    lock(def),
    [
      `docker stop ${quote(names.proxy)} >/dev/null 2>&1 || true`,
      `containers=$(${list})`,
      "count=0",
      "for id in $containers; do",
      '  docker stop "$id" >/dev/null 2>&1 || true',
      '  docker rm --force "$id" >/dev/null',
      "  count=$((count + 1))",
      "done",
      `if docker network inspect ${quote(names.network)} >/dev/null 2>&1; then`,
      `  docker network rm ${quote(names.network)} >/dev/null`,
      "fi",
      'rm -rf "$state"',
      `say "stopped $service: removed $count containers (releases and proxy) and network ${names.network}; images stay on the host"`,
    ],
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

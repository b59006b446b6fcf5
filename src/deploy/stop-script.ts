/**
 * The stop script: what deleting a service from a host runs. Takes the host lock; leaves a
 * service another stack owns alone; takes the service's routes out of the edge first (no
 * new requests), then stops and removes its releases and its state directory. Images stay on
 * the host, and so does the edge (its managing stack removes it). The stack's network goes
 * with its last container (Docker refuses to remove it while another is attached). Safe to
 * run again: nothing left means nothing to do.
 */
import { checkHostService, serviceNames, type HostService } from "./definition";
import { edgeFunctions } from "./edge-commands";
import { awaitRetire, header, lock, toolsCheck } from "./prelude";
import { shellLines } from "./script-files";
import { assign } from "./shell";
import { unsuperviseLines } from "./supervisor";

/**
 * Stops `def` (sh/stop-check.sh, stop-owner.sh, stop-remove.sh); `network`: the stack's
 * network, removed once no container is attached to it.
 */
export function stopScript(def: HostService & { readonly network?: string }): string {
  checkHostService(def);
  const names = serviceNames(def);
  const sections: string[][] = [
    header(`Slipway stop of ${def.service} on host ${def.host} (stack ${def.stack})`, def),
    toolsCheck(),
    [...shellLines("stop-check")],
    lock(),
    awaitRetire(),
    [...shellLines("stop-owner")],
    edgeFunctions(names.edge),
    [assign("network", def.network ?? ""), ...shellLines("stop-remove")],
    unsuperviseLines(def.stateRoot),
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

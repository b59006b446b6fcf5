/**
 * The edge script: what the stack that manages a host's edge proxy runs there (create and
 * update), and the edge removal script (delete). Pure: the same definition gives the same
 * text; `EdgeProxy` (infra/edge) runs it over SSH or locally.
 *
 * The edge is host infrastructure: an application release never runs this. It changes only
 * when the edge's own definition does (image, ports, TLS issuer):
 * - a config-only change (TLS issuer, e-mail) is loaded through the admin API: no restart;
 * - an image or port change replaces the container. With other ports the new edge starts
 *   first and the old one stops only once the new one answers; with the same ports the old
 *   one is stopped gracefully first (Docker cannot publish one port twice), and if the new
 *   one does not come up the old one is started again.
 */
import { configParts, httpsSuffix, type EdgeNames, type EdgeSkeleton, edgeNames } from "../edge";
import { parseDigestReference } from "../reference";
import {
  caddyName,
  caddyRun,
  edgeFunctions,
  edgeGet,
  edgeLocalUrl,
  edgePortsLabel,
  edgeValidate,
  holderCreate,
  listenerCount,
  type EdgeSpec,
} from "./edge-commands";
import { scriptHeader, toolsCheck } from "./prelude";
import { shellLines } from "./script-files";
import { assign, command, v } from "./shell";
import { superviseLines, unsuperviseLines } from "./supervisor";

/** The edge of one host, as the managing stack declares it. */
export interface EdgeDefinition extends EdgeSpec, EdgeSkeleton {
  readonly host: string;
  readonly stack: string;
  /** Edge name: container, network, state directory. */
  readonly name: string;
  readonly stateRoot: string;
}

/** Seconds a new edge container may take to answer on its HTTP port. */
export const EDGE_START_SECONDS = 20;
/** Seconds `docker stop` gives the old edge to finish its requests. */
export const EDGE_STOP_SECONDS = 30;

function headerLines(def: EdgeDefinition, title: string, names: EdgeNames): string[] {
  return scriptHeader(title, def.host, [
    ["stack", def.stack],
    ["edge", names.stateDir],
    ["edge_name", names.container],
  ]);
}

/** The values the edge script's files read, and its commands built from argument lists. */
function values(def: EdgeDefinition, names: EdgeNames): string[] {
  const parts = configParts(def);
  return [
    assign("ports", edgePortsLabel(def)),
    assign("image", def.image),
    assign("caddy_prefix", `${caddyName(names, def.image)}-`),
    assign("edge_network", names.network),
    assign("http_port", def.httpPort),
    assign("https_port", def.httpsPort),
    assign("bind", def.bind),
    assign("start_seconds", EDGE_START_SECONDS),
    assign("stop_seconds", EDGE_STOP_SECONDS),
    assign("config_head", parts.head),
    assign("config_mid", parts.mid),
    assign("config_tail", parts.tail),
    assign("https_suffix", httpsSuffix(def.httpsPort)),
    `edge_netstat() { ${command(listenerCount(names))}; }`,
    `edge_answer() { ${command(edgeGet(names, edgeLocalUrl("/")))}; }`,
    `edge_validate() { ${command(edgeValidate(names, def.image, "caddy.json.next"))}; }`,
    `holder_create() { ${command(holderCreate(names, def, v("holder")))}; }`,
    `caddy_run() { ${command(caddyRun(names, def.image, v("holder"), v("new_caddy"), def.stack))}; }`,
  ];
}

/** The create/update script of a host's edge (sh/edge-*.sh). */
export function edgeScript(def: EdgeDefinition): string {
  parseDigestReference(def.image);
  const names = edgeNames(def.name, def.stateRoot);
  const sections: (readonly string[])[] = [
    headerLines(def, `Slipway edge ${def.name} on host ${def.host} (stack ${def.stack})`, names),
    values(def, names),
    toolsCheck(),
    shellLines("edge-dir"),
    superviseLines(def.stateRoot),
    edgeFunctions(names),
    shellLines("edge-listening"),
    shellLines("edge-owner"),
    shellLines("edge-parts"),
    shellLines("edge-image"),
    shellLines("edge-start"),
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

/**
 * The removal script: the edge goes only when no service routes through it any more (the
 * routes of other stacks keep it); its data volume (certificates, the internal CA) stays.
 */
export function edgeRemoveScript(
  def: Pick<EdgeDefinition, "host" | "stack" | "name" | "stateRoot">,
): string {
  const names = edgeNames(def.name, def.stateRoot);
  const sections: (readonly string[])[] = [
    headerLines(
      def as EdgeDefinition,
      `Slipway removal of edge ${def.name} on host ${def.host} (stack ${def.stack})`,
      names,
    ),
    [
      assign("edge_network", names.network),
      assign("data_volume", names.dataVolume),
      assign("stop_seconds", EDGE_STOP_SECONDS),
    ],
    toolsCheck(),
    shellLines("edge-remove-check"),
    edgeFunctions(names),
    shellLines("edge-remove"),
    unsuperviseLines(def.stateRoot),
  ];
  return `${sections.map((section) => section.join("\n")).join("\n\n")}\n`;
}

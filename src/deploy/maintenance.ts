/**
 * Maintenance mode of a routed service on a host: two files in the edge's state directory,
 * `maintenance/<service>/page.html` and `retry-after`, which the service's routes read per
 * request (src/edge/caddy `maintenanceHandler`). Switching is a rename, like a release
 * switch: no config change, no reload, no connection closed; the release keeps running.
 */
import { edgeNames } from "../edge/names";
import { operationHeader } from "./operations";
import { shellLines } from "./script-files";
import { assign } from "./shell";

/** What `slipway maintenance on` shows when no `--message` is given. */
export const DEFAULT_MAINTENANCE_MESSAGE =
  "This service is down for maintenance. Please try again in a few minutes.";

/** Seconds clients are told to wait (`Retry-After`) when no other value is set. */
export const DEFAULT_RETRY_AFTER = 60;

/** The output line of the maintenance script: `maintenance on|off`, and `stale` routes. */
export const MAINTENANCE_MARK = "maintenance";

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The 503 page: the message, escaped, in a minimal HTML document. */
export function maintenancePage(message: string): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    "<title>Down for maintenance</title></head>",
    "<body><h1>Down for maintenance</h1>",
    `<p>${escapeHtml(message)}</p></body>`,
    "</html>",
    "",
  ].join("\n");
}

/** One service's maintenance switch on one host. */
export interface MaintenanceDefinition {
  readonly host: string;
  readonly stack: string;
  /** The service (its routes' name: the first replica's). */
  readonly service: string;
  readonly stateRoot: string;
  readonly edge: string;
  /** On with this page and Retry-After, or off. */
  readonly mode:
    | { readonly kind: "on"; readonly message: string; readonly retryAfter: number }
    | { readonly kind: "off" };
}

/**
 * The script that switches maintenance on or off. It prints `maintenance on|off`, and
 * `maintenance stale` when the service's route file predates maintenance (its routes get the
 * check at the next deploy).
 */
export function maintenanceScript(def: MaintenanceDefinition): string {
  const edge = edgeNames(def.edge, def.stateRoot).stateDir;
  const lines = [
    ...operationHeader(
      `Slipway maintenance ${def.mode.kind} for ${def.service} on host ${def.host} (stack ${def.stack})`,
      def.host,
      [
        ["stack", def.stack],
        ["service", def.service],
        ["edge", edge],
        ["dir", `${edge}/maintenance/${def.service}`],
      ],
    ),
    assign("mark", MAINTENANCE_MARK),
    ...(def.mode.kind === "on"
      ? [
          assign("page_html", maintenancePage(def.mode.message)),
          assign("retry_after", `${def.mode.retryAfter}\n`),
          ...shellLines("maintenance-on"),
        ]
      : shellLines("maintenance-off")),
    ...shellLines("maintenance-stale"),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The one place that handles secret values on their way to a host. They never appear in a
 * command line, an environment variable or a script: the deploy script reads them from its
 * standard input, which `remote.Command`/`local.Command` fill from a secret Output.
 *
 * The payload is line-based:
 *
 *     slipway-payload-v1
 *     <registry password, or an empty line>
 *     NAME=value            (one line per secret env var, sorted by name: docker's --env-file)
 *     slipway-payload-end
 *
 * Docker's `--env-file` takes each value literally up to the end of its line (quotes, `$`,
 * `#`, spaces are kept), but it cannot carry a line break. A secret with a line break, a
 * carriage return or a NUL is therefore refused, by name and never by value: store such a
 * value encoded (e.g. base64 in `TLS_KEY_B64`) and decode it in the service.
 */
import { ENV_NAME_PATTERN } from "../config/primitives";
import { shellLines } from "./script-files";
import { assign, command, v } from "./shell";

export const PAYLOAD_HEADER = "slipway-payload-v1";
export const PAYLOAD_END = "slipway-payload-end";

/** Docker reads `--env-file` lines with a 64 KiB line buffer. */
export const MAX_ENV_LINE_BYTES = 64 * 1024 - 1;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A secret value that cannot be delivered; names where it is configured, never the value. */
export class PayloadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `cannot deliver ${problems.length === 1 ? "a secret" : `${problems.length} secrets`} to the hosts:\n` +
        problems.map((problem) => `  ${problem}`).join("\n"),
    );
    this.name = "PayloadError";
  }
}

export interface PayloadSecrets {
  /** Registry password or token for `docker login --password-stdin`; absent for an open registry. */
  readonly registryPassword?: string;
  /** Secret environment variables of the service, by name. */
  readonly secretEnv: Readonly<Record<string, string>>;
  /** Where the service is configured, for messages; `slipway:service` when absent. */
  readonly configPath?: string;
}

function valueProblem(value: string): string | undefined {
  if (/[\n\r]/.test(value)) {
    return "contains a line break, which docker's --env-file cannot carry; store it encoded (e.g. base64) and decode it in the service";
  }
  if (value.includes("\0")) {
    return "contains a NUL character, which no environment variable can hold";
  }
  if (LONE_SURROGATE.test(value)) {
    return "is not valid UTF-8 text (a lone surrogate), which docker's --env-file refuses";
  }
  return undefined;
}

/** Every reason the secrets cannot be delivered, each naming its config path; empty when fine. */
export function payloadProblems(secrets: PayloadSecrets): string[] {
  const problems: string[] = [];
  if (secrets.registryPassword !== undefined) {
    if (/[\n\r\0]/.test(secrets.registryPassword)) {
      problems.push(
        "slipway:registry.password: contains a line break or NUL; a registry password is one line",
      );
    }
  }
  for (const [name, value] of Object.entries(secrets.secretEnv).sort(byName)) {
    const path = `${secrets.configPath ?? "slipway:service"}.secretEnv.${name}`;
    if (!ENV_NAME_PATTERN.test(name)) {
      problems.push(`${path}: is not an environment variable name`);
      continue;
    }
    const problem = valueProblem(value);
    if (problem !== undefined) {
      problems.push(`${path}: ${problem}`);
    } else if (Buffer.byteLength(`${name}=${value}`, "utf8") > MAX_ENV_LINE_BYTES) {
      problems.push(`${path}: is longer than docker's --env-file allows (64 KiB per line)`);
    }
  }
  return problems;
}

function byName([a]: [string, string], [b]: [string, string]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The text a deploy script expects on stdin; throws PayloadError when a secret cannot go. */
export function renderPayload(secrets: PayloadSecrets): string {
  const problems = payloadProblems(secrets);
  if (problems.length > 0) {
    throw new PayloadError(problems);
  }
  const lines = [PAYLOAD_HEADER, secrets.registryPassword ?? ""];
  for (const [name, value] of Object.entries(secrets.secretEnv).sort(byName)) {
    lines.push(`${name}=${value}`);
  }
  lines.push(PAYLOAD_END);
  return `${lines.join("\n")}\n`;
}

/**
 * The lines that read the payload from stdin (sh/payload-read.sh), after its first and last
 * lines as values: what they leave is described there.
 */
export function payloadReader(): string[] {
  return [
    assign("payload_start", PAYLOAD_HEADER),
    assign("payload_end", PAYLOAD_END),
    ...shellLines("payload-read"),
  ];
}

/** `redact`: stdin to stdout without the lines that hold a secret value (sh/redact.sh). */
export function redactFunction(): string[] {
  return [...shellLines("redact")];
}

/**
 * `docker login` with the password on stdin, through the `printf` builtin (so it is not in any
 * process's arguments), into a private docker config that is deleted on exit.
 */
export function registryLoginCommand(server: string, username: string): string {
  return `printf '%s\\n' "$registry_password" | ${command([
    "docker",
    "--config",
    v("docker_config"),
    "login",
    "--username",
    username,
    "--password-stdin",
    server,
  ])}`;
}

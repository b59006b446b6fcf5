/**
 * What `slipway init` needs to write a project, from its flags (or a person's answers): each
 * value checked on its own, a bad one refused in one line that names the flag and the fix.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expandHome } from "../config/paths";
import {
  parseDigestReference,
  ReferenceError,
  REGISTRY_PATTERN,
  REPOSITORY_COMPONENT_PATTERN,
} from "../reference";

/** The values init asks for, by flag. */
export const INIT_FLAGS = [
  "registry",
  "host",
  "ssh-key",
  "port",
  "health",
  "edge-image",
  "domain",
] as const;
type InitFlag = (typeof INIT_FLAGS)[number];

/** A flag's value as given: a string, or absent. */
export type InitInput = Partial<Record<InitFlag, string>>;

/** A refusal of one flag's value: its message is the whole line. */
export class InitInputError extends Error {
  constructor(
    readonly flag: InitFlag,
    message: string,
  ) {
    super(message);
    this.name = "InitInputError";
  }
}

export interface InitAnswers {
  readonly registry: { readonly server: string; readonly namespace: string };
  readonly host: { readonly user: string; readonly address: string; readonly port: number };
  /** The SSH private key file as the stack names it (`~/…` under the home folder). */
  readonly sshKey: string;
  readonly port: number;
  readonly health: string;
  readonly edgeImage: string;
  readonly domain?: string;
}

/** What each flag takes, for prompts and for the refusal of a missing one. */
export const FLAG_HELP: Readonly<Record<InitFlag, string>> = {
  registry: "<server>/<namespace>, e.g. ghcr.io/acme",
  host: "<user>@<address>[:<port>], e.g. deploy@203.0.113.10",
  "ssh-key": "the private key file Slipway logs in with, e.g. ~/.ssh/id_ed25519",
  port: "the port your container listens on, e.g. 8080",
  health: "the path that answers 200 when the service is healthy, e.g. /health",
  "edge-image":
    "the edge proxy image pinned by digest: the official Caddy image, e.g. docker.io/library/caddy:2@sha256:<digest> (docker buildx imagetools inspect caddy:2)",
  domain: "the public name of the service, e.g. app.example.com (optional)",
};

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const USER = /^[a-z_][a-z0-9_.-]*$/i;

function refuse(flag: InitFlag, value: string, why: string): never {
  throw new InitInputError(flag, `--${flag} ${JSON.stringify(value)}: ${why}`);
}

function portNumber(flag: InitFlag, value: string, fix: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    refuse(flag, value, `${fix}: a whole number from 1 to 65535`);
  }
  return Number(value);
}

function parseRegistry(value: string): InitAnswers["registry"] {
  const slash = value.indexOf("/");
  const server = slash < 0 ? value : value.slice(0, slash);
  const namespace = slash < 0 ? "" : value.slice(slash + 1);
  if (
    slash <= 0 ||
    !REGISTRY_PATTERN.test(server) ||
    !namespace.split("/").every((part) => REPOSITORY_COMPONENT_PATTERN.test(part))
  ) {
    refuse("registry", value, `expected ${FLAG_HELP.registry} (lowercase namespace)`);
  }
  return { server, namespace };
}

function sshPort(value: string, port: string): number {
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    refuse(
      "host",
      value,
      `${JSON.stringify(port)} is not an SSH port (1 to 65535); expected ${FLAG_HELP.host}`,
    );
  }
  return Number(port);
}

function parseHost(value: string): InitAnswers["host"] {
  const match = /^([^@\s]+)@([^@\s:]+)(?::([^:\s]*))?$/.exec(value);
  if (match === null || !USER.test(match[1]!) || !DNS_NAME.test(match[2]!.toLowerCase())) {
    return refuse("host", value, `expected ${FLAG_HELP.host}`);
  }
  return {
    user: match[1]!,
    address: match[2]!,
    port: match[3] === undefined ? 22 : sshPort(value, match[3]),
  };
}

/** The key file as the stack names it: `~/…` when under `home` (so CI's home works too). */
function parseSshKey(value: string, cwd: string, home: string = os.homedir()): string {
  const file = path.resolve(cwd, expandHome(value, home));
  let isFile = false;
  try {
    isFile = fs.statSync(file).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    refuse("ssh-key", value, `no such file; expected ${FLAG_HELP["ssh-key"]}`);
  }
  const relative = path.relative(home, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)
    ? `~/${relative.split(path.sep).join("/")}`
    : file;
}

function parsePort(value: string): number {
  return portNumber("port", value, "expected the port your container listens on");
}

function parseHealth(value: string): string {
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value)) {
    refuse("health", value, `expected ${FLAG_HELP.health}`);
  }
  return value;
}

function parseDomain(value: string): string {
  if (!DNS_NAME.test(value)) {
    refuse("domain", value, `expected ${FLAG_HELP.domain.replace(" (optional)", "")}`);
  }
  return value;
}

function parseEdgeImage(value: string): string {
  try {
    parseDigestReference(value);
    return value;
  } catch (error) {
    if (error instanceof ReferenceError) {
      refuse("edge-image", value, `${error.reason}; expected ${FLAG_HELP["edge-image"]}`);
    }
    throw error;
  }
}

/** Checks every given value; the first bad one is refused. `cwd` resolves a relative key file. */
export function parseAnswers(input: InitInput, cwd: string, home?: string): InitAnswers {
  const missing = INIT_FLAGS.filter((flag) => flag !== "domain" && input[flag] === undefined);
  if (missing.length > 0) {
    const flag = missing[0]!;
    throw new InitInputError(
      flag,
      `--${flag} is missing: pass --${flag} ${FLAG_HELP[flag]}, or run slipway init in a terminal to be asked`,
    );
  }
  return {
    registry: parseRegistry(input.registry!),
    host: parseHost(input.host!),
    sshKey: parseSshKey(input["ssh-key"]!, cwd, home),
    port: parsePort(input.port!),
    health: parseHealth(input.health!),
    edgeImage: parseEdgeImage(input["edge-image"]!),
    ...(input.domain === undefined ? {} : { domain: parseDomain(input.domain) }),
  };
}

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configParts } from "../../../src/edge";
import { renderPayload, type ServiceDefinition } from "../../../src/deploy";

export const DIGEST_WEB = `sha256:${"ab".repeat(32)}`;
export const DIGEST_EDGE = `sha256:${"cd".repeat(32)}`;
export const REF_WEB = `ghcr.io/acme/web@${DIGEST_WEB}`;
export const REF_EDGE = `ghcr.io/acme/edge@${DIGEST_EDGE}`;

/** The edge's current Caddy container, as the edge script records it, in the script-run tests. */
export const CADDY = "slipway-edge-caddy-cdcdcdcdcdcd-0a1b";

/** The docker call a script makes to load `caddy.json.next` into Caddy container `caddy`. */
export function reloadCall(caddy: string): string[] {
  return [
    "exec",
    caddy,
    "caddy",
    "reload",
    "--config",
    "/etc/slipway/caddy.json.next",
    "--address",
    "unix//run/caddy/admin.sock",
  ];
}

/** Values a shell would misread if they were not quoted. */
export const HOSTILE = {
  SPACES: "two  spaces and\ttab",
  QUOTES: `it's "quoted"`,
  SUBST: "$(touch /tmp/slipway-pwned) `touch /tmp/slipway-pwned` ${HOME}",
  GLOB: "* ? [a-z] ~ & ; | < > #",
  NEWLINE: "line one\nline two",
  BACKSLASH: "a\\b\\\\c\\n",
} as const;

/**
 * A typical service on a typical host: dev stack, ghcr.io with a login, two secrets, routed
 * through the host's default edge on one host name with TLS (HTTP redirected to HTTPS).
 */
export function typicalDefinition(overrides: Partial<ServiceDefinition> = {}): ServiceDefinition {
  return {
    host: "web-1",
    stack: "dev",
    service: "web",
    image: "web",
    ref: REF_WEB,
    revision: "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a",
    edge: "slipway-edge",
    containerPort: 8080,
    routes: [{ host: "web.example.com", tls: true }],
    drainSeconds: 1,
    healthPath: "/healthz",
    healthTimeoutSeconds: 60,
    keepReleases: 3,
    rollbackWindowSeconds: 0,
    env: { LOG_LEVEL: "debug", GREETING: "hello world" },
    secretEnvNames: ["API_KEY", "DB_PASSWORD"],
    registryLogin: { server: "ghcr.io", username: "acme-bot" },
    stateRoot: "/var/lib/slipway",
    network: "slipway-dev",
    command: [],
    ...overrides,
  };
}

/** The lines of a script, without leading indentation. */
export function lines(script: string): string[] {
  return script.split("\n").map((line) => line.trim());
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs shell text with `/bin/sh -c` (dash here), stdin given; never rejects on exit codes. */
export function sh(
  text: string,
  options: { stdin?: string; env?: NodeJS.ProcessEnv; shell?: string } = {},
): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      options.shell ?? "/bin/sh",
      ["-c", text],
      { env: options.env ?? process.env, encoding: "utf8", timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") {
          reject(new Error(`sh -c failed to run: ${error.message}`));
          return;
        }
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
    // A script may exit without reading its stdin; that is not an error of the test.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.stdin ?? "");
  });
}

/** A temp directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-deploy-test-"));
  return {
    dir,
    remove: () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
}

/**
 * A host's state root under `dir` for the deploy scripts run under sh: `root`, the edge
 * `slipway-edge`'s directory with its routes, upstreams and config parts (as the edge script
 * leaves them), and the service web's state directory (`state`, not made).
 */
export function edgeRoot(dir: string): { root: string; edge: string; state: string } {
  const root = path.join(dir, "root");
  const edge = path.join(root, "_edge", "slipway-edge");
  const parts = configParts({ tls: "internal" });
  fs.mkdirSync(path.join(edge, "routes"), { recursive: true });
  fs.mkdirSync(path.join(edge, "upstreams"));
  fs.writeFileSync(path.join(edge, "config.head"), parts.head);
  fs.writeFileSync(path.join(edge, "config.mid"), parts.mid);
  fs.writeFileSync(path.join(edge, "config.tail"), parts.tail);
  return { root, edge, state: path.join(root, "web") };
}

/**
 * A fake `docker` on PATH that appends its arguments, NUL-separated and preceded by a `CALL`
 * marker, to `$FAKE_DOCKER_LOG`, and exits 0; with `--password-stdin` it also keeps what came
 * on stdin in `<log>.stdin`. Proves which argv a generated command line really produces once
 * the shell has parsed it. `answers` is shell text run after the logging, with the same
 * arguments (e.g. a `case "$1"` that prints what `docker ps` would).
 */
export function fakeDocker(
  dir: string,
  answers = "",
): {
  env: NodeJS.ProcessEnv;
  calls: () => string[][];
  stdin: () => string;
} {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const log = path.join(dir, "docker.log");
  fs.writeFileSync(
    path.join(bin, "docker"),
    [
      "#!/bin/sh",
      `{ printf 'CALL\\0'; for arg in "$@"; do printf '%s\\0' "$arg"; done; } >> "$FAKE_DOCKER_LOG"`,
      'for arg in "$@"; do',
      '  if [ "$arg" = --password-stdin ]; then cat > "$FAKE_DOCKER_LOG".stdin; fi',
      "done",
      answers,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      FAKE_DOCKER_LOG: log,
      // No supervisor loop beside a fake docker (its calls would land in the log).
      SLIPWAY_SUPERVISOR: "off",
    },
    stdin: () => fs.readFileSync(`${log}.stdin`, "utf8"),
    calls: () => {
      if (!fs.existsSync(log)) {
        return [];
      }
      const calls: string[][] = [];
      const fields = fs.readFileSync(log, "utf8").split("\0");
      fields.pop();
      for (const field of fields) {
        if (field === "CALL") {
          calls.push([]);
        } else {
          calls[calls.length - 1]!.push(field);
        }
      }
      return calls;
    },
  };
}

/**
 * docker as a deploy meets it on a host whose edge runs (`fakeDocker`'s answers): release
 * containers run once started (`run`, until `rm`), are healthy, and answer through the edge
 * unless `$FAKE_VERIFY_FAILS`.
 */
export const DEPLOY_ANSWERS = [
  'case "$1 $2" in',
  '  "container inspect")',
  '    case "$4" in',
  "      '{{.State.Running}}') echo true ;;",
  `      '{{.State.Status}}') if [ -f "$FAKE_DOCKER_LOG.ran.$5" ]; then echo running; else exit 1; fi ;;`,
  "      '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}') echo 'running 0 0' ;;",
  `      '{{.State.Status}} {{index .Config.Labels "slipway.digest"}}') if [ -f "$FAKE_DOCKER_LOG.ran.$5" ]; then echo "running \${FAKE_WARM_DIGEST:-}"; else exit 1; fi ;;`,
  `      '{{.State.Status}} {{index .Config.Labels "slipway.digest"}} {{index .Config.Labels "slipway.stack"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}') if [ -f "$FAKE_DOCKER_LOG.ran.$5" ]; then echo "running \${FAKE_DIGEST:-} dev none"; else exit 1; fi ;;`,
  "      *) exit 1 ;;",
  "    esac ;;",
  '  "run --detach") touch "$FAKE_DOCKER_LOG.ran.$4" ;;',
  '  "rm --force") rm -f "$FAKE_DOCKER_LOG.ran.$3" ;;',
  '  "stop "*) rm -f "$FAKE_DOCKER_LOG.ran.$2" ;;',
  // `docker ps --filter status=running …`: the service's containers this fake runs.
  '  "ps --filter")',
  "    svc=$(printf '%s\\n' \"$@\" | sed -n 's/^label=slipway.service=//p')",
  '    for f in "$FAKE_DOCKER_LOG".ran.*; do n=${f##*.ran.}; case $n in "$svc"-*) echo "$n" ;; esac; done ;;',
  '  "exec slipway-edge")',
  '    case "$*" in',
  "      *--header*)",
  '        if [ "${FAKE_VERIFY_FAILS:-}" = silent ]; then exit 1; fi',
  '        if [ -n "${FAKE_VERIFY_FAILS:-}" ]; then echo "wget: server returned error: HTTP/1.1 502 Bad Gateway" >&2; exit 1; fi',
  "        echo ok ;;",
  "      *)",
  `        if [ -n "\${FAKE_HEALTH_FAILS:-}" ]; then echo "wget: can't connect to remote host: Connection refused" >&2; exit 1; fi`,
  "        echo ok ;;",
  "    esac ;;",
  "esac",
].join("\n");

/** A second release's digest, beside DIGEST_WEB. */
export const DIGEST_2 = `sha256:${"12".repeat(32)}`;

/** The secret payload of the deploy tests: a registry password and two secret env values. */
export const PAYLOAD = renderPayload({
  registryPassword: "registry-pw",
  secretEnv: { API_KEY: "api-key", DB_PASSWORD: "db-pw" },
});

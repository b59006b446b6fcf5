import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { HostConfig } from "../../../src/config";
import {
  accessoryLogsScript,
  lockStatusScript,
  maintenanceScript,
  oneOffScript,
  pruneScript,
  renderPayload,
  serviceLogsScript,
} from "../../../src/deploy";
import { Masker, failureOf, type HostOutcome } from "../../../src/cli/day-two";
import {
  CONNECTED_MARK,
  LineSplitter,
  StderrReader,
  withConnectedMark,
  type HostShell,
  type StreamEnd,
  type StreamOptions,
} from "../../../src/cli/host-shell";
import { uptimeText } from "../../../src/cli/commands/details";
import { decrypted, digest, project, slipway, type Project } from "./harness";

const OPS = `config:
  slipway:role: promote
  slipway:registry:
    server: REGISTRY
    namespace: acme
    insecure: true
  slipway:images:
    web:
      pin:
        digest: ${digest(1)}
    api:
      pin:
        digest: ${digest(3)}
  slipway:hosts:
    - name: web-1
      address: 203.0.113.10
      user: deploy
      privateKey:
        secure: v1:key-1
    - name: web-2
      address: 203.0.113.11
      user: deploy
      privateKey:
        secure: v1:key-2
  slipway:services:
    web:
      routes:
        - host: web.example.com
      env:
        MODE: prod
      secretEnv:
        TOKEN:
          secure: v1:token
    api:
      hosts: [web-1]
  slipway:accessories:
    postgres:
      image: REGISTRY/acme/postgres@${digest(4)}
      hosts: [web-1]
      volumes:
        data: /var/lib/postgresql/data
`;

/** An answer of a fake host: its stdout and stderr lines, and how it ends. */
interface Answer {
  readonly stdout?: readonly string[];
  readonly stderr?: readonly string[];
  readonly end?: StreamEnd;
}

/** Hosts that answer each script with the test's answer, keeping what they were given. */
class FakeShell implements HostShell {
  readonly answers: Record<string, Answer> = {};
  readonly runs: { host: string; script: string; input?: string; tty: boolean }[] = [];

  stream(host: HostConfig, script: string, options: StreamOptions): Promise<StreamEnd> {
    this.runs.push({
      host: host.name,
      script,
      ...(options.input === undefined ? {} : { input: options.input }),
      tty: options.tty === true,
    });
    const answer = this.answers[host.name] ?? {};
    answer.stdout?.forEach((line) => options.onStdout?.(line));
    answer.stderr?.forEach((line) => options.onStderr?.(line));
    return Promise.resolve(answer.end ?? { kind: "ran", status: 0 });
  }
}

const TOKEN = decrypted("slipway:services.web.secretEnv.TOKEN");

describe("slipway day-two commands", () => {
  let p: Project;
  let shell: FakeShell;
  const run = (argv: string[]) => slipway(p, argv, { shell });
  beforeEach(async () => {
    p = await project({ "Pulumi.ops.yaml": OPS });
    shell = new FakeShell();
  });
  afterEach(async () => p.close());

  it("logs: the logs script on every host of the service, each line marked by its host, secrets masked", async () => {
    shell.answers["web-1"] = { stdout: ["started", `token is ${TOKEN}!`] };
    shell.answers["web-2"] = { stdout: ["started"] };
    const result = await run(["logs", "--stack", "ops", "--service", "web", "--since", "1d"]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout: "[web-1] started\n[web-1] token is [secret]!\n[web-2] started\n",
    });
    assert.deepEqual(
      shell.runs.map(({ host, script }) => ({ host, script })),
      ["web-1", "web-2"].map((host) => ({
        host,
        script: serviceLogsScript(
          {
            host,
            stack: "ops",
            service: "web",
            stateRoot: "/var/lib/slipway",
            edge: "slipway-edge",
          },
          { since: "24h", follow: false, timestamps: false },
        ),
      })),
    );
  });

  it("logs on one host: no marks; --grep keeps the matching lines; default --tail 100", async () => {
    shell.answers["web-1"] = { stdout: ["GET /", "ERROR boom", "GET /x"] };
    const result = await run(["logs", "--stack", "ops", "--service", "api", "--grep", "^ERR"]);
    assert.deepEqual(result, { code: 0, stderr: "", stdout: "ERROR boom\n" });
    assert.ok(shell.runs[0]!.script.includes('\nexec docker logs --tail 100 "$target" 2>&1\n'));
  });

  it("refuses an unknown service, accessory or host, naming the ones that exist", async () => {
    assert.deepEqual(await run(["logs", "--stack", "ops", "--service", "wbe"]), {
      code: 2,
      stdout: "",
      stderr: 'slipway: ops has no service "wbe"; its services: web, api\n',
    });
    assert.deepEqual(await run(["logs", "--stack", "ops"]), {
      code: 2,
      stdout: "",
      stderr: "slipway: ops has 2 services; name one with --service (web, api)\n",
    });
    assert.deepEqual(await run(["accessory", "logs", "redis", "--stack", "ops"]), {
      code: 2,
      stdout: "",
      stderr: 'slipway: ops has no accessory "redis"; its accessories: postgres\n',
    });
    assert.deepEqual(await run(["logs", "--stack", "ops", "--service", "web", "--host", "web-9"]), {
      code: 2,
      stdout: "",
      stderr: 'slipway: ops has no host "web-9"; its hosts: web-1, web-2\n',
    });
    assert.deepEqual(await run(["logs", "--stack", "ops", "--service", "api", "--host", "web-2"]), {
      code: 2,
      stdout: "",
      stderr: "slipway: service api does not run on host web-2; it runs on: web-1\n",
    });
    assert.deepEqual(shell.runs, []);
  });

  it("an SSH failure names the host and the cause in one line (exit 6); a refusal exits 3", async () => {
    shell.answers["web-1"] = {
      end: {
        kind: "unreachable",
        message: "ssh deploy@203.0.113.10:22 exited 255: Connection refused",
      },
    };
    shell.answers["web-2"] = { end: { kind: "failed", message: "no release of web on this host" } };
    assert.deepEqual(await run(["logs", "--stack", "ops", "--service", "web"]), {
      code: 6,
      stdout: "",
      stderr:
        "slipway: host web-1: ssh deploy@203.0.113.10:22 exited 255: Connection refused\n" +
        "host web-2: no release of web on this host\n",
    });
    shell.answers["web-1"] = {};
    assert.equal((await run(["logs", "--stack", "ops", "--service", "web"])).code, 3);
  });

  it("exec: no command is a usage error before anything is read", async () => {
    assert.deepEqual(await run(["exec", "--stack", "nope"]), {
      code: 2,
      stdout: "",
      stderr: "slipway: no command to run: give it after --, e.g. slipway exec -- ls /\n",
    });
  });

  it("exec: a one-off container on the first host, secrets only on stdin, output masked, its exit status", async () => {
    shell.answers["web-1"] = {
      stdout: [`TOKEN=${TOKEN}`, "MODE=prod"],
      end: { kind: "ran", status: 3, exit: 3 },
    };
    const result = await run(["exec", "--stack", "ops", "--service", "web", "--", "env"]);
    assert.deepEqual(result, {
      code: 7,
      stdout: "TOKEN=[secret]\nMODE=prod\n",
      stderr: "slipway: the command exited 3 on host web-1\n",
    });
    assert.deepEqual(shell.runs, [
      {
        host: "web-1",
        tty: false,
        script: oneOffScript({
          host: "web-1",
          stack: "ops",
          service: "web",
          stateRoot: "/var/lib/slipway",
          edge: "slipway-edge",
          ref: `${p.registry.server}/acme/web@${digest(1)}`,
          env: { MODE: "prod" },
          secretEnvNames: ["TOKEN"],
          network: "slipway-ops",
          command: ["env"],
          interactive: false,
        }),
        input: renderPayload({ secretEnv: { TOKEN } }),
      },
    ]);
    assert.ok(!shell.runs[0]!.script.includes(TOKEN));
  });

  it("accessory logs and lock status run their scripts on the accessory's hosts", async () => {
    await run(["accessory", "logs", "postgres", "--stack", "ops", "--tail", "all"]);
    assert.equal(
      shell.runs[0]!.script,
      accessoryLogsScript("web-1", "ops", "slipway-ops-postgres", {
        follow: false,
        timestamps: false,
      }),
    );
    shell.runs.length = 0;
    shell.answers["web-1"] = {
      stdout: [
        "slipway-lock\tservice\tweb\theld\tstack ops, deploy from 10.0.0.9 (pid 77) since 2026-12-07T07:00:00Z\tSlipway deploy of web to host web-1 (stack ops): x",
        "slipway-lock\tservice\tapi\tnone\t\t",
        "slipway-lock\taccessory\tpostgres\tfree\tstack ops, deploy from 10.0.0.9 (pid 70) since 2026-12-06T07:00:00Z\t",
        "slipway-lock\tedge\tslipway-edge\tfree\t\t",
      ],
    };
    shell.answers["web-2"] = {
      stdout: [
        "slipway-lock\tservice\tweb\tfree\t\t",
        "slipway-lock\tedge\tslipway-edge\tfree\t\t",
      ],
    };
    const result = await run(["lock", "status", "--stack", "ops"]);
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout:
        "HOST   LOCK                STATE  HOLDER                                    SINCE                 COMMAND\n" +
        "web-1  service web         held   stack ops, deploy, from 10.0.0.9, pid 77  2026-12-07T07:00:00Z  Slipway deploy of web to host web-1 (stack ops): x\n" +
        "web-1  service api         none\n" +
        "web-1  accessory postgres  free   stack ops, deploy, from 10.0.0.9, pid 70  2026-12-06T07:00:00Z\n" +
        "web-1  edge slipway-edge   free\n" +
        "web-2  service web         free\n" +
        "web-2  edge slipway-edge   free\n" +
        "1 held; release: slipway lock release --stack ops\n" +
        "(HOLDER of a free lock: its last holder)\n",
    });
    assert.equal(
      shell.runs[1]!.script,
      lockStatusScript("web-2", [
        { kind: "service", name: "web", dir: "/var/lib/slipway/web" },
        { kind: "edge", name: "slipway-edge", dir: "/var/lib/slipway/_edge/slipway-edge" },
      ]),
    );
    const json = JSON.parse((await run(["lock", "status", "--stack", "ops", "--json"])).stdout);
    assert.deepEqual(json.locks[0], {
      host: "web-1",
      kind: "service",
      name: "web",
      state: "held",
      stack: "ops",
      user: "deploy",
      from: "10.0.0.9",
      pid: 77,
      since: "2026-12-07T07:00:00Z",
      command: "Slipway deploy of web to host web-1 (stack ops): x",
    });
  });

  it("maintenance on|off: the stack setting (comments kept) and the switch on every host", async () => {
    p.write("Pulumi.ops.yaml", `# ops stack\n${p.read("Pulumi.ops.yaml")}`);
    const before = p.read("Pulumi.ops.yaml");
    shell.answers["web-1"] = { stdout: ["maintenance on"] };
    shell.answers["web-2"] = { stdout: ["maintenance on", "maintenance stale"] };
    const on = await run([
      "maintenance",
      "on",
      "--stack",
      "ops",
      "--service",
      "web",
      "--message",
      "Back at 10:00",
      "--retry-after",
      "120",
    ]);
    assert.deepEqual(on, {
      code: 0,
      stderr: "",
      stdout:
        "maintenance on for web on web-1, web-2: its routes answer 503 (Retry-After 120) while the release keeps running; recorded in Pulumi.ops.yaml (slipway:maintenance), which the next pulumi up keeps\n" +
        "the routes of web on web-2 predate maintenance mode and do not answer it yet; deploy once (slipway up --stack ops) to install them\n",
    });
    assert.equal(
      p.read("Pulumi.ops.yaml"),
      `${before}  slipway:maintenance:\n    web:\n      message: Back at 10:00\n      retryAfter: 120\n`,
    );
    const where = {
      stack: "ops",
      service: "web",
      stateRoot: "/var/lib/slipway",
      edge: "slipway-edge",
    };
    assert.deepEqual(
      shell.runs.map(({ host, script }) => ({ host, script })),
      ["web-1", "web-2"].map((host) => ({
        host,
        script: maintenanceScript({
          ...where,
          host,
          mode: { kind: "on", message: "Back at 10:00", retryAfter: 120 },
        }),
      })),
    );
    shell.runs.length = 0;
    shell.answers["web-1"] = { stdout: ["maintenance off"] };
    shell.answers["web-2"] = { stdout: ["maintenance off"] };
    const one = await run([
      "maintenance",
      "off",
      "--stack",
      "ops",
      "--service",
      "web",
      "--host",
      "web-1",
      "--json",
    ]);
    assert.deepEqual(JSON.parse(one.stdout), {
      stack: "ops",
      service: "web",
      maintenance: "off",
      recorded: false,
      hosts: [{ host: "web-1", stale: false }],
    });
    assert.ok(p.read("Pulumi.ops.yaml").includes("slipway:maintenance:"), "one host: not recorded");
    const off = await run(["maintenance", "off", "--stack", "ops", "--service", "web"]);
    assert.equal(
      off.stdout,
      "maintenance off for web on web-1, web-2: its routes serve the release again; recorded in Pulumi.ops.yaml (slipway:maintenance), which the next pulumi up keeps\n",
    );
    assert.equal(p.read("Pulumi.ops.yaml"), before);
    assert.deepEqual(
      shell.runs.map(({ host }) => host),
      ["web-1", "web-1", "web-2"],
    );
  });

  it("maintenance of a worker is refused, naming the routed services", async () => {
    const result = await run(["maintenance", "on", "--stack", "ops", "--service", "api"]);
    assert.deepEqual(result, {
      code: 2,
      stderr:
        "slipway: api has no routes (a worker): maintenance answers requests through the edge; routed services: web\n",
      stdout: "",
    });
    assert.deepEqual(shell.runs, []);
  });

  it("prune: the script per host with the services there, their repositories and pins; a table", async () => {
    shell.answers["web-1"] = {
      stdout: [
        "slipway-prune\tcontainer\tweb-old\twould remove",
        `slipway-prune\timage\tREPO/acme/api@${digest(9)}\twould remove`,
      ],
    };
    const result = await run(["prune", "--stack", "ops", "--dry-run"]);
    assert.equal(result.code, 0, result.stderr);
    const image = `REPO/acme/api@${digest(9)}`;
    const w = image.length;
    assert.equal(
      result.stdout,
      `HOST   KIND       ${"NAME".padEnd(w)}  ACTION\n` +
        `web-1  container  ${"web-old".padEnd(w)}  would remove\n` +
        `web-1  image      ${image}  would remove\n` +
        "2 would be removed; run without --dry-run to remove them\n",
    );
    const registry = /\nrepositories='?([^/\s']+)\//.exec(shell.runs[0]!.script)![1]!;
    assert.deepEqual(
      shell.runs.map(({ host, script }) => ({ host, script })),
      [
        {
          host: "web-1",
          script: pruneScript({
            host: "web-1",
            stack: "ops",
            services: ["web", "api"].map((service) => ({
              service,
              dir: `/var/lib/slipway/${service}`,
              keepReleases: 3,
            })),
            repositories: [`${registry}/acme/api`, `${registry}/acme/web`],
            pinned: [digest(1), digest(3)],
            dryRun: true,
          }),
        },
        {
          host: "web-2",
          script: pruneScript({
            host: "web-2",
            stack: "ops",
            services: [{ service: "web", dir: "/var/lib/slipway/web", keepReleases: 3 }],
            repositories: [`${registry}/acme/web`],
            pinned: [digest(1)],
            dryRun: true,
          }),
        },
      ],
    );
  });

  it("every day-two command masks the stack's secret values in what its hosts print", async () => {
    for (const argv of [
      ["lock", "status"],
      ["lock", "release"],
      ["details"],
      ["prune", "--dry-run"],
      ["maintenance", "off", "--service", "web", "--host", "web-1", "--host", "web-2"],
      ["accessory", "restart", "postgres"],
    ]) {
      shell.answers["web-1"] = { stderr: [`cannot read ${TOKEN}`] };
      const result = await run([...argv, "--stack", "ops"]);
      const said = result.stderr.split("\n").filter((line) => line.includes("cannot read"));
      assert.deepEqual(
        said,
        [argv[0] === "accessory" ? "cannot read [secret]" : "[web-1] cannot read [secret]"],
        argv.join(" "),
      );
      assert.ok(!`${result.stdout}${result.stderr}`.includes(TOKEN), argv.join(" "));
    }
  });

  it("completion: bash completes commands, subcommands, options and the project's stacks", async () => {
    const result = await run(["completion", "bash"]);
    assert.equal(result.code, 0);
    const file = path.join(p.root, "completion.bash");
    fs.writeFileSync(file, result.stdout);
    const complete = (words: string, cword: number) =>
      execFileSync(
        "bash",
        [
          "-c",
          `source "$1" && COMP_WORDS=(${words}) && COMP_CWORD=${cword} && _slipway && printf '%s\\n' "\${COMPREPLY[*]}"`,
          "bash",
          file,
        ],
        { cwd: p.root, encoding: "utf8" },
      ).trim();
    assert.equal(complete("slipway lo", 1), "logs lock");
    assert.equal(complete("slipway lock ''", 2), "status release");
    assert.equal(complete("slipway accessory restart --h", 3), "--host");
    assert.equal(complete("slipway logs --stack ''", 3), "ops");
    assert.equal(complete("slipway exec -- l", 3), "");
    const zsh = await run(["completion", "zsh"]);
    assert.equal(
      zsh.stdout,
      result.stdout
        .replace("# slipway completion for bash: source <(slipway completion bash)\n", "")
        .replace(
          /^/,
          "#compdef slipway\n# slipway completion for zsh: source <(slipway completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n",
        ),
    );
  });
});

describe("the day-two plumbing", () => {
  it("masks every secret value, the longest first", () => {
    const masker = new Masker(["abc", "abcdef", ""]);
    assert.equal(masker.mask("x abcdef y abc z"), "x [secret] y [secret] z");
    assert.equal(masker.mask("nothing"), "nothing");
  });

  it("splits a stream into lines across chunks, the rest at the end", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push("a\r\nb");
    splitter.push("c\nd");
    splitter.end();
    assert.deepEqual(lines, ["a", "bc", "d"]);
  });

  it("reads stderr: ssh's own lines before the mark, the script's markers after", () => {
    const passed: string[] = [];
    const reader = new StderrReader((line) => passed.push(line));
    reader.line("Warning: Permanently added host");
    reader.line(CONNECTED_MARK);
    reader.line("slipway: host web-1: pulling");
    reader.line("slipway-exit 4");
    assert.deepEqual(passed, ["slipway: host web-1: pulling"]);
    assert.deepEqual(
      reader.end(0, () => "unused"),
      { kind: "ran", status: 0, exit: 4 },
    );
    const unreachable = new StderrReader(undefined);
    unreachable.line("ssh: connect to host 10.0.0.1 port 22: Connection refused");
    assert.deepEqual(
      unreachable.end(255, (before) => `ssh exited 255: ${before}`),
      {
        kind: "unreachable",
        message: "ssh exited 255: ssh: connect to host 10.0.0.1 port 22: Connection refused",
      },
    );
  });

  it("the connected mark goes first, then the script without its #! line", () => {
    assert.equal(
      withConnectedMark("#!/bin/sh\necho hi\n"),
      `#!/bin/sh\nprintf '%s\\n' ${CONNECTED_MARK} >&2\necho hi\n`,
    );
  });

  it("a lost connection after the mark is unreachable too, each host on its line", () => {
    const outcome = (name: string, end: StreamEnd): HostOutcome => ({
      job: { host: { name } as HostConfig, label: name, script: "" },
      end,
      lines: [],
    });
    const error = failureOf(
      [outcome("a", { kind: "ran", status: 255 }), outcome("b", { kind: "ran", status: 0 })],
      new Masker([]),
    );
    assert.equal(error?.code, 6);
    assert.equal(error?.message, "host a: the script ended with status 255 (connection lost?)");
  });

  it("uptime in the two largest units", () => {
    assert.deepEqual([12, 250, 7300, 3 * 86400 + 4 * 3600 + 5].map(uptimeText), [
      "12s",
      "4m10s",
      "2h1m",
      "3d4h",
    ]);
  });
});

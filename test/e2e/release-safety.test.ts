/**
 * Release safety with the real Pulumi engine on a twin of the local stacks (test/helpers/twin.ts),
 * trimmed to what it needs: local builds the api (two replicas), PostgreSQL and the edge;
 * local-prod runs the api promoted from it, with `slipway:promotion` (minSoakMinutes 1).
 *
 * - The api's release command (`/api migrate`) adds items.note: it runs once for the new
 *   digest, its container ends before the new release's containers are created (Docker's own
 *   events), under load with 0 failed requests, and the new release stores notes.
 * - A release command that fails (a wrong database password) leaves every replica on the old
 *   release under load with 0 failed requests; the update fails with the command's last
 *   lines and shows no secret.
 * - promote refuses a digest younger than the soak time, `promote --auto` promotes it once it
 *   soaked; a manual rollback holds `--auto` until the next manual promote.
 * - A rejected digest is refused by promote and rollback and flagged by status.
 *
 * The soak is real time: the test waits for the minute it asks for (the failing release
 * runs meanwhile), as a scheduled `promote --auto` would.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack, UpResult } from "@pulumi/pulumi/automation";
import { RELEASE_MARKERS } from "../../src/deploy";
import { activeRejections, readRejections } from "../../src/ledger";
import { apiRequest, docker, ids } from "../helpers/edge-client";
import { sleep } from "../helpers/load";
import { SLIPWAY_HOME, STATE_DIR, pulumiDestroy, useServices } from "../helpers/services";
import { timings } from "../helpers/timings";
import { makeTwin, type Twin } from "../helpers/twin";
import { loadReport, retiresSettled, underLoad } from "../integration/deploy-fixture";

const HTTP_PORT = 28380;
const PREFIX = "rs";
const API = `${PREFIX}-api`;
const API_HOST = `${API}.localhost`;
const API_PROD_HOST = `${API}-prod.localhost`;
const MIN_SOAK_MINUTES = 1;
/** Where the host keeps a service's state (the default stateRoot). */
const STATE_ROOT = "/var/lib/slipway";

const api = (host: string, method: "GET" | "POST", pathname: string, body?: unknown) =>
  apiRequest(HTTP_PORT, host, method, pathname, body);

async function release(host: string): Promise<string> {
  const answer = await api(host, "GET", "/version");
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { release: string }).release;
}

/** One container event of Docker's own record: what happened to which container, when (ns). */
interface ContainerEvent {
  readonly id: string;
  readonly name: string;
  readonly action: string;
  readonly role: string | undefined;
  readonly exitCode: string | undefined;
  readonly time: bigint;
}

/** Docker's container events between `since` and now (epoch ms), oldest first. */
function containerEvents(since: number): ContainerEvent[] {
  const text = docker(
    "events",
    "--since",
    (since / 1000).toFixed(3),
    "--until",
    (Date.now() / 1000).toFixed(3),
    "--filter",
    "type=container",
    "--format",
    "{{json .}}",
  );
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const event = JSON.parse(line) as {
        Action: string;
        timeNano: number | string;
        Actor: { ID: string; Attributes: Record<string, string> };
      };
      const attributes = event.Actor.Attributes;
      return {
        id: event.Actor.ID,
        name: attributes.name ?? "",
        action: event.Action,
        role: attributes["slipway.role"],
        exitCode: attributes.exitCode,
        time: BigInt(event.timeNano),
      };
    });
}

/** Release command containers of the api that started, by name, with their exit codes. */
function releaseCommandRuns(events: readonly ContainerEvent[]): { name: string; exit?: string }[] {
  return events
    .filter((event) => event.role === "release-command" && event.action === "start")
    .map((start) => {
      const die = events.find(
        (event) => event.name === start.name && event.action === "die" && event.time > start.time,
      );
      return { name: start.name, ...(die?.exitCode === undefined ? {} : { exit: die.exitCode }) };
    });
}

const hexOf = (digest: string) => digest.slice("sha256:".length);
const steps = timings();

describe("release safety with the real Pulumi engine on the local stacks", function () {
  this.timeout(1_800_000);
  // Before useServices: mocha runs after hooks in their order, and the clean-up needs Docker,
  // which releasing the services may stop.
  after(async () => {
    if (twin !== undefined) {
      for (const stack of ["local-prod", "local"]) {
        const destroyed = await steps.timed(`pulumi destroy --stack ${stack}`, () =>
          pulumiDestroy(stack, twin.dir, twin.env),
        );
        if (destroyed.code !== 0) console.log(destroyed.stdout, destroyed.stderr);
      }
      const volumes = docker("volume", "ls", "--quiet", "--filter", `name=^${PREFIX}-local`);
      if (volumes !== "") docker("volume", "rm", ...volumes.split("\n"));
      twin.remove();
    }
    steps.print(52);
  });
  useServices(["docker", "registry", "sshd", "binfmt", "buildkitd"]);

  let twin: Twin;
  let local: Stack;
  let a1: string;
  let a2: string;
  /** When a2 is old enough for local-prod's soak, from `promote --auto`. */
  let eligibleAt: string;
  const slipway = (...args: string[]) => twin.slipway(...args);
  /** `pulumi up` of local, its whole output kept (secrets must not be in it). */
  const up = async (label: string): Promise<{ result: UpResult; output: string }> => {
    let output = "";
    const result = await steps.timed(label, () =>
      local.up({ onOutput: (text: string) => (output += text) }),
    );
    return { result, output };
  };
  /** Commits everything, the ledgers the updates wrote included, as a team would. */
  const commit = (message: string) => {
    twin.git("add", "-A");
    twin.git("commit", "-q", "--allow-empty", "-m", message);
  };

  before(async () => {
    assert.ok(
      fs.existsSync(path.join(SLIPWAY_HOME, "bin", "pulumi")),
      "the engine is missing: run scripts/bootstrap-engine.sh",
    );
    twin = makeTwin(
      {
        namespace: "slipway-safety",
        prefix: PREFIX,
        edge: `${PREFIX}-edge`,
        httpPort: HTTP_PORT,
        httpsPort: 28743,
      },
      "safety: api a1",
    );
    // Only what these tests need: the api (two replicas) and PostgreSQL behind the edge.
    twin.edit("local", (doc) => {
      for (const key of [
        ["slipway:services", `${PREFIX}-web`],
        ["slipway:services", `${PREFIX}-worker`],
        ["slipway:services", API, "env", "REDIS_URL"],
        ["slipway:accessories", "redis"],
        ["slipway:images", "web"],
        ["slipway:images", "redis"],
        ["slipway:registry", "repositories", "web"],
        ["slipway:registry", "repositories", "redis"],
      ]) {
        doc.deleteIn(["config", ...key]);
      }
      doc.setIn(["config", "slipway:images", "api", "build", "args"], { APP_RELEASE: "a1" });
    });
    twin.edit("local-prod", (doc) =>
      doc.deleteIn(["config", "slipway:services", `${PREFIX}-web-prod`]),
    );
    commit("safety: the api and PostgreSQL only");
    local = await twin.stack("local");
    await twin.stack("local-prod");
  });

  it("a1 is released and promoted; before api migrate the api refuses a note", async () => {
    const { result } = await up("pulumi up --stack local (a1)");
    assert.equal(result.summary.result, "succeeded");
    a1 = (result.outputs.images!.value as Record<string, { digest: string }>).api!.digest;
    assert.equal(await release(API_HOST), "a1");
    assert.equal((await api(API_HOST, "POST", "/items", { name: "before" })).status, 201);
    assert.deepEqual(await api(API_HOST, "POST", "/items", { name: "early", note: "n" }), {
      status: 409,
      body: '{"error":"items has no note column yet: run `api migrate`"}\n',
    });
    const promoted = await steps.timed("slipway promote (a1, no soak yet)", () =>
      slipway("promote", "--from", "local", "--to", "local-prod"),
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(await release(API_PROD_HOST), "a1");
    // From now on local-prod takes only digests that ran on local for a minute.
    twin.edit("local-prod", (doc) =>
      doc.setIn(
        ["config", "slipway:promotion"],
        doc.createNode({ from: "local", minSoakMinutes: MIN_SOAK_MINUTES }),
      ),
    );
    commit("safety: local-prod soaks");
  });

  it("a migration that adds a column runs once, before the switch, under load with 0 failed requests, and the api uses it", async () => {
    twin.edit("local", (doc) => {
      doc.setIn(
        ["config", "slipway:services", API, "release"],
        doc.createNode({ command: ["/api", "migrate"], timeoutSeconds: 120 }),
      );
      doc.setIn(["config", "slipway:images", "api", "build", "args", "APP_RELEASE"], "a2");
    });
    commit("safety: api a2 with its migration");
    await retiresSettled();
    const since = Date.now();
    const { result, keepAlive, fresh } = await underLoad(
      HTTP_PORT,
      API_HOST,
      () => up("pulumi up --stack local (a2, migration)"),
      4,
      "/healthz",
    );
    assert.equal(result.result.summary.result, "succeeded");
    assert.equal(keepAlive.failures + fresh.failures, 0, loadReport([keepAlive, fresh]));
    a2 = (result.result.outputs.images!.value as Record<string, { digest: string }>).api!.digest;
    assert.notEqual(a2, a1);
    console.log(`      a2 under load: ${loadReport([keepAlive, fresh])}`);

    // Docker's record: one release command container of a2, exit 0, gone before either
    // replica of a2 was created.
    const events = containerEvents(since);
    assert.deepEqual(releaseCommandRuns(events), [
      { name: `${API}-release-${hexOf(a2).slice(0, 12)}`, exit: "0" },
    ]);
    const ran = events.filter((event) => event.role === "release-command");
    const ended = ran.find((event) => event.action === "die")!;
    const started = ran.find((event) => event.action === "start")!;
    console.log(`      release command: ${Number(ended.time - started.time) / 1e6} ms`);
    const current = [API, `${API}.2`].map((service) =>
      fs.readFileSync(path.join(STATE_ROOT, service, "current"), "utf8").trim(),
    );
    for (const name of current) {
      // `current` names the container (by name or id).
      const created = events.find(
        (event) => (event.name === name || event.id.startsWith(name)) && event.action === "create",
      );
      assert.ok(created !== undefined, `${name} was created in this update`);
      assert.ok(ended.time < created.time, `${name} was created before the migration ended`);
    }
    // The host's record of it, with a2's ref.
    const marker = fs.readFileSync(path.join(STATE_ROOT, API, RELEASE_MARKERS, hexOf(a2)), "utf8");
    assert.match(marker, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\S+@${a2}\\n$`));

    // The column is there, and a2 stores and lists notes.
    const column = docker(
      "exec",
      `${PREFIX}-local-postgres`,
      "psql",
      "-U",
      "slipway",
      "-d",
      "slipway",
      "-tAc",
      "select data_type from information_schema.columns where table_name = 'items' and column_name = 'note'",
    );
    assert.equal(column, "text");
    assert.equal(await release(API_HOST), "a2");
    const added = await api(API_HOST, "POST", "/items", { name: "after", note: "migrated" });
    assert.equal(added.status, 201, added.body);
    const listed = await api(API_HOST, "GET", "/items");
    assert.deepEqual(
      (JSON.parse(listed.body) as { name: string; note?: string }[]).map(({ name, note }) => ({
        name,
        note,
      })),
      [
        { name: "before", note: undefined },
        { name: "after", note: "migrated" },
      ],
    );
  });

  it("promote refuses a2 before it soaked on local; promote --auto says when it is eligible", async () => {
    const refused = await slipway("promote", "--from", "local", "--to", "local-prod");
    assert.equal(refused.code, 3, `${refused.stdout}\n${refused.stderr}`);
    assert.match(
      refused.stderr,
      new RegExp(
        `refused \\(slipway:promotion\\.minSoakMinutes of local-prod\\):[\\s\\S]*api: ${a2} has run on local for 0 min \\(since \\S+, release #2\\), less than minSoakMinutes 1; eligible at \\S+`,
      ),
    );
    const auto = await slipway("promote", "--to", "local-prod", "--auto", "--json");
    assert.equal(auto.code, 0, auto.stderr);
    const answer = JSON.parse(auto.stdout) as {
      eligible: boolean;
      eligibleAt: string;
      updated: boolean;
    };
    assert.equal(answer.eligible, false);
    assert.equal(answer.updated, false);
    eligibleAt = answer.eligibleAt;
    assert.equal(await release(API_PROD_HOST), "a1");
  });

  it("a failing release command leaves every replica on a2 under load with 0 failed requests; the update fails with its last lines and no secret", async () => {
    const wrong = `wrong-${Date.now().toString(36)}-password`;
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-rs-secret-"));
    const wrongFile = path.join(elsewhere, "postgres-password");
    fs.writeFileSync(wrongFile, wrong, { mode: 0o600 });
    const secret = fs.readFileSync(path.join(STATE_DIR, "secrets", "postgres-password"), "utf8");
    const passwordPath = ["config", "slipway:services", API, "secretEnvFiles", "PGPASSWORD"];
    const releasePath = ["config", "slipway:images", "api", "build", "args", "APP_RELEASE"];
    let rightFile = "";
    twin.edit("local", (doc) => {
      rightFile = String(doc.getIn(passwordPath));
      doc.setIn(passwordPath, wrongFile);
      doc.setIn(releasePath, "a3");
    });
    commit("safety: api a3 with a wrong database password");
    await retiresSettled();
    const running = { ...ids(`${API}-`), ...ids(`${API}.2-`) };
    const since = Date.now();
    let output = "";
    const {
      result: message,
      keepAlive,
      fresh,
    } = await underLoad(
      HTTP_PORT,
      API_HOST,
      () =>
        steps.timed("pulumi up --stack local (a3, failing migration)", () =>
          local.up({ onOutput: (text: string) => (output += text) }).then(
            () => assert.fail("the update succeeded although its release command failed"),
            (error: Error) => error.message,
          ),
        ),
      4,
      "/healthz",
    );
    assert.equal(keepAlive.failures + fresh.failures, 0, loadReport([keepAlive, fresh]));
    console.log(`      a3 under load: ${loadReport([keepAlive, fresh])}`);
    assert.match(
      message,
      /the release command of sha256:[0-9a-f]{64} exited with code 1 after \d+ s; nothing switched on any host/,
    );
    assert.match(
      message,
      /last 20 lines of the release command:\n(.*\n)*.*\| .*migrate: database host postgres:5432/,
    );
    assert.match(message, /\| .*password authentication failed for user "slipway"/);
    for (const text of [message, output]) {
      assert.ok(!text.includes(wrong), "the wrong password is shown");
      assert.ok(!text.includes(secret.trim()), "the real password is shown");
    }
    const runs = releaseCommandRuns(containerEvents(since));
    assert.equal(runs.length, 1, JSON.stringify(runs));
    assert.equal(runs[0]!.exit, "1");
    assert.deepEqual(
      { ...ids(`${API}-`), ...ids(`${API}.2-`) },
      running,
      "every replica keeps its container",
    );
    assert.equal(await release(API_HOST), "a2");

    fs.rmSync(elsewhere, { recursive: true, force: true });

    // Back to a2: its migration is not run again.
    twin.edit("local", (doc) => {
      doc.setIn(passwordPath, rightFile);
      doc.setIn(releasePath, "a2");
    });
    commit("safety: back to api a2");
    const restoredSince = Date.now();
    const { result } = await up("pulumi up --stack local (back to a2)");
    assert.equal(result.summary.result, "succeeded");
    assert.equal(
      (result.outputs.images!.value as Record<string, { digest: string }>).api!.digest,
      a2,
    );
    assert.deepEqual(releaseCommandRuns(containerEvents(restoredSince)), []);
    assert.equal(await release(API_HOST), "a2");
  });

  it("promote --auto promotes a2 once it soaked on local", async () => {
    const wait = Date.parse(eligibleAt) - Date.now();
    if (wait > 0) {
      await steps.timed("waiting for the soak", () => sleep(wait + 1000));
    }
    const auto = await steps.timed("slipway promote --auto (a2 soaked)", () =>
      slipway("promote", "--to", "local-prod", "--auto"),
    );
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(
      auto.stderr,
      /soaked: (.*; )?api has run on local since \S+(; .*)? \(minSoakMinutes 1\)\n/,
    );
    assert.ok(
      fs
        .readFileSync(path.join(twin.dir, "Pulumi.local-prod.yaml"), "utf8")
        .includes(`digest: ${a2}`),
    );
    assert.equal(await release(API_PROD_HOST), "a2");
  });

  it("a manual rollback holds promote --auto", async () => {
    const rolledBack = await steps.timed("slipway rollback --stack local-prod", () =>
      slipway("rollback", "--stack", "local-prod"),
    );
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.equal(await release(API_PROD_HOST), "a1");
    const held = await slipway("promote", "--to", "local-prod", "--auto");
    assert.equal(held.code, 0, held.stderr);
    assert.match(
      held.stdout,
      /^held: release #3 of local-prod is a rollback to #1 by \S+ at \S+; promote --auto promotes nothing until someone promotes by hand:\n {2}slipway promote --from local --to local-prod\n$/,
    );
    assert.equal(await release(API_PROD_HOST), "a1");
  });

  it("a rejected digest is refused by promote and rollback and flagged by status", async () => {
    const reason = "e2e: loses notes";
    const rejected = await slipway("reject", hexOf(a2).slice(0, 12), "--reason", reason);
    assert.equal(rejected.code, 0, rejected.stderr);
    commit("safety: reject a2");
    const rejection = activeRejections(readRejections(twin.dir)).get(a2);
    assert.ok(rejection !== undefined);
    assert.equal(rejection.reason, reason);
    const text = `${a2} was rejected by ${rejection.user} at ${rejection.at}: ${reason}`;

    const promote = await slipway("promote", "--from", "local", "--to", "local-prod");
    assert.equal(promote.code, 3, promote.stderr);
    assert.ok(promote.stderr.includes(`refused: image api: ${text}`), promote.stderr);
    const rollback = await slipway("rollback", "--stack", "local-prod", "--to", a2);
    assert.equal(rollback.code, 3, rollback.stderr);
    assert.ok(rollback.stderr.includes(`refused: image api: ${text}`), rollback.stderr);
    assert.equal(await release(API_PROD_HOST), "a1");

    const status = await slipway("status", "--stack", "local");
    assert.equal(status.code, 5, `${status.stdout}\n${status.stderr}`);
    assert.ok(status.stdout.includes(`REJECTED: ${text}`), status.stdout);
    assert.match(
      status.stdout,
      new RegExp(
        `(${API} on local, ${API}\\.2 on local|${API}\\.2 on local, ${API} on local) run a rejected digest \\(slipway reject\\)`,
      ),
    );
  });

  it("after the rejection is lifted, a manual promote lifts the hold of --auto", async () => {
    const lifted = await slipway("reject", a2, "--undo", "--reason", "e2e: notes kept");
    assert.equal(lifted.code, 0, lifted.stderr);
    commit("safety: a2 is fine");
    const promoted = await steps.timed("slipway promote (a2 by hand)", () =>
      slipway("promote", "--from", "local", "--to", "local-prod"),
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(await release(API_PROD_HOST), "a2");
    const auto = await slipway("promote", "--to", "local-prod", "--auto");
    assert.equal(auto.code, 0, auto.stderr);
    assert.doesNotMatch(auto.stdout, /held/);
    console.log(`      promote --auto after the manual promote: ${auto.stdout.trim()}`);
  });
});

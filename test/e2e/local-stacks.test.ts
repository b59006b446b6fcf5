/**
 * The whole delivery path with the real Pulumi engine, offline, on this machine: the local
 * stack builds the sample app and the edge proxy for amd64 and arm64 into the local registry
 * and deploys them over SSH; a second `up` changes nothing; `slipway promote` pins the local
 * stack's digests into the promote-role stack local-prod, which routes through the edge the
 * local stack manages; a second release goes out (the edge is not restarted); `slipway
 * rollback` returns local-prod to the first digest; a release stopped by hand is DRIFT in
 * `slipway status` and `slipway repair` brings it back. The host serves each expected
 * release in turn, through the edge, over HTTP and HTTPS (Caddy's internal CA).
 *
 * Runs in a twin of the project (test/helpers/twin.ts: its own git repository, backend,
 * edge and ports), so a developer's own local stacks and the working tree are never touched.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import {
  REGISTRY_URL,
  SLIPWAY_HOME,
  containerNames,
  ensureBusybox,
  pulumiDestroy,
  getManifest,
  run,
  servicesDown,
  servicesUp,
  useServices,
} from "../helpers/services";
import { apiRequest, changes, docker, ids } from "../helpers/edge-client";
import { timings } from "../helpers/timings";
import { makeTwin, type Twin } from "../helpers/twin";
import { loadReport, retiresSettled, underLoad } from "../integration/deploy-fixture";

const HTTP_PORT = 28080;
const HTTPS_PORT = 28443;
const NAMESPACE = "slipway-e2e";
const EDGE = "e2e-edge";
/** Any host name reaches the local stack's catch-all route. */
const BUILD_HOST = "e2e.slipway.invalid";
/** The twin's api (local) and api-prod (local-prod) host names. */
const API_HOST = "e2e-api.localhost";
const API_PROD_HOST = "e2e-api-prod.localhost";

/** GET through the twin's edge with a Host header; the body of a 200. */
function served(host: string, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: "127.0.0.1",
        port: HTTP_PORT,
        path: pathname,
        headers: { Host: host },
        timeout: 5000,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => {
          if (response.statusCode !== 200) {
            reject(new Error(`GET ${host}${pathname}: HTTP ${response.statusCode} ${body}`));
          } else {
            resolve(body.trim());
          }
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`GET ${host}${pathname} timed out`)));
    request.on("error", reject);
  });
}

/** A JSON request to the twin's api through the edge (by Host header). */
const api = (host: string, method: "GET" | "POST", pathname: string, body?: unknown) =>
  apiRequest(HTTP_PORT, host, method, pathname, body);

/** The names of the items the api at `host` lists. */
async function items(host: string): Promise<string[]> {
  const answer = await api(host, "GET", "/items");
  assert.equal(answer.status, 200, answer.body);
  return (JSON.parse(answer.body) as { name: string }[]).map((item) => item.name);
}

/** The edge's Caddy container (the edge's holder only owns its ports). */
function caddyOf(edge: string): string {
  return docker(
    "ps",
    "--quiet",
    "--filter",
    "label=slipway.role=edge",
    "--filter",
    `label=slipway.edge.of=${edge}`,
  );
}

const steps = timings();
const timed = steps.timed.bind(steps);

describe("the local stacks end to end with the real Pulumi engine", function () {
  this.timeout(1_800_000);
  useServices(["docker", "registry", "sshd", "binfmt", "buildkitd"]);

  let twin: Twin;
  let work: string;
  let local: Stack;
  let release1: string;
  let edgeId: string;
  const slipway = (...args: string[]) => twin.slipway(...args);

  before(async () => {
    await ensureBusybox();
    assert.ok(
      fs.existsSync(path.join(SLIPWAY_HOME, "bin", "pulumi")),
      "the engine is missing: run scripts/bootstrap-engine.sh",
    );
    twin = makeTwin(
      {
        namespace: NAMESPACE,
        prefix: "e2e",
        edge: EDGE,
        httpPort: HTTP_PORT,
        httpsPort: HTTPS_PORT,
      },
      "e2e: release r1",
    );
    work = twin.dir;
    local = await twin.stack("local");
    // The promote-role stack exists before its first promotion, as prod does on a real backend.
    await twin.stack("local-prod");
  });

  /** `pulumi destroy` of a stack of the copy, as a person would run it. */
  const destroy = (stack: string) => pulumiDestroy(stack, work, twin.env);

  after(async () => {
    if (work !== undefined) {
      // Best effort when a test failed half-way; the last test checks destroy itself.
      for (const stack of ["local-prod", "local"]) {
        await destroy(stack);
      }
      twin.remove();
    }
    steps.print(46);
  });

  it("first pulumi up builds both platforms, pushes, deploys and exports digests and refs", async () => {
    const result = await timed("pulumi up --stack local (first)", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(Object.keys(changes(result)), ["create"]);
    const images = result.outputs.images!.value as Record<
      string,
      { ref: string; digest: string; platforms: string[] }
    >;
    assert.match(
      images.web!.ref,
      new RegExp(`^127\\.0\\.0\\.1:5000/${NAMESPACE}/web@sha256:[0-9a-f]{64}$`),
    );
    assert.deepEqual(images.web!.platforms, ["linux/amd64", "linux/arm64"]);
    const index = await getManifest(`${NAMESPACE}/web`, images.web!.digest);
    assert.deepEqual(
      (index.body.manifests ?? [])
        .filter((m) => m.platform?.os === "linux")
        .map((m) => `${m.platform!.os}/${m.platform!.architecture}`)
        .sort(),
      ["linux/amd64", "linux/arm64"],
    );
    // The api runs two replicas (e2e-api and e2e-api.2), each health-gated.
    assert.equal(Object.keys(ids("e2e-api.2-")).length, 1, "the second replica runs");
    assert.deepEqual(result.outputs.deployed!.value, {
      "e2e-api": { local: images.api!.ref },
      "e2e-worker": { local: images.api!.ref },
      "e2e-web": { local: images.web!.ref },
    });
    release1 = images.web!.digest;
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r1");
    assert.equal(await served(BUILD_HOST, "/healthz"), "ok");
    edgeId = caddyOf(EDGE);
    // HTTPS with a certificate from the edge's internal CA.
    const ca = path.join(work, "edge-root.crt");
    docker("cp", `${EDGE}:/data/caddy/pki/authorities/local/root.crt`, ca);
    const https = execFileSync(
      "curl",
      [
        "-sS",
        "--cacert",
        ca,
        "--resolve",
        `web.localhost:${HTTPS_PORT}:127.0.0.1`,
        `https://web.localhost:${HTTPS_PORT}/cgi-bin/version`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(https.trim(), "r1");
    // The api reads and writes PostgreSQL (an accessory, reached by name on the stack network).
    const created = await api(API_HOST, "POST", "/items", { name: "row-1" });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(await items(API_HOST), ["row-1"]);
    const beats = docker(
      "exec",
      "e2e-local-postgres",
      "psql",
      "-U",
      "slipway",
      "-d",
      "slipway",
      "-tAc",
      "select count(*) from worker_beats",
    );
    assert.equal(beats, "1", "the worker writes its heartbeat");
  });

  it("a second pulumi up reports no changes and runs no build or remote command", async () => {
    const result = await timed("pulumi up --stack local (no change)", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(Object.keys(changes(result)), ["same"]);
    assert.ok(
      !result.stdout.includes("building") && !/\bupdated\b|\bcreated\b/.test(result.stdout),
      result.stdout,
    );
  });

  it("slipway promote pins the local digests into local-prod and the host serves them", async () => {
    const promoted = await timed("slipway promote --from local --to local-prod", () =>
      slipway("promote", "--from", "local", "--to", "local-prod", "--json"),
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    const file = fs.readFileSync(path.join(work, "Pulumi.local-prod.yaml"), "utf8");
    assert.ok(file.includes(`digest: ${release1}`), file);
    assert.ok(file.includes("\n# local-prod: the promote-role twin"), "comments are kept");
    assert.equal(await served(twin.promoteHost, "/cgi-bin/version"), "r1");
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r1", "local keeps serving");
  });

  it("a second release of web only leaves api, worker and the accessories as they are, and is promoted", async () => {
    twin.edit("local", (doc) =>
      doc.setIn(["config", "slipway:images", "web", "build", "args", "APP_RELEASE"], "r2"),
    );
    twin.git("commit", "-q", "-am", "e2e: release r2");
    // local's api (two replicas), worker, postgres and redis; local-prod's api-prod and postgres.
    await retiresSettled(); // no replaced release of an earlier step still stopping
    const untouched = {
      ...ids("e2e-api-"),
      ...ids("e2e-api.2-"),
      ...ids("e2e-worker-"),
      ...ids("e2e-local-"),
    };
    assert.equal(Object.keys(untouched).length, 7, JSON.stringify(untouched));
    // The api is under load, fresh and keep-alive, while web is released.
    const { result, keepAlive, fresh } = await underLoad(
      HTTP_PORT,
      API_HOST,
      () =>
        timed("pulumi up --stack local (release r2)", () =>
          local.up({ onOutput: () => undefined }),
        ),
      4,
      "/healthz",
    );
    assert.equal(result.summary.result, "succeeded");
    assert.equal(keepAlive.failures + fresh.failures, 0, loadReport([keepAlive, fresh]));
    assert.ok(keepAlive.requests > 0 && fresh.requests > 0);
    const images = result.outputs.images!.value as Record<string, { digest: string }>;
    assert.notEqual(images.web!.digest, release1);
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r2");
    assert.equal(caddyOf(EDGE), edgeId, "a release of a new commit never restarts the edge");
    assert.deepEqual(
      { ...ids("e2e-api-"), ...ids("e2e-api.2-"), ...ids("e2e-worker-"), ...ids("e2e-local-") },
      untouched,
      "the api, the worker and the accessories keep their containers",
    );
    assert.deepEqual(await items(API_HOST), ["row-1"], "the data survives the release");
    const promoted = await timed("slipway promote (release r2)", () =>
      slipway("promote", "--from", "local", "--to", "local-prod"),
    );
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(await served(twin.promoteHost, "/cgi-bin/version"), "r2");
    assert.equal(caddyOf(EDGE), edgeId);
  });

  it("a release of the api alone (both replicas) drops no request on web or on the api", async () => {
    twin.edit("local", (doc) =>
      doc.setIn(["config", "slipway:images", "api", "build", "args"], { APP_RELEASE: "a2" }),
    );
    twin.git("commit", "-q", "-am", "e2e: api a2");
    await retiresSettled();
    const web = ids("e2e-web-");
    const accessories = ids("e2e-local-");
    // Both routed services under load at once (keep-alive and fresh each) during the release.
    const onApi = await underLoad(
      HTTP_PORT,
      API_HOST,
      () =>
        underLoad(
          HTTP_PORT,
          BUILD_HOST,
          () =>
            timed("pulumi up --stack local (api a2)", () =>
              local.up({ onOutput: () => undefined }),
            ),
          4,
          "/healthz",
        ),
      4,
      "/healthz",
    );
    const { result, keepAlive, fresh } = onApi.result;
    assert.equal(result.summary.result, "succeeded");
    assert.equal(keepAlive.failures + fresh.failures, 0, `web: ${loadReport([keepAlive, fresh])}`);
    assert.equal(
      onApi.keepAlive.failures + onApi.fresh.failures,
      0,
      `api: ${loadReport([onApi.keepAlive, onApi.fresh])}`,
    );
    assert.equal(JSON.parse((await api(API_HOST, "GET", "/version")).body).release, "a2");
    assert.deepEqual(ids("e2e-web-"), web, "web keeps its container");
    assert.deepEqual(ids("e2e-local-"), accessories, "the accessories keep theirs");
    // The new second replica, and the one it replaced while it stays warm for the rollback
    // window (kept only when the host has the memory for it).
    assert.ok(
      [1, 2].includes(Object.keys(ids("e2e-api.2-")).length),
      JSON.stringify(ids("e2e-api.2-")),
    );
    assert.deepEqual(await items(API_HOST), ["row-1"]);
  });

  it("slipway rollback --service with the registry down returns only web of local-prod to the first digest: the host still holds it", async () => {
    const created = await api(API_PROD_HOST, "POST", "/items", { name: "prod-row" });
    assert.equal(created.status, 201, created.body);
    await retiresSettled();
    const apiProd = ids("e2e-api-prod-");
    const down = await servicesDown(["registry"]);
    assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
    let rolledBack: Awaited<ReturnType<typeof slipway>>;
    try {
      const probe = await run("curl", ["-fsS", "-m", "2", `${REGISTRY_URL}/v2/`]);
      assert.notEqual(probe.code, 0, `the registry still answers: services.sh said ${down.stdout}`);
      rolledBack = await timed(
        "slipway rollback --stack local-prod --service e2e-web-prod (registry down)",
        () => slipway("rollback", "--stack", "local-prod", "--service", "e2e-web-prod"),
      );
      assert.equal(await served(twin.promoteHost, "/cgi-bin/version"), "r1");
    } finally {
      await servicesUp(["registry"]);
    }
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.ok(
      rolledBack.stderr.includes(
        `\nthe registry is unreachable, but every host that runs web still holds ${release1} (local): rolling back without a pull\n`,
      ),
      rolledBack.stderr,
    );
    const file = fs.readFileSync(path.join(work, "Pulumi.local-prod.yaml"), "utf8");
    assert.ok(file.includes(`digest: ${release1}`), file);
    assert.match(file, /\n {8}restores: 1\n {8}checkedOn: hosts\n/);
    assert.deepEqual(ids("e2e-api-prod-"), apiProd, "the api of local-prod is not touched");
    assert.deepEqual(await items(API_PROD_HOST), ["prod-row"]);
    assert.equal(
      await served(BUILD_HOST, "/cgi-bin/version"),
      "r2",
      "the build stack is untouched",
    );
  });

  it("data in PostgreSQL survives an accessory restart and a change of its definition, which restarts only it", async () => {
    docker("restart", "e2e-local-postgres");
    const ready = async () => {
      for (let i = 0; i < 60; i++) {
        if ((await api(API_HOST, "GET", "/readyz")).status === 200) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      assert.fail("the api did not see PostgreSQL again");
    };
    await ready();
    assert.deepEqual(await items(API_HOST), ["row-1"]);
    await retiresSettled();
    const before = ids("e2e-");
    twin.edit("local", (doc) =>
      doc.setIn(["config", "slipway:accessories", "postgres", "env", "TZ"], "UTC"),
    );
    const changed = await timed("pulumi up --stack local (postgres env)", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(changed.summary.result, "succeeded");
    const after = ids("e2e-");
    for (const [name, id] of Object.entries(before)) {
      if (name === "e2e-local-postgres") {
        assert.notEqual(after[name], id, "postgres restarts with its new definition");
      } else {
        assert.equal(after[name], id, `${name} is not restarted`);
      }
    }
    await ready();
    assert.deepEqual(await items(API_HOST), ["row-1"]);
  });

  it("history lists the three releases and status shows no drift", async () => {
    const history = await slipway("history", "--stack", "local-prod", "--json");
    assert.equal(history.code, 0, history.stderr);
    const ledger = JSON.parse(history.stdout) as {
      releases: { images: Record<string, { digest: string }> }[];
    };
    assert.deepEqual(
      ledger.releases.map((release) => release.images.web?.digest === release1),
      [true, false, true],
    );
    // The rollback of web alone keeps the api of release 2.
    assert.equal(ledger.releases[2]!.images.api?.digest, ledger.releases[1]!.images.api?.digest);
    const status = await slipway("status", "--stack", "local-prod");
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, /in sync/);
    const registry = await fetch(`${REGISTRY_URL}/v2/${NAMESPACE}/web/tags/list`);
    assert.equal(registry.status, 200);
  });

  it("an unreachable host or a wrong key fails the update, naming the host, and the release keeps serving", async () => {
    const hostPath = ["config", "slipway:hosts", 0];
    const original = fs.readFileSync(path.join(work, "Pulumi.local.yaml"), "utf8");

    twin.edit("local", (doc) => doc.setIn([...hostPath, "port"], 2299));
    const unreachable = await timed("pulumi up, host unreachable (fails)", () =>
      local.up({ onOutput: () => undefined }).then(
        () => assert.fail("the update succeeded against a closed port"),
        (error: Error) => error.message,
      ),
    );
    // What the real pulumi-command v1.2.1 and the stand-in both print: the resource on that
    // host and the dial's cause.
    assert.match(
      unreachable,
      /command:remote:Command \((e2e-[a-z-]+-local-(service|release)|e2e-edge-local-edge|(postgres|redis)-local-(run|container))\)/,
    );
    assert.match(unreachable, /dial tcp 127\.0\.0\.1:2299: connect: connection refused/);
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r2");

    const stranger = path.join(work, "stranger_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    fs.writeFileSync(path.join(work, "Pulumi.local.yaml"), original);
    twin.edit("local", (doc) => doc.setIn([...hostPath, "privateKeyFile"], stranger));
    const refused = await timed("pulumi up, wrong key (fails)", () =>
      local.up({ onOutput: () => undefined }).then(
        () => assert.fail("the update succeeded with a key the host does not know"),
        (error: Error) => error.message,
      ),
    );
    assert.match(
      refused,
      /command:remote:Command \((e2e-[a-z-]+-local-(service|release)|e2e-edge-local-edge|(postgres|redis)-local-(run|container))\)/,
    );
    assert.match(refused, /ssh: handshake failed: ssh: unable to authenticate/);
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r2");

    fs.writeFileSync(path.join(work, "Pulumi.local.yaml"), original);
    const recovered = await timed("pulumi up, host fixed", () =>
      local.up({ onOutput: () => undefined }),
    );
    assert.equal(recovered.summary.result, "succeeded");
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r2");
  });

  it("a release stopped by hand comes back by itself (the host's supervisor), and slipway status names the restart", async () => {
    const current = fs.readFileSync("/var/lib/slipway/e2e-web-prod/current", "utf8").trim();
    docker("stop", current);
    const deadline = Date.now() + 10_000;
    while (docker("container", "inspect", "--format", "{{.State.Running}}", current) !== "true") {
      assert.ok(Date.now() < deadline, `${current} is not running again 10 s after docker stop`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(await served(twin.promoteHost, "/cgi-bin/version"), "r1");
    const after = await slipway("status", "--stack", "local-prod");
    assert.equal(after.code, 0, `${after.stdout}\n${after.stderr}`);
    assert.match(
      after.stdout,
      new RegExp(
        `last restart: \\S+Z ${current} exited with code \\d+ at \\S+; the supervisor started it again`,
      ),
    );
  });

  it("pulumi up --replace of a host's service command, and renaming a service, end serving", async () => {
    const urn =
      "urn:pulumi:local::slipway::slipway:deploy:HostDeployment$command:remote:Command::e2e-web-local-service";
    const replaced = await timed("pulumi up --replace <service command>", () =>
      local.up({ onOutput: () => undefined, replace: [urn] }),
    );
    assert.equal(replaced.summary.result, "succeeded");
    assert.equal(await served(BUILD_HOST, "/cgi-bin/version"), "r2");

    twin.edit("local-prod", (doc) => {
      const services = doc.getIn(["config", "slipway:services"]) as {
        items: { key: { value: string } }[];
      };
      services.items.find((item) => item.key.value === "e2e-web-prod")!.key.value =
        "e2e-web-prod-renamed";
    });
    const prod = await twin.stack("local-prod");
    const renamed = await timed("pulumi up --stack local-prod (service renamed)", () =>
      prod.up({ onOutput: () => undefined }),
    );
    assert.equal(renamed.summary.result, "succeeded");
    assert.equal(await served(twin.promoteHost, "/cgi-bin/version"), "r1");
    assert.deepEqual(
      (await containerNames("e2e-web-prod-")).filter(
        (name) => !name.startsWith("e2e-web-prod-renamed"),
      ),
      [],
      "the old name's releases are gone",
    );
  });

  it("pulumi destroy stops each service cleanly and leaves no container behind", async () => {
    for (const stack of ["local-prod", "local"]) {
      const destroyed = await timed(`pulumi destroy --stack ${stack}`, () => destroy(stack));
      assert.equal(destroyed.code, 0, `${destroyed.stdout}\n${destroyed.stderr}`);
    }
    assert.deepEqual(await containerNames("e2e-web"), []);
    assert.deepEqual(await containerNames("e2e-api"), []);
    assert.deepEqual(await containerNames("e2e-worker"), []);
    assert.deepEqual(await containerNames("e2e-local"), [], "the accessories are removed");
    assert.deepEqual(await containerNames(EDGE), [], "the edge goes with the last route");
    // Their volumes stay (deleteVolumesOnDestroy is off); this test removes them itself.
    const volumes = docker("volume", "ls", "--quiet", "--filter", "name=^e2e-local");
    assert.deepEqual(volumes.split("\n").sort(), [
      "e2e-local-postgres-data",
      "e2e-local-prod-postgres-data",
      "e2e-local-redis-data",
    ]);
    docker("volume", "rm", ...volumes.split("\n"));
  });
});

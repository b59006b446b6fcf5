/**
 * The Kubernetes target end to end, on the one-node cluster this machine runs (started by
 * scripts/services.sh up cluster: etcd, kube-apiserver, controller-manager, scheduler,
 * kubelet, kube-proxy built here, a CRI containerd of its own), with the real Pulumi engine and
 * the pulumi-kubernetes provider built from Go modules: `pulumi up` of local-k8s; a second
 * release under a request loop through the NodePort on 127.0.0.1 with no failed request;
 * `slipway promote` and `slipway rollback` on local-k8s-prod; `slipway status` reading the
 * pods' image IDs; an unready release rolled back automatically, the update failing with the
 * pod's cause; a secret env value only in a Secret (never in the output or the state in plain
 * text); `pulumi destroy` leaving no namespace, pod or Service behind.
 *
 * Runs in a twin of the project (test/helpers/twin.ts) with its own backend, registry
 * namespace, Kubernetes namespaces and NodePorts, with the stacks cut down to web alone
 * behind a NodePort (webOnly: the checked-in stacks are the local service set).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { load, sleep } from "../helpers/load";
import {
  SERVICES_SH,
  SLIPWAY_HOME,
  STATE_DIR,
  ensureBusybox,
  run,
  useServices,
} from "../helpers/services";
import { timings } from "../helpers/timings";
import { makeTwin, webOnly, type Twin } from "../helpers/twin";

const REGISTRY_NAMESPACE = "slipway-e2e-k8s";
const BUILD_NAMESPACE = "e2e-k8s";
const PROMOTE_NAMESPACE = "e2e-k8s-prod";
const BUILD_PORT = 30090;
const PROMOTE_PORT = 30091;
const KUBECONFIG = path.join(STATE_DIR, "cluster", "admin.kubeconfig");
const SECRET_VALUE = `e2e-secret-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

function kubectl(...args: string[]): string {
  return execFileSync("kubectl", ["--kubeconfig", KUBECONFIG, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** `kubectl -n <namespace> get <kind> <name> -o jsonpath=<path>`: one field of one object. */
function field(namespace: string, kind: string, name: string, jsonpath: string): string {
  return kubectl("-n", namespace, "get", kind, name, "-o", `jsonpath=${jsonpath}`);
}

/** The body of GET 127.0.0.1:<port><path>, or why it failed. */
function served(port: number, pathname = "/cgi-bin/version"): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path: pathname, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(body.trim())
          : reject(new Error(`GET :${port}${pathname}: HTTP ${res.statusCode} ${body}`)),
      );
    });
    request.on("timeout", () => request.destroy(new Error(`GET :${port}${pathname} timed out`)));
    request.on("error", reject);
  });
}

/**
 * What the NodePort answers once the rollout settled: an update completes when the new
 * ReplicaSet is ready, while the old pods still drain (their preStop sleep of drainSeconds)
 * and kube-proxy drops them from its rules; so five answers in a row, within 20 s.
 */
async function settled(port: number, expected: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  let streak = 0;
  let last = "";
  while (Date.now() < deadline) {
    last = await served(port).catch((error: Error) => error.message);
    streak = last === expected ? streak + 1 : 0;
    if (streak === 5) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return last;
}

/** The digests the live pods of a Deployment really run (their containers' imageIDs). */
function runningDigests(namespace: string): string[] {
  const pods = JSON.parse(
    kubectl("-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=web", "-o", "json"),
  ) as {
    items: {
      metadata: { deletionTimestamp?: string };
      status?: { containerStatuses?: { imageID?: string }[] };
    }[];
  };
  const ids = pods.items
    .filter((pod) => pod.metadata.deletionTimestamp === undefined)
    .map((pod) => pod.status?.containerStatuses?.[0]?.imageID ?? "(none)");
  return [...new Set(ids.map((id) => id.slice(id.indexOf("@") + 1)))].sort();
}

const steps = timings();
const timed = steps.timed.bind(steps);

describe("the Kubernetes target end to end on the local cluster", function () {
  this.timeout(1_800_000);
  useServices(["docker", "registry", "binfmt", "buildkitd", "cluster"]);

  let twin: Twin;
  let build: Stack;
  let release1: string;
  let release2: string;
  const slipway = (...args: string[]) => twin.slipway(...args);
  const release = (id: string, health?: string) =>
    twin.edit("local-k8s", (doc) =>
      doc.setIn(
        ["config", "slipway:images", "web", "build", "args"],
        health === undefined ? { APP_RELEASE: id } : { APP_RELEASE: id, HEALTH: health },
      ),
    );

  before(async () => {
    await ensureBusybox();
    for (const bin of ["pulumi", "pulumi-resource-kubernetes"]) {
      assert.ok(
        fs.existsSync(path.join(SLIPWAY_HOME, "bin", bin)),
        `${bin} is missing: run scripts/bootstrap-engine.sh`,
      );
    }
    twin = makeTwin(
      {
        namespace: "slipway-e2e-k8s-ssh",
        prefix: "e2e-k8s",
        edge: "e2e-k8s-edge",
        httpPort: 28280,
        httpsPort: 28643,
      },
      "e2e-k8s: twin",
    );
    for (const [stack, namespace, port] of [
      ["local-k8s", BUILD_NAMESPACE, BUILD_PORT],
      ["local-k8s-prod", PROMOTE_NAMESPACE, PROMOTE_PORT],
    ] as const) {
      twin.edit(stack, (doc) => {
        webOnly(doc, stack === "local-k8s" ? undefined : "web");
        doc.setIn(["config", "slipway:registry", "namespace"], REGISTRY_NAMESPACE);
        doc.setIn(["config", "slipway:kubernetes", "namespace"], namespace);
        doc.setIn(["config", "slipway:kubernetes", "nodePort"], port);
      });
    }
    release("r1");
    twin.git("commit", "-qam", "e2e-k8s: release r1");
    build = await twin.stack("local-k8s");
    // A secret env value, given on stdin (never on a command line).
    execFileSync(
      "bash",
      [
        "-c",
        ". scripts/pulumi-env.sh && pulumi config set --secret --path 'slipway:services.web.secretEnv.API_TOKEN' --stack local-k8s",
      ],
      {
        cwd: twin.dir,
        env: { ...process.env, ...twin.env },
        input: SECRET_VALUE,
        stdio: ["pipe", "ignore", "inherit"],
      },
    );
    await twin.stack("local-k8s-prod");
  });

  function destroy(stack: string) {
    return run(
      "bash",
      ["-c", `. scripts/pulumi-env.sh && pulumi destroy --stack ${stack} --yes --non-interactive`],
      { cwd: twin.dir, env: { ...process.env, ...twin.env }, timeoutMs: 600_000 },
    );
  }

  after(async () => {
    if (twin !== undefined) {
      for (const stack of ["local-k8s-prod", "local-k8s"]) {
        await destroy(stack);
      }
      twin.remove();
    }
    steps.print(52);
  });

  it("the cluster comes from the project's scripts: up is idempotent, status is one line", async () => {
    const again = await run(SERVICES_SH, ["up", "cluster"], { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /^cluster: already running \(node slipway Ready, kubeconfig .*admin\.kubeconfig\)\n$/,
    );
    const status = await run(SERVICES_SH, ["status", "cluster"], { timeoutMs: 60_000 });
    assert.match(
      status.stdout,
      /^cluster: running \(Kubernetes v1\.34\.4, node slipway Ready, https:\/\/127\.0\.0\.1:16443, /,
    );
    assert.equal(
      kubectl("get", "node", "slipway", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"),
      "v1.34.4",
    );
  });

  it("pulumi up of local-k8s builds, pushes and runs two pods pinned by digest behind the NodePort", async () => {
    const result = await timed("pulumi up --stack local-k8s (first)", () =>
      build.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    const images = result.outputs.images!.value as Record<string, { ref: string; digest: string }>;
    release1 = images.web!.digest;
    assert.match(
      images.web!.ref,
      new RegExp(`^127\\.0\\.0\\.1:5000/${REGISTRY_NAMESPACE}/web@sha256:[0-9a-f]{64}$`),
    );
    assert.deepEqual(result.outputs.deployed!.value, {
      web: { [BUILD_NAMESPACE]: images.web!.ref },
    });
    assert.deepEqual(result.outputs.kubernetes!.value, {
      namespace: BUILD_NAMESPACE,
      deployments: ["web"],
      statefulSets: [],
      claims: [],
      nodePort: BUILD_PORT,
    });
    assert.equal(
      field(BUILD_NAMESPACE, "deployment", "web", "{.spec.template.spec.containers[0].image}"),
      images.web!.ref,
    );
    assert.equal(field(BUILD_NAMESPACE, "deployment", "web", "{.status.readyReplicas}"), "2");
    assert.deepEqual(runningDigests(BUILD_NAMESPACE), [release1]);
    assert.equal(await served(BUILD_PORT), "r1");
    assert.equal(await served(BUILD_PORT, "/healthz"), "ok");
    // The secret env reaches the pods only through a Secret; the Deployment names it, the
    // update's output and the stack's state never hold the value in plain text.
    const env = JSON.parse(
      field(BUILD_NAMESPACE, "deployment", "web", "{.spec.template.spec.containers[0].env}"),
    ) as {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef: { name: string; key: string } };
    }[];
    const ref = env.find((entry) => entry.name === "API_TOKEN")?.valueFrom?.secretKeyRef;
    assert.ok(
      ref !== undefined && ref.key === "API_TOKEN" && ref.name.startsWith("web-env-"),
      JSON.stringify(env),
    );
    assert.equal(
      Buffer.from(
        field(BUILD_NAMESPACE, "secret", ref.name, "{.data.API_TOKEN}"),
        "base64",
      ).toString(),
      SECRET_VALUE,
    );
    assert.ok(!result.stdout.includes(SECRET_VALUE), "the update's output shows the secret");
    const state = twin.shell("pulumi stack export --stack local-k8s");
    assert.equal(state.code, 0, state.output);
    assert.ok(!state.output.includes(SECRET_VALUE), "the state holds the secret in plain text");
    assert.ok(!JSON.stringify(result.outputs).includes(SECRET_VALUE), "an output shows the secret");
    const status = await slipway("status", "--stack", "local-k8s");
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.equal(status.stdout.match(/^web\s+pod\/web-\S+\s+in sync/gm)?.length, 2, status.stdout);
  });

  it("slipway promote pins that digest into local-k8s-prod, which runs it in its own namespace", async () => {
    const promoted = await timed("slipway promote --from local-k8s --to local-k8s-prod (r1)", () =>
      slipway("promote", "--from", "local-k8s", "--to", "local-k8s-prod"),
    );
    assert.equal(promoted.code, 0, `${promoted.stdout}\n${promoted.stderr}`);
    const file = fs.readFileSync(path.join(twin.dir, "Pulumi.local-k8s-prod.yaml"), "utf8");
    assert.ok(file.includes(`digest: ${release1}`), file);
    assert.equal(await settled(PROMOTE_PORT, "r1"), "r1");
    assert.deepEqual(runningDigests(PROMOTE_NAMESPACE), [release1]);
  });

  it("a second release rolls out under a request loop with no failed request", async () => {
    release("r2");
    twin.git("commit", "-qam", "e2e-k8s: release r2");
    const keepAlive = load(BUILD_PORT, "e2e.slipway.invalid", "/cgi-bin/version", true, 4);
    const fresh = load(BUILD_PORT, "e2e.slipway.invalid", "/cgi-bin/version", false, 2);
    await sleep(1000);
    const result = await timed("pulumi up --stack local-k8s (release r2, under load)", () =>
      build.up({ onOutput: () => undefined }),
    );
    await sleep(1500);
    const [alive, opened] = [await keepAlive.stop(), await fresh.stop()];
    assert.equal(result.summary.result, "succeeded");
    release2 = (result.outputs.images!.value as Record<string, { digest: string }>).web!.digest;
    assert.notEqual(release2, release1);
    for (const [kind, count] of [
      ["keep-alive", alive],
      ["fresh", opened],
    ] as const) {
      assert.equal(
        count.failures,
        0,
        `${kind}: ${count.failures} of ${count.requests} failed: ${count.errors.join("; ")}`,
      );
      assert.ok(count.requests > 50, `${kind}: only ${count.requests} requests`);
      assert.ok(
        (count.bodies.r2 ?? 0) > 0,
        `${kind}: never saw r2: ${JSON.stringify(count.bodies)}`,
      );
    }
    console.log(
      `      release r2: keep-alive ${alive.failures}/${alive.requests} failed, fresh ${opened.failures}/${opened.requests} failed`,
    );
    assert.equal(await served(BUILD_PORT), "r2");
    assert.deepEqual(runningDigests(BUILD_NAMESPACE), [release2]);
  });

  it("slipway promote of the second release, then slipway rollback to the first; history lists the three", async () => {
    const promoted = await timed("slipway promote (r2)", () =>
      slipway("promote", "--from", "local-k8s", "--to", "local-k8s-prod"),
    );
    assert.equal(promoted.code, 0, `${promoted.stdout}\n${promoted.stderr}`);
    assert.equal(await settled(PROMOTE_PORT, "r2"), "r2");
    const rolledBack = await timed("slipway rollback --stack local-k8s-prod", () =>
      slipway("rollback", "--stack", "local-k8s-prod"),
    );
    assert.equal(rolledBack.code, 0, `${rolledBack.stdout}\n${rolledBack.stderr}`);
    const file = fs.readFileSync(path.join(twin.dir, "Pulumi.local-k8s-prod.yaml"), "utf8");
    assert.ok(file.includes(`digest: ${release1}`), file);
    assert.equal(await settled(PROMOTE_PORT, "r1"), "r1");
    assert.deepEqual(runningDigests(PROMOTE_NAMESPACE), [release1]);
    assert.equal(await served(BUILD_PORT), "r2", "the build stack is untouched");
    const status = await slipway("status", "--stack", "local-k8s-prod");
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, /every pod runs what local-k8s-prod pins/);
    const history = await slipway("history", "--stack", "local-k8s-prod", "--json");
    assert.equal(history.code, 0, history.stderr);
    const ledger = JSON.parse(history.stdout) as {
      releases: { kind: string; images: Record<string, { digest: string }> }[];
    };
    assert.deepEqual(
      ledger.releases.map((entry) => [entry.kind, entry.images.web?.digest]),
      [
        ["promote", release1],
        ["promote", release2],
        ["rollback", release1],
      ],
    );
  });

  it("an unready release is rolled back automatically and the update fails naming the pod's cause", async () => {
    release("r3", "broken");
    twin.git("commit", "-qam", "e2e-k8s: release r3 (broken health)");
    const keepAlive = load(BUILD_PORT, "e2e.slipway.invalid", "/cgi-bin/version", true, 2);
    const failure = await timed("pulumi up, unready release (fails, reverted)", () =>
      build.up({ onOutput: () => undefined }).then(
        () => assert.fail("the update succeeded with a release whose health check fails"),
        (error: Error) => error.message,
      ),
    );
    const alive = await keepAlive.stop();
    assert.match(
      failure,
      new RegExp(
        `${BUILD_NAMESPACE}/web: the release 127\\.0\\.0\\.1:5000/${REGISTRY_NAMESPACE}/web@sha256:[0-9a-f]{64} was not ready within 30 s; ` +
          `rolled back to 127\\.0\\.0\\.1:5000/${REGISTRY_NAMESPACE}/web@${release2} \\(revision \\d+\\)\\. ` +
          `Cause: pod web-[a-z0-9]+-[a-z0-9]+: Unhealthy: (Startup|Readiness) probe failed: HTTP probe failed with statuscode: 404`,
      ),
    );
    assert.equal(
      alive.failures,
      0,
      `${alive.failures} of ${alive.requests} failed: ${alive.errors.join("; ")}`,
    );
    assert.equal(await served(BUILD_PORT), "r2");
    // The revert's new ReplicaSet generation settles within a few seconds.
    for (let i = 0; i < 30 && runningDigests(BUILD_NAMESPACE).length !== 1; i++) {
      await sleep(1000);
    }
    assert.deepEqual(runningDigests(BUILD_NAMESPACE), [release2]);

    release("r2");
    twin.git("commit", "-qam", "e2e-k8s: back to r2");
  });

  it("pulumi destroy leaves no namespace, pod or Service behind", async () => {
    for (const stack of ["local-k8s-prod", "local-k8s"]) {
      const destroyed = await timed(`pulumi destroy --stack ${stack}`, () => destroy(stack));
      assert.equal(destroyed.code, 0, `${destroyed.stdout}\n${destroyed.stderr}`);
    }
    const namespaces = kubectl(
      "get",
      "namespaces",
      "-o",
      "jsonpath={.items[*].metadata.name}",
    ).split(" ");
    for (const namespace of [BUILD_NAMESPACE, PROMOTE_NAMESPACE]) {
      // Deleting a namespace finishes in the background: wait until it is gone.
      for (
        let i = 0;
        i < 60 && kubectl("get", "namespaces", "-o", "name").includes(`namespace/${namespace}`);
        i++
      ) {
        await sleep(1000);
      }
      assert.ok(
        !kubectl("get", "namespaces", "-o", "name").includes(`namespace/${namespace}`),
        namespaces.join(" "),
      );
    }
    // Nothing of the two stacks anywhere else either (other namespaces are not ours to check).
    const left = kubectl(
      "get",
      "pods,services,deployments,poddisruptionbudgets,secrets",
      "-A",
      "-o",
      "jsonpath={range .items[*]}{.metadata.namespace}{' '}{end}",
    );
    assert.deepEqual(
      left.split(" ").filter((ns) => ns === BUILD_NAMESPACE || ns === PROMOTE_NAMESPACE),
      [],
    );
  });
});

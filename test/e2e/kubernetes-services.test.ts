/**
 * The local stack's whole service set on the local cluster (scripts/services.sh up cluster),
 * with the real engine: `local-k8s` of a twin of the project gets `slipway:services` and
 * `slipway:accessories` of Pulumi.local.yaml unchanged (but for `redirect`, the edge's, and
 * PostgreSQL's containerPort and memory) and `slipway:target: kubernetes`. Then: every workload comes up
 * (PostgreSQL and Redis as StatefulSets on claims of the cluster's host-path StorageClass);
 * the api writes and reads PostgreSQL by `postgres:5432` (through the API server's service
 * proxy: the local cluster has no ingress controller yet); a release of web alone leaves the
 * api, worker and accessory pods untouched (same UIDs); a row survives that release and a
 * deleted PostgreSQL pod; destroy keeps the volumes' claims and their namespace.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";
import { REPO_ROOT, STATE_DIR, run, useServices } from "../helpers/services";
import { timings } from "../helpers/timings";
import { makeTwin, type Twin } from "../helpers/twin";

const NAMESPACE = "e2e-k8s-services";
const KUBECONFIG = path.join(STATE_DIR, "cluster", "admin.kubeconfig");

function kubectl(...args: string[]): string {
  return execFileSync("kubectl", ["--kubeconfig", KUBECONFIG, "-n", NAMESPACE, ...args], {
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  }).trim();
}

/** A request to the api Service through the API server's service proxy. */
function api(method: "GET" | "POST", pathname: string, body?: string): string {
  const raw = `/api/v1/namespaces/${NAMESPACE}/services/api:http/proxy${pathname}`;
  if (method === "GET") {
    return kubectl("get", "--raw", raw);
  }
  return execFileSync("kubectl", ["--kubeconfig", KUBECONFIG, "create", "--raw", raw, "-f", "-"], {
    encoding: "utf8",
    input: body,
  }).trim();
}

/** Pod UIDs by workload (`app.kubernetes.io/name`), of the pods not terminating. */
function podUids(): Record<string, string[]> {
  const pods = JSON.parse(kubectl("get", "pods", "-o", "json")) as {
    items: {
      metadata: { uid: string; labels: Record<string, string>; deletionTimestamp?: string };
    }[];
  };
  const out: Record<string, string[]> = {};
  for (const pod of pods.items.filter((p) => p.metadata.deletionTimestamp === undefined)) {
    const name = pod.metadata.labels["app.kubernetes.io/name"]!;
    (out[name] ??= []).push(pod.metadata.uid);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.sort()]));
}

async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`${what} not within ${seconds} s: ${String(last)}`);
}

const steps = timings();

describe("the local service set on the local cluster", function () {
  this.timeout(1_800_000);
  useServices(["docker", "registry", "binfmt", "buildkitd", "cluster"]);

  let twin: Twin;
  let stack: Stack;
  const webRelease = (id: string) =>
    twin.edit("local-k8s", (doc) =>
      doc.setIn(["config", "slipway:images", "web", "build", "args"], { APP_RELEASE: id }),
    );

  before(async () => {
    twin = makeTwin(
      {
        namespace: "slipway-e2e-k8s-svc-ssh",
        prefix: "e2e-k8s-svc",
        edge: "e2e-k8s-svc-edge",
        httpPort: 28380,
        httpsPort: 28743,
      },
      "e2e-k8s-services: twin",
    );
    const local = parseDocument(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8"));
    twin.edit("local-k8s", (doc) => {
      doc.setIn(["config", "slipway:registry", "namespace"], "slipway-e2e-k8s-svc");
      for (const image of ["web", "api", "postgres", "redis"]) {
        doc.setIn(
          ["config", "slipway:images", image],
          local.getIn(["config", "slipway:images", image]),
        );
        // The cluster's node is amd64.
        doc.setIn(["config", "slipway:images", image, "build", "platforms"], ["linux/amd64"]);
      }
      doc.deleteIn(["config", "slipway:service"]);
      doc.setIn(["config", "slipway:services"], local.getIn(["config", "slipway:services"]));
      // The edge's redirect setting: the first route of each.
      for (const name of ["api", "web"]) {
        doc.deleteIn(["config", "slipway:services", name, "routes", 0, "redirect"]);
      }
      doc.setIn(["config", "slipway:accessories"], local.getIn(["config", "slipway:accessories"]));
      doc.setIn(["config", "slipway:accessories", "postgres", "ports"], [{ containerPort: 5432 }]);
      // local-k8s gives every pod 32Mi; PostgreSQL's shared buffers alone are 128 MB.
      doc.setIn(["config", "slipway:accessories", "postgres", "memory"], "256m");
      doc.setIn(["config", "slipway:kubernetes", "namespace"], NAMESPACE);
      doc.deleteIn(["config", "slipway:kubernetes", "nodePort"]);
      doc.setIn(["config", "slipway:kubernetes", "ingressClassName"], "caddy");
    });
    webRelease("r1");
    twin.git("commit", "-qam", "e2e-k8s-services: the service set, release r1");
    stack = await twin.stack("local-k8s");
  });

  after(async () => {
    if (twin !== undefined) {
      await run(
        "bash",
        [
          "-c",
          ". scripts/pulumi-env.sh && pulumi destroy --stack local-k8s --yes --non-interactive",
        ],
        { cwd: twin.dir, env: { ...process.env, ...twin.env }, timeoutMs: 600_000 },
      );
      execFileSync("kubectl", [
        "--kubeconfig",
        KUBECONFIG,
        "delete",
        "namespace",
        NAMESPACE,
        "--ignore-not-found",
        "--wait=false",
      ]);
      twin.remove();
    }
    steps.print(52);
  });

  it("comes up: accessories on bound claims, then api, worker and web in that order", async () => {
    const result = await steps.timed("pulumi up (service set, first)", () =>
      stack.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(result.outputs.kubernetes!.value, {
      namespace: NAMESPACE,
      deployments: ["api", "worker", "web"],
      statefulSets: ["postgres", "redis"],
      claims: ["postgres-data", "redis-data"],
      nodePort: null,
    });
    assert.equal(kubectl("get", "pvc", "-o", "jsonpath={.items[*].status.phase}"), "Bound Bound");
    assert.equal(
      kubectl("get", "services", "-o", "jsonpath={.items[*].metadata.name}"),
      "api postgres redis web",
    );
    assert.equal(kubectl("get", "ingress", "-o", "jsonpath={.items[*].metadata.name}"), "api web");
    assert.equal(
      kubectl("get", "ingress", "api", "-o", "jsonpath={.spec.rules[0].host}"),
      "api.localhost",
    );
    const uids = podUids();
    assert.deepEqual(
      Object.fromEntries(Object.entries(uids).map(([name, list]) => [name, list.length])),
      { api: 2, postgres: 1, redis: 1, web: 2, worker: 2 },
    );
    // Rolled out in order: each Deployment created after the previous one was ready.
    const created = (name: string) =>
      Date.parse(
        kubectl("get", "deployment", name, "-o", "jsonpath={.metadata.creationTimestamp}"),
      );
    assert.ok(created("api") <= created("worker") && created("worker") <= created("web"));
  });

  it("the api writes and reads PostgreSQL by its name; a web-only release touches no other pod; the row survives it and a deleted PostgreSQL pod", async () => {
    const name = `row-${Date.now().toString(36)}`;
    const added = JSON.parse(api("POST", "/items", JSON.stringify({ name }))) as { id: number };
    const names = () => (JSON.parse(api("GET", "/items")) as { name: string }[]).map((i) => i.name);
    assert.ok(names().includes(name));
    const before = podUids();

    webRelease("r2");
    twin.git("commit", "-qam", "e2e-k8s-services: release r2 of web");
    const result = await steps.timed("pulumi up (web only)", () =>
      stack.up({ onOutput: () => undefined }),
    );
    assert.equal(result.summary.result, "succeeded");
    const after = podUids();
    for (const untouched of ["api", "worker", "postgres", "redis"]) {
      assert.deepEqual(after[untouched], before[untouched], untouched);
    }
    assert.equal(after.web!.length, 2);
    assert.equal(after.web!.filter((uid) => before.web!.includes(uid)).length, 0);
    assert.ok(names().includes(name));

    kubectl("delete", "pod", "postgres-0", "--wait=true");
    await steps.timed("postgres pod back, api ready", () =>
      until("the api ready again", 180, () =>
        api("GET", "/readyz").includes("ready") && names().includes(name) ? true : undefined,
      ),
    );
    assert.notDeepEqual(podUids().postgres, before.postgres);
    assert.ok(added.id > 0);
  });

  it("destroy keeps the accessories' claims and their namespace", async () => {
    const destroyed = await stack.destroy({ onOutput: () => undefined });
    assert.equal(destroyed.summary.result, "succeeded");
    assert.equal(
      kubectl("get", "pvc", "-o", "jsonpath={.items[*].metadata.name}"),
      "postgres-data redis-data",
    );
    assert.equal(kubectl("get", "deployments,statefulsets", "-o", "name"), "");
  });
});

import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Secret, validateConfig } from "../../../src/config";
import { probeAccessoryPods, probePods } from "../../../src/cli/kube-status";

const DIGEST = `sha256:${"5a".repeat(32)}`;
const OTHER = `sha256:${"6b".repeat(32)}`;
const REF = `127.0.0.1:5000/slipway-k8s/web@${DIGEST}`;

/** A fake API server answering the pod list of namespace ns with `pods`. */
async function fakeApi(
  pods: unknown[],
): Promise<{ url: string; seen: string[]; close: () => void }> {
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    seen.push(`${request.headers.authorization} ${request.url}`);
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ items: pods }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => server.close(),
  };
}

function config(server: string) {
  const kubeconfig = [
    "apiVersion: v1",
    "current-context: c",
    `clusters: [{name: k, cluster: {server: "${server}"}}]`,
    "users: [{name: u, user: {token: t0ken}}]",
    "contexts: [{name: c, context: {cluster: k, user: u}}]",
  ].join("\n");
  return validateConfig("dev", {
    registry: { server: "127.0.0.1:5000", namespace: "slipway-k8s", insecure: true },
    images: { web: { pin: { digest: DIGEST } } },
    role: "promote",
    target: "kubernetes",
    kubernetes: { kubeconfig: new Secret(kubeconfig), namespace: "ns" },
    services: { web: { routes: [{}] } },
  });
}

const pod = (name: string, imageID: string | undefined, ready: boolean) => ({
  metadata: { name },
  spec: { containers: [{ name: "web", image: REF }] },
  status: { containerStatuses: [{ name: "web", ready, ...(imageID ? { imageID } : {}) }] },
});

describe("slipway status on a Kubernetes target: the pods' image IDs against the pin", () => {
  it("lists each pod: in sync, on another digest, not ready or still pulling", async () => {
    const api = await fakeApi([
      pod("web-b", `127.0.0.1:5000/slipway-k8s/web@${OTHER}`, true),
      pod("web-a", REF, true),
      pod("web-c", REF, false),
      pod("web-d", undefined, false),
    ]);
    try {
      assert.deepEqual(await probePods(config(api.url), { name: "web" }, DIGEST), [
        { host: "pod/web-a", state: "in-sync", running: DIGEST },
        { host: "pod/web-b", state: "drift", running: OTHER, error: "runs sha256:6b6b6b6b6b6b" },
        { host: "pod/web-c", state: "drift", running: DIGEST, error: "not ready" },
        { host: "pod/web-d", state: "drift", error: "no image running yet; not ready" },
      ]);
      assert.deepEqual(api.seen, [
        "Bearer t0ken /api/v1/namespaces/ns/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb",
      ]);
    } finally {
      api.close();
    }
  });

  it("is NO RELEASE without pods and UNREACHABLE when the API does not answer", async () => {
    const api = await fakeApi([]);
    try {
      assert.deepEqual(await probePods(config(api.url), { name: "web" }, DIGEST), [
        { host: "ns/web", state: "no-release" },
      ]);
    } finally {
      api.close();
    }
    const [down] = await probePods(config("http://127.0.0.1:9"), { name: "web" }, DIGEST);
    assert.equal(down?.state, "unreachable");
    assert.match(down?.error ?? "", /ECONNREFUSED/);
  });

  it("judges an accessory's StatefulSet pod: healthy, drift, missing, unreachable", async () => {
    const postgres = (imageID: string, ready: boolean) => ({
      metadata: { name: "postgres-0" },
      spec: { containers: [{ name: "postgres", image: REF }] },
      status: { containerStatuses: [{ name: "postgres", ready, imageID }] },
    });
    for (const [pods, expected] of [
      [
        [postgres(REF, true)],
        [{ accessory: "postgres", host: "pod/postgres-0", state: "healthy", running: DIGEST }],
      ],
      [
        [postgres(`127.0.0.1:5000/slipway-k8s/web@${OTHER}`, false)],
        [
          {
            accessory: "postgres",
            host: "pod/postgres-0",
            state: "drift",
            running: OTHER,
            error: "runs sha256:6b6b6b6b6b6b; not ready",
          },
        ],
      ],
      [[], [{ accessory: "postgres", host: "ns/postgres", state: "missing" }]],
    ] as const) {
      const api = await fakeApi([...pods]);
      try {
        assert.deepEqual(
          await probeAccessoryPods(config(api.url), { name: "postgres" }, DIGEST),
          expected,
        );
        assert.deepEqual(api.seen, [
          "Bearer t0ken /api/v1/namespaces/ns/pods?labelSelector=app.kubernetes.io%2Fname%3Dpostgres",
        ]);
      } finally {
        api.close();
      }
    }
    const [down] = await probeAccessoryPods(
      config("http://127.0.0.1:9"),
      { name: "postgres" },
      DIGEST,
    );
    assert.equal(down?.state, "unreachable");
  });
});

import { strict as assert } from "node:assert";
import {
  imageIdDigest,
  notReadyCause,
  podImages,
  podsOfImage,
  undoPatch,
  rolloutState,
  type PodView,
  type ReplicaSetView,
} from "../../../src/kubernetes";
import { revertMessage } from "../../../src/kubernetes/revert";
import { DIGEST_NEW, DIGEST_OLD, REF_NEW, REF_OLD } from "./fixtures";

function pod(name: string, image: string, status: PodView["status"] = {}): PodView {
  return { metadata: { name }, spec: { containers: [{ name: "web", image }] }, status };
}

function replicaSet(name: string, revision: number, image: string, owner = "web"): ReplicaSetView {
  return {
    metadata: {
      name,
      annotations: { "deployment.kubernetes.io/revision": String(revision) },
      ownerReferences: [{ kind: "Deployment", name: owner }],
    },
    spec: {
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "web", "pod-template-hash": name } },
        spec: { containers: [{ name: "web", image }] },
      },
    },
  };
}

describe("src/kubernetes: reading a rollout", () => {
  it("finds the new release's pods by image, leaving terminating ones out", () => {
    const terminating: PodView = {
      metadata: { name: "web-c", deletionTimestamp: "2026-01-01T00:00:00Z" },
      spec: { containers: [{ name: "web", image: REF_NEW }] },
    };
    const pods = [pod("web-a", REF_OLD), pod("web-b", REF_NEW), terminating];
    assert.deepEqual(
      podsOfImage(pods, REF_NEW).map((p) => p.metadata.name),
      ["web-b"],
    );
  });

  it("names a waiting container's reason and message", () => {
    const pulling = pod("web-b", REF_NEW, {
      containerStatuses: [
        {
          name: "web",
          ready: false,
          state: {
            waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image\n"x"' },
          },
        },
      ],
    });
    assert.equal(
      notReadyCause([pulling], []),
      'pod web-b: container web ImagePullBackOff: Back-off pulling image "x"',
    );
    const crashing = pod("web-b", REF_NEW, {
      containerStatuses: [
        {
          name: "web",
          ready: false,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } },
          lastState: { terminated: { reason: "Error", exitCode: 1 } },
        },
      ],
    });
    assert.equal(
      notReadyCause([crashing], []),
      "pod web-b: container web CrashLoopBackOff: back-off 10s (last exit: Error (code 1))",
    );
  });

  it("names the newest warning event of a running but unready pod (a failing readiness probe)", () => {
    const running = pod("web-b", REF_NEW, {
      phase: "Running",
      containerStatuses: [{ name: "web", ready: false, state: { running: {} } }],
    });
    const events = [
      {
        involvedObject: { name: "web-b" },
        type: "Warning",
        reason: "Unhealthy",
        message: "Readiness probe failed: HTTP probe failed with statuscode: 404",
        lastTimestamp: "2026-01-01T00:00:09Z",
      },
      {
        involvedObject: { name: "web-b" },
        type: "Warning",
        reason: "Unhealthy",
        message: "Startup probe failed: connection refused",
        lastTimestamp: "2026-01-01T00:00:01Z",
      },
      {
        involvedObject: { name: "web-a" },
        type: "Warning",
        reason: "Other",
        message: "not this pod",
        lastTimestamp: "2026-01-01T00:00:10Z",
      },
      {
        involvedObject: { name: "web-b" },
        type: "Normal",
        reason: "Pulled",
        message: "pulled",
        lastTimestamp: "2026-01-01T00:00:11Z",
      },
    ];
    assert.equal(
      notReadyCause([running], events),
      "pod web-b: Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404",
    );
    assert.equal(notReadyCause([running], []), "pod web-b: Running, not ready");
    assert.equal(notReadyCause([], []), "no pod of the release was created");
  });

  it("undoes to the ReplicaSet of the previous revision, without its pod-template-hash", () => {
    const sets = [
      replicaSet("web-1", 1, "ancient"),
      replicaSet("web-3", 3, REF_NEW),
      replicaSet("web-2", 2, REF_OLD),
      replicaSet("api-9", 9, "other", "api"),
    ];
    assert.deepEqual(undoPatch("web", sets), {
      revision: 2,
      patch: [
        {
          op: "replace",
          path: "/spec/template",
          value: {
            metadata: { labels: { "app.kubernetes.io/name": "web" } },
            spec: { containers: [{ name: "web", image: REF_OLD }] },
          },
        },
      ],
    });
    assert.equal(undoPatch("web", [replicaSet("web-1", 1, REF_NEW)]), undefined);
  });

  it("reads the digest a pod really runs from its imageID", () => {
    assert.equal(imageIdDigest(`127.0.0.1:5000/slipway-k8s/web@${DIGEST_NEW}`), DIGEST_NEW);
    assert.equal(imageIdDigest(`docker-pullable://x@${DIGEST_OLD}`), DIGEST_OLD);
    assert.equal(imageIdDigest(""), undefined);
    const pods = [
      pod("web-b", REF_NEW, {
        containerStatuses: [{ name: "web", ready: true, imageID: REF_OLD }],
      }),
      pod("web-a", REF_NEW, {
        containerStatuses: [{ name: "web", ready: true, imageID: REF_NEW }],
      }),
      pod("web-c", REF_NEW, { containerStatuses: [{ name: "web", ready: false }] }),
    ];
    assert.deepEqual(podImages(pods, "web", DIGEST_NEW), [
      { pod: "web-a", ready: true, running: DIGEST_NEW, matches: true },
      { pod: "web-b", ready: true, running: DIGEST_OLD, matches: false },
      { pod: "web-c", ready: false, matches: false },
    ]);
  });

  it("words the failed, reverted update", () => {
    const request = { namespace: "ns", name: "web", image: REF_NEW };
    assert.equal(
      revertMessage(request, 30, {
        cause: "pod web-b: Unhealthy: x",
        restoredRevision: 2,
        restoredImage: REF_OLD,
      }),
      `ns/web: the release ${REF_NEW} was not ready within 30 s; rolled back to ${REF_OLD} (revision 2). Cause: pod web-b: Unhealthy: x`,
    );
    assert.equal(
      revertMessage(request, 30, { cause: "c" }),
      `ns/web: the release ${REF_NEW} was not ready within 30 s; there is no previous release to return to. Cause: c`,
    );
  });

  it("judges a rollout as kubectl rollout status does", () => {
    const deployment = (image: string, status: Record<string, number>, generation = 2) => ({
      metadata: { generation },
      spec: { replicas: 2, template: { spec: { containers: [{ image }] } } },
      status,
    });
    const done = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    assert.equal(rolloutState(undefined, REF_NEW), "not-applied");
    assert.equal(rolloutState(deployment(REF_OLD, done), REF_NEW), "not-applied");
    assert.equal(rolloutState(deployment(REF_NEW, done), REF_NEW), "complete");
    assert.equal(rolloutState(deployment(REF_NEW, done, 3), REF_NEW), "progressing");
    assert.equal(
      rolloutState(deployment(REF_NEW, { ...done, replicas: 3 }), REF_NEW),
      "progressing",
    );
    assert.equal(
      rolloutState(deployment(REF_NEW, { ...done, availableReplicas: 1 }), REF_NEW),
      "progressing",
    );
  });
});

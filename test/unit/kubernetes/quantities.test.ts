import { strict as assert } from "node:assert";
import { memoryQuantity, workloadResources } from "../../../src/kubernetes";

describe("kubernetes: a workload's Docker-style limits as resources", () => {
  it("turns Docker memory sizes into binary Kubernetes quantities", () => {
    assert.deepEqual(["512m", "1g", "1.5G", "64k", "1048576b"].map(memoryQuantity), [
      "512Mi",
      "1Gi",
      "1.5Gi",
      "64Ki",
      "1048576",
    ]);
    assert.throws(() => memoryQuantity("lots"), /"lots" is not a memory size like 512m or 1g/);
  });

  it("takes the cluster defaults, or the workload's memory as request and limit and its cpus as the CPU limit", () => {
    const defaults = { cpu: "50m", memory: "64Mi" };
    assert.deepEqual(workloadResources({}, { ...defaults, cpuLimit: "1", memoryLimit: "96Mi" }), {
      cpu: { request: "50m", limit: "1" },
      memory: { request: "64Mi", limit: "96Mi" },
    });
    assert.deepEqual(workloadResources({ memory: "256m", cpus: 0.5 }, defaults), {
      cpu: { request: "50m", limit: "500m" },
      memory: { request: "256Mi", limit: "256Mi" },
    });
    // A request above the limit would be refused by the API: the limit is the request then.
    assert.deepEqual(workloadResources({ cpus: 0.02 }, defaults).cpu, {
      request: "20m",
      limit: "20m",
    });
  });
});

import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { rolloutGuardProvider } from "../../../infra/kubernetes/rollout-guard";
import { serializedProvider } from "../../helpers/dynamic";
import { REF_NEW } from "./fixtures";

/** A fake API server that answers one Deployment, complete at `image`. */
function fakeApi(image: string): Promise<{ url: string; paths: string[]; close: () => void }> {
  const paths: string[] = [];
  const server = http.createServer((request, response) => {
    paths.push(request.url ?? "");
    response.setHeader("content-type", "application/json");
    response.end(
      JSON.stringify({
        metadata: { generation: 1 },
        spec: { replicas: 2, template: { spec: { containers: [{ image }] } } },
        status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      }),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        paths,
        close: () => server.close(),
      }),
    ),
  );
}

describe("infra/kubernetes: the rollout guard as the dynamic-provider host runs it", function () {
  this.timeout(30_000);

  it("survives serialization and passes a complete rollout", async () => {
    const api = await fakeApi(REF_NEW);
    try {
      const provider = await serializedProvider(rolloutGuardProvider);
      const inputs = {
        namespace: "ns",
        name: "web",
        image: REF_NEW,
        timeoutSeconds: 5,
        endpoint: { server: api.url, token: "t0ken", insecure: false },
      };
      const created = await provider.create(inputs);
      assert.equal(created.id, "ns/web");
      assert.deepEqual(api.paths, ["/apis/apps/v1/namespaces/ns/deployments/web"]);
      const diff = await provider.diff("ns/web", inputs, { ...inputs, image: `${REF_NEW}x` });
      assert.deepEqual(diff, { changes: true, replaces: [] });
      assert.deepEqual(
        await provider.diff("ns/web", inputs, {
          ...inputs,
          endpoint: { ...inputs.endpoint, token: "other" },
        }),
        {
          changes: false,
          replaces: [],
        },
      );
    } finally {
      api.close();
    }
  });
});

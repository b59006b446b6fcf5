import { strict as assert } from "node:assert";
import { markSecrets, validateConfig, type SlipwayConfig } from "../../../src/config";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  edgeRemoveScript,
  edgeScript,
  type EdgeDefinition,
} from "../../../src/deploy";
import { fakeHome, FAKE_KEY } from "../../helpers/home";
import { recordResources, secrecy, settle, valueOf, type Recorded } from "../../helpers/mocks";
import { ROOT, sourceFromStackFile } from "../../helpers/stack-files";

const EDGE_REF = `127.0.0.1:5000/slipway/edge@sha256:${"e1".repeat(32)}`;

function localConfig(): SlipwayConfig {
  return validateConfig("local", markSecrets(sourceFromStackFile("local")), { root: ROOT });
}

describe("infra/edge: EdgeProxy under mocks, for the local stack's config", function () {
  this.timeout(20_000);
  let recorded: Recorded[];
  let restoreHome: () => void;
  let edges: Record<string, import("../../../infra/edge").EdgeProxy>;

  const def: EdgeDefinition = {
    host: "local",
    stack: "local",
    name: "slipway-edge",
    image: EDGE_REF,
    bind: "127.0.0.1",
    httpPort: 18080,
    httpsPort: 18443,
    tls: "internal",
    stateRoot: "/var/lib/slipway",
  };

  before(async () => {
    restoreHome = fakeHome();
    recorded = await recordResources("local");
    const { declareEdges } = await import("../../../infra/edge");
    edges = declareEdges(localConfig(), EDGE_REF);
    await valueOf(edges.local!.image);
    await settle();
  });
  after(() => restoreHome());

  it("declares one EdgeProxy per host with one child command, named after it", () => {
    assert.deepEqual(
      recorded.map((r) => [r.type, r.name, r.options.parent]),
      [
        ["slipway:edge:EdgeProxy", "slipway-edge-local", undefined],
        ["command:remote:Command", "slipway-edge-local-edge", "slipway-edge-local"],
      ],
    );
    assert.deepEqual(Object.keys(edges), ["local"]);
  });

  it("runs the edge script through the bootstrap, and the removal script on delete", () => {
    const edge = recorded[1]!.inputs;
    assert.equal(edge.create, BOOTSTRAP_COMMAND);
    assert.equal(edge.update, BOOTSTRAP_COMMAND);
    assert.deepEqual(secrecy(edge.stdin), { plain: bootstrapStdin(edgeScript(def)) });
    assert.equal(edge.delete, edgeRemoveScript(def));
    assert.equal(edge.logging, "stdout");
    assert.equal(edge.addPreviousOutputInEnv, false);
  });

  it("re-runs only when the edge's own definition changes", () => {
    assert.deepEqual(recorded[1]!.inputs.triggers, [JSON.stringify(def)]);
  });

  it("connects like the host's deployments: the key from the key file, as a secret", () => {
    const connection = secrecy(recorded[1]!.inputs.connection);
    assert.deepEqual(connection, {
      secret: {
        host: "127.0.0.1",
        port: 2222,
        user: "root",
        privateKey: FAKE_KEY,
        dialErrorLimit: 4,
        perDialTimeout: 15,
      },
    });
  });

  it("outputs the host and the image it runs", async () => {
    assert.equal(await valueOf(edges.local!.host), "local");
    assert.equal(await valueOf(edges.local!.image), EDGE_REF);
  });

  it("declares nothing for a stack that does not manage the edge", async () => {
    const { declareEdges } = await import("../../../infra/edge");
    const config = localConfig();
    assert.deepEqual(
      declareEdges({ ...config, edge: { ...config.edge, image: undefined } }, EDGE_REF),
      {},
    );
    assert.deepEqual(declareEdges(config, undefined), {});
  });
});

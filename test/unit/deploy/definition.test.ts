import { strict as assert } from "node:assert";
import { containerSpecHash, definitionHash } from "../../../src/deploy";
import { typicalDefinition } from "./fixtures";

describe("deploy/definition: hashes", () => {
  it("changes the trigger hash with anything that is deployed, and only then", () => {
    const base = definitionHash(typicalDefinition());
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(definitionHash(typicalDefinition()), base);
    for (const change of [
      { env: { LOG_LEVEL: "info", GREETING: "hello world" } },
      { secretEnvNames: ["API_KEY"] },
      { healthTimeoutSeconds: 30 },
      { routes: [{ host: "web.example.com", tls: true, redirect: false }] },
      { drainSeconds: 0 },
      { edge: "other-edge" },
      { revision: "other" },
    ]) {
      assert.notEqual(definitionHash(typicalDefinition(change)), base, JSON.stringify(change));
    }
    // env order does not matter
    assert.equal(
      definitionHash(typicalDefinition({ env: { GREETING: "hello world", LOG_LEVEL: "debug" } })),
      base,
    );
  });

  it("names the container after what the container is, not after routing, health or history", () => {
    const base = containerSpecHash(typicalDefinition());
    for (const same of [
      { revision: "other" },
      { healthTimeoutSeconds: 5 },
      { keepReleases: 1 },
      { drainSeconds: 10 },
      { routes: [{ tls: false }] },
    ]) {
      assert.equal(containerSpecHash(typicalDefinition(same)), base, JSON.stringify(same));
    }
    for (const different of [
      { env: { LOG_LEVEL: "info" } },
      { secretEnvNames: ["OTHER"] },
      { containerPort: 9090 },
    ]) {
      assert.notEqual(containerSpecHash(typicalDefinition(different)), base);
    }
  });

  // The release container joins the edge's network at `docker run`: on another edge the
  // same name would be reused as "already serving", on a network the new edge cannot reach.
  it("names the container after the edge network it joins", () => {
    assert.notEqual(
      containerSpecHash(typicalDefinition({ edge: "other-edge" })),
      containerSpecHash(typicalDefinition()),
    );
  });
});

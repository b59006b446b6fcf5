import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig, markSecrets, validateConfig } from "../../../src/config";
import { ROOT, sourceFromStackFile } from "../../helpers/stack-files";

describe("loadConfig (the program's config)", () => {
  before(() =>
    pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: args.name, state: {} }),
        call: () => ({}),
      },
      "slipway",
      "prod",
      false,
    ),
  );

  it("throws a refusal as a pulumi.RunError with exactly the text the CLI prints", () => {
    const source = sourceFromStackFile("prod");
    const values = { ...source.values } as Record<string, any>;
    values.services = {
      ...values.services,
      web: { ...values.services.web, healthPath: "/health check" },
    };
    values.edge = { ...values.edge, httpPort: 22 };
    let thrown: unknown;
    try {
      loadConfig(ROOT, { ...source, values }, {}, "/nonexistent");
    } catch (error) {
      thrown = error;
    }
    assert.ok(pulumi.RunError.isInstance(thrown), `expected a RunError, got ${String(thrown)}`);
    const expected =
      'config of stack "prod" has 3 problems; nothing was changed:\n' +
      '  slipway:services.web.healthPath: "/health check" has a space or control character; a URL path has none (write a space as %20)\n' +
      '  slipway:edge.httpPort: 22 is the SSH port of host "web-1" (slipway:hosts[0].port); the edge cannot own the port sshd listens on: choose another httpPort\n' +
      '  slipway:edge.httpPort: 22 is the SSH port of host "web-2" (slipway:hosts[1].port); the edge cannot own the port sshd listens on: choose another httpPort';
    assert.equal(thrown.message, expected);
    assert.throws(
      () => validateConfig("prod", markSecrets({ ...source, values })),
      (error: Error) => error instanceof ConfigError && error.message === expected,
    );
    // What the engine shows: the message, no `issues: [...]` dump, no ANSI codes.
    assert.deepEqual(Object.keys(thrown), ["__pulumiRunError"]);
    assert.doesNotMatch(inspect(thrown), /issues:/);
    assert.ok(!thrown.message.includes("\u001b["), "no ANSI escape");
  });

  it("refuses GITHUB_OWNER naming another account, from the environment it is given", () => {
    assert.throws(
      () => loadConfig(ROOT, sourceFromStackFile("prod"), { GITHUB_OWNER: "other" }, "/root"),
      (error: Error) =>
        pulumi.RunError.isInstance(error) &&
        error.message.includes(
          'slipway:github.owner: is "acme", but GITHUB_OWNER="other" is set and the GitHub provider would send every request to "other"',
        ),
    );
  });

  it("refuses github: provider keys and a misspelt namespace set in the stack, and leaves other namespaces alone", () => {
    const values = sourceFromStackFile("prod").values;
    pulumi.runtime.setAllConfig({
      ...Object.fromEntries(
        Object.entries(values).map(([key, value]) => [
          `slipway:${key}`,
          typeof value === "string" ? value : JSON.stringify(value),
        ]),
      ),
      "github:baseUrl": "https://github.example.com/",
      "slipwya:edge": JSON.stringify({ image: "edge" }),
      "pulumi:disable-default-providers": '["*"]',
    });
    try {
      assert.throws(
        () => loadConfig(ROOT, undefined, {}, "/root"),
        (error: Error) =>
          pulumi.RunError.isInstance(error) &&
          error.message ===
            'config of stack "prod" has 2 problems; nothing was changed:\n' +
              "  github:baseUrl: is not read: Slipway's GitHub environment configures its own provider; set slipway:github.baseUrl instead\n" +
              '  slipwya:edge: unknown namespace "slipwya": Slipway reads only slipway:<key>; did you mean slipway:edge?',
      );
    } finally {
      pulumi.runtime.setAllConfig({});
    }
  });
});

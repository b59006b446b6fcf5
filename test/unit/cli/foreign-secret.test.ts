import { strict as assert } from "node:assert";
import { ConfigError } from "../../../src/config/errors";
import { foreignSecretIssues, securePaths } from "../../../src/cli/stack-config";

describe("cli/stack-config: a secure value copied from another stack's file", () => {
  const file = [
    "config:",
    "  aws:region: eu-west-1",
    "  other:token:",
    "    secure: v1:other",
    "  slipway:registry:",
    "    password:",
    "      secure: v1:aaa",
    "  slipway:services:",
    "    web:",
    "      secretEnv:",
    "        API_KEY:",
    "          secure: v1:bbb",
    "      routes:",
    "        - host: web.example.com",
    "  slipway:hosts:",
    "    - name: web-1",
    "      tokens:",
    "        - secure: v1:ccc",
    "",
  ].join("\n");

  it("lists the --path of every secure value of the slipway: keys, in file order", () => {
    assert.deepEqual(securePaths("/nowhere", file), [
      "slipway:registry.password",
      "slipway:services.web.secretEnv.API_KEY",
      "slipway:hosts[0].tokens[0]",
    ]);
  });

  it("names each value that does not decrypt and how to set it again for this stack", () => {
    const error = new ConfigError(
      foreignSecretIssues("prod", ["slipway:services.web.secretEnv.API_KEY"]),
      "prod",
    );
    assert.equal(
      error.message,
      'config of stack "prod" has 1 problem; nothing was changed:\n' +
        "  slipway:services.web.secretEnv.API_KEY: does not decrypt with the secrets of stack prod: " +
        "it was encrypted for another stack (copied from its file; Pulumi encrypts secrets per stack); " +
        "set it again for this one: pulumi config set --secret --path 'slipway:services.web.secretEnv.API_KEY' --stack prod  # asks for the value",
    );
  });
});

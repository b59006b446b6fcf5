import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  PayloadError,
  payloadProblems,
  payloadReader,
  redactFunction,
  registryLoginCommand,
  renderPayload,
} from "../../../src/deploy";
import { fakeDocker, sh, tempDir } from "./fixtures";

const SECRET_ENV = {
  DB_PASSWORD: `pa ss'"$(id)\`id\`#=x `,
  API_KEY: "k-123",
  EMPTY: "",
};

describe("deploy/payload: secrets over stdin", () => {
  it("renders the header, the password line, sorted env-file lines and the end marker", () => {
    assert.equal(
      renderPayload({ registryPassword: "reg-pw", secretEnv: SECRET_ENV }),
      [
        "slipway-payload-v1",
        "reg-pw",
        "API_KEY=k-123",
        `DB_PASSWORD=pa ss'"$(id)\`id\`#=x `,
        "EMPTY=",
        "slipway-payload-end",
        "",
      ].join("\n"),
    );
    assert.equal(renderPayload({ secretEnv: {} }), "slipway-payload-v1\n\nslipway-payload-end\n");
  });

  it("refuses values docker's --env-file cannot carry, naming the key and never the value", () => {
    const secrets = {
      registryPassword: "pw\nsecond",
      secretEnv: {
        TLS_KEY: "-----BEGIN KEY-----\nAAAA\n-----END KEY-----",
        CR: "value\r",
        NUL: "a\0b",
        LONE: "x\uD800y",
        "BAD-NAME": "v",
        HUGE: "x".repeat(70_000),
        FINE: "ok",
      },
    };
    const expected = [
      "slipway:registry.password: contains a line break or NUL; a registry password is one line",
      "slipway:service.secretEnv.BAD-NAME: is not an environment variable name",
      "slipway:service.secretEnv.CR: contains a line break, which docker's --env-file cannot carry; store it encoded (e.g. base64) and decode it in the service",
      "slipway:service.secretEnv.HUGE: is longer than docker's --env-file allows (64 KiB per line)",
      "slipway:service.secretEnv.LONE: is not valid UTF-8 text (a lone surrogate), which docker's --env-file refuses",
      "slipway:service.secretEnv.NUL: contains a NUL character, which no environment variable can hold",
      "slipway:service.secretEnv.TLS_KEY: contains a line break, which docker's --env-file cannot carry; store it encoded (e.g. base64) and decode it in the service",
    ];
    assert.deepEqual(payloadProblems(secrets), expected);
    assert.deepEqual(
      payloadProblems({ secretEnv: { CR: "value\r" }, configPath: "slipway:services.api" }),
      [
        "slipway:services.api.secretEnv.CR: contains a line break, which docker's --env-file cannot carry; store it encoded (e.g. base64) and decode it in the service",
      ],
    );
    assert.throws(
      () => renderPayload(secrets),
      (error: unknown) => {
        assert.ok(error instanceof PayloadError);
        assert.equal(
          error.message,
          `cannot deliver 7 secrets to the hosts:\n${expected.map((p) => `  ${p}`).join("\n")}`,
        );
        assert.ok(!error.message.includes("BEGIN KEY"));
        assert.ok(!error.message.includes("second"));
        return true;
      },
    );
  });

  describe("the reader, run for real", () => {
    let temp: ReturnType<typeof tempDir>;
    beforeEach(() => {
      temp = tempDir();
    });
    afterEach(() => temp.remove());

    function readerScript(extra: string[]): string {
      return [
        "set -eu",
        "umask 077",
        `fail() { printf '%s\\n' "$*" >&2; exit 1; }`,
        `tmp=${temp.dir}/tmp`,
        'mkdir -p "$tmp"',
        ...redactFunction(),
        ...payloadReader(),
        ...extra,
      ].join("\n");
    }

    it("writes the env file 0600 byte for byte and keeps the password in a variable", async () => {
      const result = await sh(
        readerScript([`printf '%s' "$registry_password" > "$tmp"/password-seen`]),
        { stdin: renderPayload({ registryPassword: "reg pw $x", secretEnv: SECRET_ENV }) },
      );
      assert.equal(result.code, 0, result.stderr);
      const tmp = path.join(temp.dir, "tmp");
      assert.equal(
        fs.readFileSync(path.join(tmp, "secret.env"), "utf8"),
        `API_KEY=k-123\nDB_PASSWORD=pa ss'"$(id)\`id\`#=x \nEMPTY=\n`,
      );
      assert.equal(fs.statSync(path.join(tmp, "secret.env")).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(path.join(tmp, "password-seen"), "utf8"), "reg pw $x");
      assert.equal(
        fs.readFileSync(path.join(tmp, "secret.values"), "utf8"),
        `k-123\npa ss'"$(id)\`id\`#=x \nreg pw $x\n`,
      );
      assert.equal(result.stdout, "");
      assert.equal(result.stderr, "");
    });

    it("refuses a missing or cut payload before doing anything", async () => {
      const none = await sh(readerScript(["echo reached"]), { stdin: "" });
      assert.equal(none.code, 1);
      assert.equal(
        none.stderr,
        "expected Slipway's payload on stdin (slipway-payload-v1); run this script through Pulumi, or pipe the payload in\n",
      );
      const cut = await sh(readerScript(["echo reached"]), {
        stdin: "slipway-payload-v1\npw\nAPI_KEY=1\n",
      });
      assert.equal(cut.code, 1);
      assert.equal(
        cut.stderr,
        "the payload on stdin was cut short (no slipway-payload-end line); nothing was changed\n",
      );
    });

    it("redact drops every line that shows a secret value", async () => {
      const result = await sh(
        readerScript([
          `printf '%s\\n' 'starting' 'token is k-123' 'login reg pw $x ok' 'done' | redact`,
        ]),
        { stdin: renderPayload({ registryPassword: "reg pw $x", secretEnv: SECRET_ENV }) },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "starting\ndone\n");
    });

    it("pipes the password to docker login through printf, never as an argument", async () => {
      const docker = fakeDocker(temp.dir);
      const login = registryLoginCommand("ghcr.io", "acme-bot");
      assert.equal(
        login,
        `printf '%s\\n' "$registry_password" | docker --config "$docker_config" login --username acme-bot --password-stdin ghcr.io`,
      );
      const result = await sh(readerScript([`docker_config="$tmp"/docker`, login]), {
        stdin: renderPayload({ registryPassword: "s3cret pw", secretEnv: {} }),
        env: docker.env,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(docker.calls(), [
        [
          "--config",
          path.join(temp.dir, "tmp", "docker"),
          "login",
          "--username",
          "acme-bot",
          "--password-stdin",
          "ghcr.io",
        ],
      ]);
      assert.equal(docker.stdin(), "s3cret pw\n");
    });
  });
});

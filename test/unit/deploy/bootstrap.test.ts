import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  deployScript,
  payloadReader,
  renderPayload,
  SCRIPT_END,
  stopScript,
} from "../../../src/deploy";
import { lines, sh, tempDir, typicalDefinition } from "./fixtures";

describe("deploy/bootstrap: the script on stdin, not in the command line", () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it("is a fixed command that copies stdin up to the marker into a private file", () => {
    assert.equal(SCRIPT_END, "slipway-script-end");
    assert.equal(
      BOOTSTRAP_COMMAND,
      `set -eu; umask 077; f=$(mktemp); trap 'rm -f "$f"' EXIT; ` +
        `while IFS= read -r line; do if [ "$line" = slipway-script-end ]; then break; fi; ` +
        `printf '%s\\n' "$line"; done > "$f"; sh "$f"`,
    );
    assert.equal(bootstrapStdin("echo hi", "input"), "echo hi\nslipway-script-end\ninput");
    assert.equal(bootstrapStdin("echo hi\n"), "echo hi\nslipway-script-end\n");
  });

  it("runs the script, which sees the payload after the marker intact", async () => {
    const out = path.join(temp.dir, "seen");
    const script = [
      "#!/bin/sh",
      `  printf '%s\\n' '  indented \\ back\\slash'`,
      `cat > '${out}'`,
    ].join("\n");
    // The payload may hold anything the script reads, even a line like the marker.
    const payload = `${renderPayload({
      registryPassword: "pw with spaces \\ and 'quotes'",
      secretEnv: { API_KEY: "  leading and trailing  ", EMPTY: "" },
    })}${SCRIPT_END}\nno newline at the end`;
    const result = await sh(BOOTSTRAP_COMMAND, {
      stdin: bootstrapStdin(script, payload),
      env: { ...process.env, TMPDIR: temp.dir },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "  indented \\ back\\slash\n");
    assert.equal(fs.readFileSync(out, "utf8"), payload);
    assert.deepEqual(fs.readdirSync(temp.dir), ["seen"], "the script file is removed");
  });

  it("feeds the deploy script's payload reader what renderPayload wrote", async () => {
    const tmp = path.join(temp.dir, "tmp");
    fs.mkdirSync(tmp);
    const script = [
      "set -eu",
      `tmp='${tmp}'`,
      `fail() { printf '%s\\n' "$*" >&2; exit 1; }`,
      ...payloadReader(),
      `printf '%s' "$registry_password" > '${temp.dir}'/password`,
    ].join("\n");
    const secretEnv = { API_KEY: "k-123", DB_PASSWORD: `pa ss'"$(id)#` };
    const result = await sh(BOOTSTRAP_COMMAND, {
      stdin: bootstrapStdin(script, renderPayload({ registryPassword: "reg-pw", secretEnv })),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fs.readFileSync(path.join(temp.dir, "password"), "utf8"), "reg-pw");
    assert.equal(
      fs.readFileSync(path.join(tmp, "secret.env"), "utf8"),
      `API_KEY=k-123\nDB_PASSWORD=pa ss'"$(id)#\n`,
    );
  });

  it("exits with the script's status and leaves no file behind", async () => {
    const result = await sh(BOOTSTRAP_COMMAND, {
      stdin: bootstrapStdin("echo failing >&2\nexit 3"),
      env: { ...process.env, TMPDIR: temp.dir },
    });
    assert.deepEqual(result, { code: 3, stdout: "", stderr: "failing\n" });
    assert.deepEqual(fs.readdirSync(temp.dir), []);
  });

  it("never meets the marker inside a generated script", () => {
    for (const def of [typicalDefinition(), typicalDefinition({ routes: [] })]) {
      assert.ok(!lines(deployScript(def)).includes(SCRIPT_END));
      assert.ok(!lines(stopScript(def)).includes(SCRIPT_END));
    }
  });
});

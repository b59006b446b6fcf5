import { strict as assert } from "node:assert";
import { assign, command, quote, ShellExpr, ShellQuoteError, v } from "../../../src/deploy";
import { fakeDocker, HOSTILE, sh, tempDir } from "./fixtures";

describe("deploy/shell: quoting", () => {
  it("leaves plain words alone and single-quotes everything else", () => {
    assert.equal(quote("ghcr.io/acme/web@sha256:ab12"), "ghcr.io/acme/web@sha256:ab12");
    assert.equal(quote("LOG_LEVEL=debug"), "LOG_LEVEL=debug");
    assert.equal(quote("--label"), "--label");
    assert.equal(quote(""), "''");
    assert.equal(quote("hello world"), "'hello world'");
    assert.equal(quote("it's"), `'it'\\''s'`);
    assert.equal(quote("$(id)"), "'$(id)'");
    assert.equal(quote("`id`"), "'`id`'");
    assert.equal(quote("~/x"), "'~/x'");
    assert.equal(quote("a\nb"), "'a\nb'");
  });

  it("refuses NUL, which no command argument can hold", () => {
    assert.throws(
      () => quote("a\0b"),
      new ShellQuoteError("a NUL character cannot be passed to a shell command"),
    );
  });

  it("joins commands word by word and passes only script variables unquoted", () => {
    assert.equal(
      command(["docker", "run", "--name", v("name"), "--env", "A=b c", 8080]),
      `docker run --name "$name" --env 'A=b c' 8080`,
    );
    assert.equal(
      command(["docker", "run", "--env-file", ShellExpr.join([v("tmp"), "/secret.env"])]),
      `docker run --env-file "$tmp"/secret.env`,
    );
    assert.equal(command(["f", ShellExpr.positional(1)]), `f "$1"`);
    assert.equal(
      assign("ports", "127.0.0.1:18080 127.0.0.1:18443"),
      "ports='127.0.0.1:18080 127.0.0.1:18443'",
    );
    assert.throws(() => v("1; rm -rf /"), ShellQuoteError);
    assert.throws(() => assign("A B", "x"), ShellQuoteError);
    assert.throws(() => command([]), ShellQuoteError);
  });

  for (const shell of ["/bin/sh", "/bin/bash"]) {
    it(`hostile values reach the program unchanged through ${shell}`, async () => {
      const temp = tempDir();
      try {
        const docker = fakeDocker(temp.dir);
        const values = Object.values(HOSTILE);
        const result = await sh(command(["docker", "run", ...values]), {
          env: docker.env,
          shell,
        });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(docker.calls(), [["run", ...values]]);
      } finally {
        temp.remove();
      }
    });
  }
});

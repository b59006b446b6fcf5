import { strict as assert } from "node:assert";
import { engineFailure, nextSteps, unhealthyDigests } from "../../../src/cli/failure";

const LOCKED = `Updating (prod):
error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.
  file:///var/backend/.pulumi/locks/organization/slipway/prod/b937.json?no_tmp_dir=true: created by root@ci (pid 14229) at 2026-12-01T09:10:07Z
`;

const UNHEALTHY = `Updating (prod):
 ~  command:remote:Command web-web-1-release updating (31s) slipway: host web-1: release sha256:ab did not become healthy within 30 s, removed it, web-1a keeps serving; last health response: HTTP/1.1 503
 ~  command:remote:Command web-web-1-release updating failed error: Process exited with status 1
warning: Attempting to deploy or update resources with 1 pending operations from previous deployment.
error: update failed
`;

describe("failure summaries", () => {
  it("quote the lock's holder when the stack is locked", () => {
    assert.deepEqual(engineFailure(LOCKED), {
      kind: "locked",
      cause: [
        "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
        "file:///var/backend/.pulumi/locks/organization/slipway/prod/b937.json?no_tmp_dir=true: created by root@ci (pid 14229) at 2026-12-01T09:10:07Z",
      ],
    });
  });

  it("quote the host's own line, not the engine's last lines, and tell the kind", () => {
    assert.deepEqual(engineFailure(UNHEALTHY), {
      kind: "unhealthy",
      cause: [
        "slipway: host web-1: release sha256:ab did not become healthy within 30 s, removed it, web-1a keeps serving; last health response: HTTP/1.1 503",
      ],
    });
    assert.equal(
      engineFailure(
        "slipway: host web-2: cannot pull 127.0.0.1:5000/acme/web@sha256:ab: connection refused\nerror: update failed",
      ).kind,
      "pull",
    );
    assert.equal(
      engineFailure(
        "slipway: host web-1: another deploy of web holds the lock on this host: stack prod, ci from 10.0.0.5 (pid 7) since 2026-12-01T09:00:00Z; try again when it ends",
      ).kind,
      "host-lock",
    );
    assert.deepEqual(
      engineFailure(
        "error: ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]\nerror: update failed",
      ),
      {
        kind: "host-unreachable",
        cause: [
          "error: ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]",
        ],
      },
    );
    assert.deepEqual(
      engineFailure(
        "error: the current deployment has 1 resource(s) with pending operations:\n  * urn:pulumi:prod::slipway::command:remote:Command::web-1-release, interrupted while creating\n",
      ),
      {
        kind: "pending",
        cause: [
          "error: the current deployment has 1 resource(s) with pending operations:",
          "* urn:pulumi:prod::slipway::command:remote:Command::web-1-release, interrupted while creating",
        ],
      },
    );
    assert.deepEqual(
      engineFailure(
        "Diagnostics:\n  pulumi:pulumi:Stack (slipway-prod):\n" +
          "    error: Running program '/p/index.js' failed with an unhandled exception:\n" +
          "    Error: deploy of prod failed: the health check never passed\n        at Object.<anonymous> (/p/index.js:11:9)\n",
      ),
      {
        kind: "other",
        cause: [
          "Error: deploy of prod failed: the health check never passed",
          "error: Running program '/p/index.js' failed with an unhandled exception:",
        ],
      },
    );
    // A local command (the repository check, the supply chain): its script's own reason.
    assert.deepEqual(
      engineFailure(
        ' ++ command:local:Command web-check creating replacement (0s)[retain] [diff: ~stdin,triggers]; error: exit status 1: running "exec /bin/sh -s":\n' +
          "Diagnostics:\n  command:local:Command (web-check):\n" +
          '    error: exit status 1: running "exec /bin/sh -s":\n' +
          `    slipway: 127.0.0.1:5000/slipway/web has no manifest sha256:${"0".repeat(64)}; push the image (pulumi up on the build stack) before this check\n` +
          "\n  pulumi:pulumi:Stack (slipway-upg):\n    error: update failed\n",
      ),
      {
        kind: "other",
        cause: [
          `slipway: 127.0.0.1:5000/slipway/web has no manifest sha256:${"0".repeat(64)}; push the image (pulumi up on the build stack) before this check`,
          'error: exit status 1: running "exec /bin/sh -s":',
        ],
      },
    );
    assert.deepEqual(engineFailure("error: update failed\n"), { kind: "other", cause: [] });
  });

  it("count a failed canary as an unhealthy release, naming the new digest (promote refuses it)", () => {
    const failed = `slipway: host web-1: release sha256:${"c".repeat(64)} failed its canary: canary 10%: 23 of 112 requests failed (20.5% > 1%); every request went back to release sha256:${"a".repeat(64)} (web-a:8080) at once, removed web-c`;
    const result = engineFailure(`Updating (dev):\n${failed}\nerror: update failed\n`);
    assert.deepEqual(result, { kind: "unhealthy", cause: [failed] });
    assert.deepEqual(unhealthyDigests(result.cause), [
      { digest: `sha256:${"c".repeat(64)}`, reason: failed.slice("slipway: ".length) },
    ]);
  });

  it("give next steps that fit the failure and the stack's role", () => {
    const prod = {
      stack: "prod",
      role: "promote",
      retry: "slipway up --stack prod",
      earlier: true,
    } as const;
    const dev = {
      stack: "dev",
      role: "build",
      retry: "slipway up --stack dev",
      earlier: true,
    } as const;
    assert.deepEqual(nextSteps("unhealthy", prod), [
      "slipway rollback --stack prod  # pin the release the hosts still run",
      "slipway up --stack prod  # once the cause is fixed",
    ]);
    assert.deepEqual(nextSteps("unhealthy", dev), [
      "git revert <commit>  # or fix it; then: slipway up --stack dev",
    ]);
    assert.deepEqual(nextSteps("locked", prod), [
      "pulumi cancel --stack prod --yes  # only if no update of prod is running (removes the lock)",
      "slipway up --stack prod",
    ]);
    assert.deepEqual(nextSteps("pending", dev), [
      "pulumi refresh --stack dev --clear-pending-creates --yes  # reads what the interrupted update left",
      "slipway up --stack dev",
    ]);
    assert.deepEqual(nextSteps("host-unreachable", prod), [
      "slipway up --stack prod  # once the host answers over SSH with the configured key",
    ]);
  });
});

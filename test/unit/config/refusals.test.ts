import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, validateConfig, type ConfigIssue } from "../../../src/config";
import { base, DIGEST } from "./fixtures";

/*
 * Every bad input that once reached `pulumi up` (issue 26), refused by the config with its path
 * and the fix; one row each. Each row breaks one thing of a valid stack with services,
 * accessories and a scan gate.
 */

const NOW = new Date("2026-12-07T10:00:00Z");

/** A valid build stack: the edge it manages, a routed service, a worker, two accessories. */
function stack(): Record<string, any> {
  const raw = base();
  delete raw.services;
  raw.images.api = { build: { context: "app" } };
  raw.services = {
    web: { routes: [{ host: "web.example.com" }] },
    worker: { image: "api", command: ["worker"], healthCommand: ["/api", "healthcheck"] },
  };
  raw.accessories = {
    postgres: {
      image: `docker.io/library/postgres@${DIGEST}`,
      volumes: { data: "/var/lib/postgresql/data" },
      ports: [{ containerPort: 5432, hostPort: 15432 }],
    },
    redis: {
      image: `docker.io/library/redis@${DIGEST}`,
      ports: [{ containerPort: 6379 }],
    },
  };
  raw.scan = {
    failOn: "HIGH",
    allow: [{ id: "CVE-2026-0001", expires: "2027-01-31", reason: "not reachable" }],
  };
  return raw;
}

function refusal(raw: Record<string, unknown>, home?: string): ConfigIssue[] {
  try {
    validateConfig("dev", raw, { now: NOW, ...(home === undefined ? {} : { home }) });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return [...error.issues];
  }
  return assert.fail("expected the config to be refused");
}

const NAME_RULE = (what: string, example: string) =>
  `is not a valid ${what} name: use lowercase letters, digits and -, starting with a letter and not ending with - (e.g. ${example}); rename the key`;

const rows: readonly {
  readonly input: string;
  readonly change: (raw: Record<string, any>) => void;
  readonly path: string;
  readonly message: string;
}[] = [
  {
    input: "an accessory's hostPort is the edge's HTTP port",
    change: (raw) => (raw.accessories.postgres.ports[0].hostPort = 80),
    path: "slipway:accessories.postgres.ports[0].hostPort",
    message:
      "80 is the edge's httpPort (slipway:edge.httpPort), published on every host; two listeners cannot share a host port: choose another hostPort",
  },
  {
    input: "an accessory's port (no hostPort) is the edge's configured HTTPS port",
    change: (raw) => {
      raw.edge.httpsPort = 6379;
    },
    path: "slipway:accessories.redis.ports[0].hostPort",
    message:
      "6379 is the edge's httpsPort (slipway:edge.httpsPort), published on every host; two listeners cannot share a host port: choose another hostPort (it defaults to containerPort)",
  },
  {
    input: "an accessory's hostPort is the host's SSH port",
    change: (raw) => (raw.accessories.postgres.ports[0].hostPort = 22),
    path: "slipway:accessories.postgres.ports[0].hostPort",
    message:
      "22 is the SSH port of host web-1 (slipway:hosts[0].port), where sshd listens; two listeners cannot share a host port: choose another hostPort",
  },
  {
    input: "two accessories publish one hostPort",
    change: (raw) => (raw.accessories.redis.ports[0].hostPort = 15432),
    path: "slipway:accessories.redis.ports[0].hostPort",
    message:
      "15432 is also published by accessory postgres (slipway:accessories.postgres.ports[0]) on host web-1; two listeners cannot share a host port: choose another hostPort",
  },
  {
    input: "two volumes of one accessory mount at one path",
    change: (raw) => (raw.accessories.postgres.volumes.wal = "/var/lib/postgresql/data"),
    path: "slipway:accessories.postgres.volumes.wal",
    message:
      '"/var/lib/postgresql/data" is also where volume data mounts; Docker mounts one volume at a path: give each volume its own path',
  },
  {
    input: "memory below Docker's minimum",
    change: (raw) => (raw.services.web.memory = "1k"),
    path: "slipway:services.web.memory",
    message:
      '"1k" is below Docker\'s minimum memory limit of 6m; give at least 6m, e.g. 64m or 512m (or remove memory for no limit)',
  },
  {
    input: "memory below Docker's minimum on an accessory",
    change: (raw) => (raw.accessories.redis.memory = "5.9m"),
    path: "slipway:accessories.redis.memory",
    message:
      '"5.9m" is below Docker\'s minimum memory limit of 6m; give at least 6m, e.g. 64m or 512m (or remove memory for no limit)',
  },
  {
    input: "healthCommand on a routed service",
    change: (raw) => (raw.services.web.healthCommand = ["/bin/true"]),
    path: "slipway:services.web.healthCommand",
    message:
      "is set, but the service has routes: its health is healthPath, asked over HTTP through the edge; remove healthCommand (or set healthPath), or remove routes to make it a worker",
  },
  {
    input: "slipway:service, the retired one-service form",
    change: (raw) => {
      delete raw.services;
      delete raw.accessories;
      raw.service = { image: "web", routes: [{ host: "web.example.com" }] };
    },
    path: "slipway:service",
    message:
      "is the retired one-service form: a service is an entry of slipway:services, and the same name keeps its containers and state on the hosts; replace slipway:service with:\n" +
      "    slipway:services:\n" +
      "      web:\n" +
      "        routes:\n" +
      "          - host: web.example.com",
  },
  {
    input: "worker: false with no routes",
    change: (raw) => (raw.services.worker.worker = false),
    path: "slipway:services.worker.worker",
    message:
      "is false, but the service has no routes, and a service without routes is a worker; add routes (e.g. routes: [{}], which routes every request), or remove worker",
  },
  {
    input: "an allow-list entry that has expired",
    change: (raw) => (raw.scan.allow[0].expires = "2026-12-06"),
    path: "slipway:scan.allow[0].expires",
    message:
      "2026-12-06 has passed (today is 2026-12-07 UTC), so CVE-2026-0001 blocks again; fix it, or renew the entry with a new date and reason: pulumi config set --path 'slipway:scan.allow[0].expires' <YYYY-MM-DD>",
  },
  {
    input: "the same CVE allowed twice",
    change: (raw) => {
      raw.scan.allow = [
        ...(raw.scan.allow as unknown[]),
        { id: "CVE-2026-0001", expires: "2027-02-28", reason: "again" },
      ];
    },
    path: "slipway:scan.allow[1].id",
    message:
      "CVE-2026-0001 is already allowed by allow[0]; keep one entry per vulnerability (one expiry, one reason)",
  },
  {
    input: "a service name with capitals",
    change: (raw) => (raw.services = { Web: { ...raw.services.web, image: "web" } }),
    path: "slipway:services.Web",
    message: NAME_RULE("service", "web or api-worker"),
  },
  {
    input: "a service name starting with a digit",
    change: (raw) => (raw.services = { "1web": { ...raw.services.web, image: "web" } }),
    path: 'slipway:services["1web"]',
    message: NAME_RULE("service", "web or api-worker"),
  },
  {
    input: "an accessory name with an underscore",
    change: (raw) => (raw.accessories = { redis_cache: raw.accessories.redis }),
    path: "slipway:accessories.redis_cache",
    message: NAME_RULE("accessory", "postgres or redis-cache"),
  },
  {
    input: "a volume name with capitals",
    change: (raw) => (raw.accessories.postgres.volumes = { PgData: "/var/lib/postgresql/data" }),
    path: "slipway:accessories.postgres.volumes.PgData",
    message: NAME_RULE("volume", "pgdata"),
  },
];

describe("config: every bad input refused with its path and fix (issue 26)", () => {
  it("accepts the valid stack every row breaks", () => {
    const config = validateConfig("dev", stack(), { now: NOW });
    assert.deepEqual(
      config.accessories.map((a) => [a.name, a.ports.map((p) => p.hostPort)]),
      [
        ["postgres", [15432]],
        ["redis", [6379]],
      ],
    );
  });

  for (const row of rows) {
    it(`refuses: ${row.input}`, () => {
      const raw = stack();
      row.change(raw);
      assert.deepEqual(refusal(raw), [{ path: row.path, message: row.message }]);
    });
  }

  it("refuses a privateKeyFile that holds the public key", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-home-"));
    try {
      fs.mkdirSync(path.join(home, ".ssh"));
      fs.writeFileSync(
        path.join(home, ".ssh", "id_ed25519.pub"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPwR6Ch4tUuR8B4hnpC3s0r1fWrV6m0XSPzI5fG8zJVf me@laptop\n",
      );
      const raw = stack();
      raw.hosts[0] = {
        name: "web-1",
        address: "203.0.113.10",
        privateKeyFile: "~/.ssh/id_ed25519.pub",
      };
      assert.deepEqual(refusal(raw, home), [
        {
          path: "slipway:hosts[0].privateKeyFile",
          message:
            '"~/.ssh/id_ed25519.pub" holds an SSH public key (ssh-ed25519), not the private key (the private key is usually "~/.ssh/id_ed25519"); point it at the SSH private key, or set privateKey instead',
        },
      ]);
      fs.writeFileSync(
        path.join(home, ".ssh", "id_ed25519"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
      );
      raw.hosts[0].privateKeyFile = "~/.ssh/id_ed25519";
      assert.equal(
        validateConfig("dev", raw, { now: NOW, home }).hosts[0]!.privateKeyFile,
        "~/.ssh/id_ed25519",
      );
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("accepts an allow-list expiry written as an unquoted YAML date", () => {
    for (const written of [new Date("2027-01-31T00:00:00Z"), "2027-01-31T00:00:00Z"]) {
      const raw = stack();
      raw.scan.allow[0].expires = written;
      assert.deepEqual(validateConfig("dev", raw, { now: NOW }).scan?.allow, [
        { id: "CVE-2026-0001", expires: "2027-01-31", reason: "not reachable" },
      ]);
    }
  });

  it("accepts an accessory port on another address than a clashing one", () => {
    const raw = stack();
    raw.edge.bind = "127.0.0.1";
    raw.accessories.redis.ports[0] = { containerPort: 6379, hostPort: 80, bind: "127.0.0.2" };
    assert.deepEqual(
      validateConfig("dev", raw, { now: NOW }).accessories[1]!.ports.map((p) => [
        p.bind,
        p.hostPort,
      ]),
      [["127.0.0.2", 80]],
    );
  });
});

import { strict as assert } from "node:assert";
import { Secret, validateConfig } from "../../../src/config";
import { base, DIGEST, issuesOf } from "./fixtures";

/** A build stack with two routed services, a worker and two accessories on two hosts. */
function several(): Record<string, any> {
  const raw = base();
  delete raw.services;
  raw.images.api = { build: { context: "app" } };
  raw.images.postgres = { build: { context: "app", stamp: "none" } };
  raw.hosts = [
    { name: "web-1", address: "203.0.113.10", privateKey: new Secret("KEY"), roles: ["web"] },
    { name: "db-1", address: "203.0.113.20", privateKey: new Secret("KEY"), roles: ["db"] },
  ];
  raw.services = {
    api: {
      routes: [{ host: "api.example.com", tls: true }],
      healthPath: "/readyz",
      env: { DATABASE_URL: "postgres://app@postgres:5432/app" },
      secretEnv: { PGPASSWORD: new Secret("pg-secret") },
      replicas: 2,
      memory: "256m",
      cpus: 0.5,
    },
    worker: { image: "api", command: ["worker"], healthCommand: ["/api", "healthcheck"] },
    web: { role: "web", routes: [{ host: "web.example.com", tls: true }] },
  };
  raw.accessories = {
    postgres: {
      image: "postgres",
      role: "db",
      secretEnv: { POSTGRES_PASSWORD: new Secret("pg-secret") },
      volumes: { data: "/var/lib/postgresql/data" },
      ports: [{ containerPort: 5432, hostPort: 15432 }],
    },
    redis: { image: `docker.io/library/redis@${DIGEST}`, volumes: { data: "/data" } },
  };
  return raw;
}

describe("config: several services, workers and accessories", () => {
  it("keeps the declared order, places each on its hosts and fills in the defaults", () => {
    const config = validateConfig("dev", several());
    assert.deepEqual(
      config.services.map((s) => [s.name, s.image, s.hosts, s.routes.length, s.replicas]),
      [
        ["api", "api", ["web-1", "db-1"], 1, 2],
        ["worker", "api", ["web-1", "db-1"], 0, 1],
        ["web", "web", ["web-1"], 1, 1],
      ],
    );
    const [api, worker] = config.services;
    assert.deepEqual(api!.command, []);
    assert.equal(api!.memory, "256m");
    assert.equal(api!.cpus, 0.5);
    assert.deepEqual(worker!.command, ["worker"]);
    assert.deepEqual(worker!.healthCommand, ["/api", "healthcheck"]);
    assert.deepEqual(
      config.accessories.map((a) => ({
        name: a.name,
        image: a.image,
        hosts: a.hosts,
        ports: a.ports,
      })),
      [
        {
          name: "postgres",
          image: "postgres",
          hosts: ["db-1"],
          ports: [{ containerPort: 5432, hostPort: 15432, bind: "127.0.0.1", public: false }],
        },
        {
          name: "redis",
          image: `docker.io/library/redis@${DIGEST}`,
          hosts: ["web-1", "db-1"],
          ports: [],
        },
      ],
    );
    assert.equal(config.accessories[0]!.deleteVolumesOnDestroy, false);
  });

  it("takes the base stack's one service from slipway:services", () => {
    const config = validateConfig("dev", base());
    assert.deepEqual(
      config.services.map((s) => [s.name, s.image, s.hosts, s.routes, s.configPath]),
      [["web", "web", ["web-1"], [{ host: "web.example.com", tls: true }], "slipway:services.web"]],
    );
    assert.deepEqual(config.accessories, []);
  });

  it("refuses each kind of bad input before any resource, with its path and the fix", () => {
    const raw = several();
    raw.services.worker.routes = [{ host: "w.example.com" }];
    raw.services.worker.worker = true;
    raw.services.web.routes = [...raw.services.web.routes, { host: "api.example.com", tls: true }];
    raw.services.web.role = "frontend";
    raw.services.api.replicas = 0;
    raw.services.lost = { image: "nope" };
    raw.accessories.api = { image: "postgres" };
    raw.accessories.postgres.ports[0].bind = "0.0.0.0";
    raw.accessories.redis.image = "docker.io/library/redis:7";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.api.replicas",
        message: "must be at least 1: a service runs at least one container per host",
      },
      {
        path: "slipway:services.worker.routes",
        message:
          "is set, but the service is a worker (worker: true); a worker gets no requests: remove its routes, or worker: true",
      },
      {
        path: "slipway:services.web.role",
        message:
          'no host has role "frontend"; add it to a host\'s roles in slipway:hosts or use one of web, db',
      },
      {
        path: "slipway:services.web.routes[1]",
        message:
          "is also a route of service api (host api.example.com, path any); give one of them another host or path",
      },
      {
        path: "slipway:services.lost.image",
        message: `"nope" is not in slipway:images (web, edge, api, postgres)`,
      },
      {
        path: "slipway:accessories.postgres.ports[0].bind",
        message:
          "publishes postgres on 0.0.0.0, reachable from other machines; services reach it by name without any port. Bind 127.0.0.1, or set public: true if it is meant to be reachable",
      },
      {
        path: "slipway:accessories.redis.image",
        message: `"docker.io/library/redis:7" is neither in slipway:images (web, edge, api, postgres) nor a pinned repository@sha256:<digest>; an accessory runs a fixed digest`,
      },
      {
        path: "slipway:accessories.api",
        message:
          "is also the name of a service; services and accessories share the stack's network, where each name is one container: rename one",
      },
    ]);
  });

  it("takes a published accessory port on all interfaces when public: true says so", () => {
    const raw = several();
    raw.accessories.postgres.ports = [{ containerPort: 5432, bind: "0.0.0.0", public: true }];
    assert.deepEqual(validateConfig("dev", raw).accessories[0]!.ports, [
      { containerPort: 5432, hostPort: 5432, bind: "0.0.0.0", public: true },
    ]);
  });

  it("names hosts that do not exist", () => {
    const raw = several();
    raw.services.web = { hosts: ["web-9"], routes: [{ host: "web.example.com" }] };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.web.hosts[0]",
        message: '"web-9" is not a host of slipway:hosts (web-1, db-1)',
      },
    ]);
  });

  it("defaults a service's image to its own name, and says so when there is none", () => {
    const raw = several();
    raw.services.cron = {};
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.cron",
        message:
          'has no image: none of slipway:images (web, edge, api, postgres) is called "cron"; set image: <one of them>',
      },
    ]);
  });
});

describe("config: a service's release command", () => {
  it("takes the command and a timeout (300 s by default)", () => {
    const raw = several();
    raw.services.api.release = { command: ["./api", "migrate"] };
    raw.services.web.release = { command: ["./web", "seed"], timeoutSeconds: 30 };
    const config = validateConfig("dev", raw);
    assert.deepEqual(
      config.services.map((s) => [s.name, s.release]),
      [
        ["api", { command: ["./api", "migrate"], timeoutSeconds: 300 }],
        ["worker", undefined],
        ["web", { command: ["./web", "seed"], timeoutSeconds: 30 }],
      ],
    );
  });

  it("refuses an empty command, an empty argument and a timeout out of range, by path", () => {
    const raw = several();
    raw.services.api.release = { command: [], timeoutSeconds: 0 };
    raw.services.web.release = { command: [""], timeoutSeconds: 3601 };
    raw.services.worker.release = { timeoutSeconds: 1.5 };
    assert.deepEqual(
      issuesOf(raw).map((issue) => `${issue.path}: ${issue.message}`),
      [
        "slipway:services.api.release.command: needs at least one argument",
        "slipway:services.api.release.timeoutSeconds: must be at least 1",
        "slipway:services.worker.release.command: is required",
        "slipway:services.worker.release.timeoutSeconds: must be a whole number of seconds",
        "slipway:services.web.release.command[0]: must not be empty",
        "slipway:services.web.release.timeoutSeconds: must be at most 3600 (one hour)",
      ],
    );
  });
});

describe("config: the retired slipway:service", () => {
  /** The refusal's first line; the entry to write follows, one line each. */
  const RETIRED =
    "is the retired one-service form: a service is an entry of slipway:services, and the same name keeps its containers and state on the hosts";

  it("is refused with the entry that replaces it: its name, the every-request route it had", () => {
    const raw = base();
    delete raw.services;
    raw.service = { containerPort: 8080, healthTimeoutSeconds: 60, env: { LOG_LEVEL: "debug" } };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:service",
        message: [
          `${RETIRED}; replace slipway:service with:`,
          "    slipway:services:",
          "      web:",
          "        containerPort: 8080",
          "        healthTimeoutSeconds: 60",
          "        env:",
          "          LOG_LEVEL: debug",
          "        routes:",
          "          - {}",
        ].join("\n"),
      },
    ]);
  });

  it("keeps a name apart from its image, and its routes; a secret is not shown", () => {
    const raw = base();
    delete raw.services;
    raw.service = {
      name: "shop",
      image: "web",
      routes: [{ host: "shop.example.com", tls: true }],
      secretEnv: { TOKEN: new Secret("hunter2") },
      publishedPort: 80,
    };
    const [issue] = issuesOf(raw);
    assert.equal(
      issue?.message,
      [
        `${RETIRED}; replace slipway:service with:`,
        "    slipway:services:",
        "      shop:",
        "        image: web",
        "        routes:",
        "          - host: shop.example.com",
        "            tls: true",
        "        secretEnv:",
        "          TOKEN:",
        "            secure: <as in slipway:service>",
      ].join("\n"),
    );
  });

  it("beside slipway:services, says to add the entry; a name services cannot take is named", () => {
    const raw = several();
    raw.service = { name: "web_app", image: "web" };
    const issues = issuesOf(raw);
    assert.deepEqual(issues, [
      {
        path: "slipway:service",
        message: [
          `${RETIRED} ("web_app" is not a valid service name: use lowercase letters, digits and -, starting with a letter and not ending with - (e.g. web); rename the key: new containers); remove slipway:service and add its entry to slipway:services:`,
          "    slipway:services:",
          "      web_app:",
          "        image: web",
          "        routes:",
          "          - {}",
        ].join("\n"),
      },
    ]);
  });

  it("leaves the name and image to choose when several images could be the one", () => {
    const raw = several();
    delete raw.services;
    delete raw.accessories;
    raw.service = { routes: [{ path: "/api" }] };
    assert.deepEqual(
      issuesOf(raw).map((issue) => issue.message.split("\n").slice(1)),
      [
        [
          "    slipway:services:",
          "      <name>:",
          "        image: <one of web, api, postgres>",
          "        routes:",
          "          - path: /api",
        ],
      ],
    );
  });
});

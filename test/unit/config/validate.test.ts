import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { ConfigError, markSecrets, Secret, validateConfig } from "../../../src/config";
import { base, DIGEST, issuesOf, promote } from "./fixtures";

describe("config validation", () => {
  it("rejects a malformed digest", () => {
    const raw = promote();
    raw.images.web.pin.digest = "sha256:abc123";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.pin.digest",
        message: "a sha256 digest has 64 hex digits after 'sha256:'; this has 6",
      },
    ]);
  });

  it("rejects a digest with another algorithm", () => {
    const raw = promote();
    raw.images.web.pin.digest = `md5:${"a".repeat(32)}`;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.pin.digest",
        message: `digest algorithm "md5" is not supported; use sha256`,
      },
    ]);
  });

  it("rejects an unknown platform", () => {
    const raw = base();
    raw.images.web.build.platforms = ["linux/amd64", "linux/s390x"];
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.build.platforms[1]",
        message: `"linux/s390x" is not one of linux/amd64, linux/arm64`,
      },
    ]);
  });

  it("rejects a build in a promote stack", () => {
    const raw = promote();
    raw.images.web = { build: { context: "app" } };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.build",
        message:
          "a promote stack never builds; pin the digest a build stack produced: slipway promote --from <build stack> --to <this stack>",
      },
    ]);
  });

  it("rejects a tag without a digest in a promote stack", () => {
    const raw = promote();
    raw.images.web = { pin: { tag: "v1.2.3" } };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.pin.digest",
        message:
          "is required: a tag can move, pin the digest it points to (slipway promote resolves it)",
      },
    ]);
  });

  it("rejects a reviewer list over GitHub's limit of 6", () => {
    const raw = base();
    raw.github.reviewers = { users: ["a", "b", "c", "d", "e"], teams: ["t1", "t2"] };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:github.reviewers",
        message:
          "lists 7 reviewers; GitHub allows at most 6 (users and teams together) per environment",
      },
    ]);
  });

  for (const minutes of [43201, -1]) {
    it(`rejects a wait timer of ${minutes} minutes`, () => {
      const raw = base();
      raw.github.waitTimer = minutes;
      assert.deepEqual(issuesOf(raw), [
        {
          path: "slipway:github.waitTimer",
          message: "must be between 0 and 43200 minutes (30 days)",
        },
      ]);
    });
  }

  it("rejects a host with no key", () => {
    const raw = base();
    delete raw.hosts[0].privateKey;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:hosts[0]",
        message:
          "has no SSH key: set privateKey (pulumi config set --secret --path 'slipway:hosts[0].privateKey' < key) or privateKeyFile",
      },
    ]);
  });

  it("accepts a local-transport host without a key", () => {
    const raw = base();
    raw.hosts = [{ name: "here", transport: "local" }];
    const config = validateConfig("local", raw);
    assert.deepEqual(config.hosts, [
      { name: "here", transport: "local", address: "127.0.0.1", port: 22, user: "root", roles: [] },
    ]);
  });

  it("rejects an image name that is not a repository component", () => {
    const raw = base();
    raw.images = { "Web App": raw.images.web, edge: raw.images.edge };
    raw.services.web.image = "Web App";
    assert.deepEqual(issuesOf(raw), [
      {
        path: `slipway:images["Web App"]`,
        message: `"Web App" is not a valid image name: use lowercase letters and digits, with . _ or - between them`,
      },
    ]);
  });

  it("rejects a secret given in plain text where a secret is required", () => {
    const raw = base();
    raw.registry.password = "hunter2";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:registry.password",
        message:
          "must be a secret, not plain text; set it with: pulumi config set --secret --path 'slipway:registry.password' <value>",
      },
    ]);
  });

  it("rejects a secret passed as a build arg", () => {
    const raw = base();
    raw.images.web.build.args = {
      NPM_TOKEN: "x",
      GITHUB_API_KEY: "y",
      CACHE_BUST: new Secret("z"),
    };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.build.args.CACHE_BUST",
        message:
          "is stored as a secret, but a build arg would show it in plain text; build args are kept in the image history; pass it in build.secrets and read it with RUN --mount=type=secret",
      },
      {
        path: "slipway:images.web.build.args.NPM_TOKEN",
        message: "is also a build secret; a secret must never be a build arg, remove it here",
      },
      {
        path: "slipway:images.web.build.args.GITHUB_API_KEY",
        message:
          "looks like a secret, and build args are kept in the image history; pass it in build.secrets and read it with RUN --mount=type=secret",
      },
    ]);
  });

  it("rejects a cache mode that does not exist", () => {
    const raw = base();
    raw.images.web.build.cache = { mode: "s3" };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.build.cache.mode",
        message: `"s3" is not a cache mode; use one of registry, gha, none`,
      },
    ]);
  });

  describe("paths against the project", () => {
    let root: string;
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-config-"));
      fs.mkdirSync(path.join(root, "app"));
      fs.writeFileSync(path.join(root, "app", "Dockerfile"), "FROM scratch\n");
      fs.mkdirSync(path.join(root, "empty"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("accepts a context with its Dockerfile", () => {
      assert.equal(validateConfig("dev", base(), { root }).images[0]!.name, "web");
    });

    it("rejects a context path outside the repository", () => {
      const raw = base();
      raw.images.web.build.context = "../elsewhere";
      assert.deepEqual(issuesOf(raw, root), [
        {
          path: "slipway:images.web.build.context",
          message: `"../elsewhere" is outside the project; a build context must be a folder inside it`,
        },
      ]);
    });

    it("rejects a Dockerfile that does not exist", () => {
      const raw = base();
      raw.images.web.build.context = "empty";
      assert.deepEqual(issuesOf(raw, root), [
        {
          path: "slipway:images.web.build.context",
          message: `Dockerfile "empty/Dockerfile" does not exist`,
        },
      ]);
      raw.images.web.build.context = "app";
      raw.images.web.build.dockerfile = "app/Dockerfile.prod";
      assert.deepEqual(issuesOf(raw, root), [
        {
          path: "slipway:images.web.build.dockerfile",
          message: `Dockerfile "app/Dockerfile.prod" does not exist`,
        },
      ]);
    });
  });

  it("reports every problem at once, and the error message lists them", () => {
    const raw = base();
    raw.registry.password = "plain";
    raw.images.web.build.platforms = ["linux/s390x"];
    raw.github.waitTimer = 99999;
    raw.hosts[0].port = 70000;
    raw.sevice = {};
    let error: unknown;
    try {
      validateConfig("dev", raw);
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.issues.map((issue) => issue.path),
      [
        "slipway:sevice",
        "slipway:registry.password",
        "slipway:images.web.build.platforms[0]",
        "slipway:hosts[0].port",
        "slipway:github.waitTimer",
      ],
    );
    assert.equal(
      error.message.split("\n")[0],
      `config of stack "dev" has 5 problems; nothing was changed:`,
    );
    assert.equal(
      error.message.split("\n")[4],
      "  slipway:hosts[0].port: must be a port between 1 and 65535",
    );
  });

  it("names an unknown field and a missing required one", () => {
    const raw = base();
    raw.registry = { servr: "ghcr.io" };
    raw.services = { web: { containerPort: 8080, healthpath: "/up" } };
    assert.deepEqual(issuesOf(raw), [
      { path: "slipway:registry.server", message: "is required" },
      {
        path: "slipway:registry.servr",
        message: "unknown key; did you mean server?",
      },
      {
        path: "slipway:services.web.healthpath",
        message: "unknown key; did you mean healthPath?",
      },
    ]);
  });

  it("turns a valid config into the typed object with defaults filled in", () => {
    const config = validateConfig("dev", base());
    const registryPassword = config.registry.password;
    const buildSecret =
      config.images[0]!.kind === "build" ? config.images[0]!.build.secrets.NPM_TOKEN : undefined;
    assert.equal(registryPassword?.reveal(), "hunter2");
    assert.equal(buildSecret?.reveal(), "npm-token");
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      stack: "dev",
      target: "ssh",
      role: "build",
      registry: {
        server: "ghcr.io",
        namespace: "acme",
        username: "bot",
        password: "[secret]",
        insecure: false,
        repositories: {},
      },
      images: [
        {
          kind: "build",
          name: "web",
          build: {
            context: "app",
            target: "prod",
            platforms: ["linux/amd64", "linux/arm64"],
            args: { APP_MODE: "production" },
            secrets: { NPM_TOKEN: "[secret]" },
            cache: { mode: "registry" },
            buildOnPreview: false,
            tags: [],
            stamp: "commit",
          },
        },
        {
          kind: "build",
          name: "edge",
          build: {
            context: "app",
            platforms: ["linux/amd64", "linux/arm64"],
            args: {},
            secrets: {},
            cache: { mode: "registry" },
            buildOnPreview: false,
            tags: [],
            stamp: "none",
          },
        },
      ],
      hosts: [
        {
          name: "web-1",
          transport: "ssh",
          address: "203.0.113.10",
          port: 22,
          user: "deploy",
          privateKey: "[secret]",
          roles: [],
        },
      ],
      services: [
        {
          name: "web",
          image: "web",
          configPath: "slipway:services.web",
          hosts: ["web-1"],
          command: [],
          containerPort: 8080,
          routes: [{ host: "web.example.com", tls: true }],
          healthPath: "/healthz",
          healthTimeoutSeconds: 60,
          drainSeconds: 1,
          env: {},
          secretEnv: {},
          secretEnvFiles: {},
          batchSize: 1,
          keepReleases: 3,
          rollbackWindowSeconds: 600,
          replicas: 1,
        },
      ],
      accessories: [],
      network: "slipway-dev",
      maintenance: {},
      edge: {
        name: "slipway-edge",
        image: "edge",
        httpPort: 80,
        httpsPort: 443,
        bind: "0.0.0.0",
        tls: "acme",
        email: "ops@example.com",
      },
      github: {
        owner: "acme",
        repository: "web",
        environment: "production",
        reviewers: { users: ["alice"], teams: ["platform"] },
        waitTimer: 10,
        preventSelfReview: false,
        secrets: {},
        variables: {},
      },
      attestations: { provenance: "max", sbom: false, sign: false },
    });
  });

  it("rejects admin bypass in a promote stack", () => {
    const raw = promote();
    raw.github.canAdminsBypass = true;
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:github.canAdminsBypass",
        message: "must be false in a promote stack: approvals bind admins too",
      },
    ]);
  });

  it("rejects a branch pattern GitHub refuses", () => {
    const raw = base();
    raw.github.deploymentBranches = { branches: ["main", "release/ x"] };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:github.deploymentBranches.branches[1]",
        message: `"release/ x" is not a valid ref pattern (no spaces, ~ ^ : \\, '..', '@{' or '//')`,
      },
    ]);
  });
});

describe("secrets in config", () => {
  it("never print their value", () => {
    const secret = new Secret("s3cr3t-value");
    const shown = [
      String(secret),
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a template shows
      `${secret}`,
      JSON.stringify({ secret }),
      inspect({ secret }),
    ].join(" ");
    assert.ok(!shown.includes("s3cr3t-value"), shown);
    assert.equal(secret.reveal(), "s3cr3t-value");
  });

  it("are the `secure:` leaves of the stack file", () => {
    const raw = markSecrets({
      values: { registry: { server: "ghcr.io", username: "bot", password: "pw" }, role: "build" },
      secretKeys: new Set(["registry"]),
      stackFile: [
        "config:",
        "  slipway:role: build",
        "  slipway:registry:",
        "    server: ghcr.io",
        "    username: bot",
        "    password:",
        "      secure: v1:abc",
      ].join("\n"),
    });
    const registry = raw.registry as Record<string, unknown>;
    assert.equal(registry.server, "ghcr.io");
    assert.equal(registry.username, "bot");
    assert.ok(registry.password instanceof Secret);
    assert.equal(registry.password.reveal(), "pw");
  });

  it("cover a whole key the engine marks secret when the stack file does not hold it", () => {
    const raw = markSecrets({
      values: { services: { web: { containerPort: 8080, secretEnv: { TOKEN: "t" } } } },
      secretKeys: new Set(["services"]),
    });
    const service = (raw.services as Record<string, unknown>).web as {
      containerPort: number;
      secretEnv: { TOKEN: unknown };
    };
    assert.equal(service.containerPort, 8080);
    assert.ok(service.secretEnv.TOKEN instanceof Secret);
  });
});

describe("secrets that cannot travel", () => {
  it("a multi-line secret env value is refused at validation, without showing it", () => {
    const raw = base();
    raw.services.web.secretEnv = {
      TLS_KEY: new Secret("-----BEGIN KEY-----\nabc\n-----END KEY-----"),
    };
    raw.registry.password = new Secret("token\n");
    const issues = issuesOf(raw);
    assert.deepEqual(issues, [
      {
        path: "slipway:registry.password",
        message: "contains a line break, CR or NUL; a registry password or token is one line",
      },
      {
        path: "slipway:services.web.secretEnv.TLS_KEY",
        message:
          "contains a line break, CR or NUL; an env file holds one line per variable: encode it (e.g. base64) and decode it in the app",
      },
    ]);
    assert.ok(!JSON.stringify(issues).includes("BEGIN KEY"));
  });
});

describe("held-out inputs", () => {
  it("refuses a hostKey that does not parse as an SSH public key", () => {
    const raw = base();
    raw.hosts[0].hostKey = "ssh-ed25519 not-base64!";
    raw.hosts[0].proxy = {
      address: "203.0.113.1",
      privateKey: new Secret("BASTION"),
      // A real ed25519 blob labelled as RSA: the blob names its own type.
      hostKey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIE633cjNK3Ie1UcW6/kwhWtayyq9pSdcnoMKpwaCkcH0",
    };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:hosts[0].hostKey",
        message:
          'is not an SSH public key: the key after ssh-ed25519 is not base64; give the line "<type> <base64 key>" ' +
          "that ssh-keyscan prints or /etc/ssh/ssh_host_ed25519_key.pub holds",
      },
      {
        path: "slipway:hosts[0].proxy.hostKey",
        message:
          'is not an SSH public key: the base64 key does not encode a ssh-rsa key; give the line "<type> <base64 key>" ' +
          "that ssh-keyscan prints or /etc/ssh/ssh_host_ed25519_key.pub holds",
      },
    ]);
  });

  it("refuses a hostKey whose first word is not a key type", () => {
    const raw = base();
    raw.hosts[0].hostKey = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:hosts[0].hostKey",
        message:
          'is not an SSH public key: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" is not a key type ' +
          '(ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, …); give the line "<type> <base64 key>" that ssh-keyscan ' +
          "prints or /etc/ssh/ssh_host_ed25519_key.pub holds",
      },
    ]);
  });

  it("refuses a GitHub environment name over 255 characters or with characters GitHub refuses", () => {
    const long = base();
    long.github.environment = "p".repeat(256);
    assert.deepEqual(issuesOf(long), [
      {
        path: "slipway:github.environment",
        message: "has 256 characters; GitHub allows at most 255",
      },
    ]);
    const odd = base();
    odd.github.environment = "prod:eu";
    assert.deepEqual(issuesOf(odd), [
      {
        path: "slipway:github.environment",
        message:
          '"prod:eu" is not an environment name GitHub accepts: letters, digits, spaces and . _ - /',
      },
    ]);
    const ok = base();
    ok.github.environment = "review/eu west_1.a";
    assert.equal(validateConfig("prod", ok).github?.environment, "review/eu west_1.a");
  });

  it("refuses a healthPath with a space at validation, with its config path", () => {
    const raw = base();
    raw.services.web.healthPath = "/health check";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:services.web.healthPath",
        message:
          '"/health check" has a space or control character; a URL path has none (write a space as %20)',
      },
    ]);
  });

  it("refuses an edge port that is a host's SSH port", () => {
    const raw = base();
    raw.edge.httpPort = 22;
    (raw.hosts as unknown[]).push({ name: "web-2", port: 2222, privateKey: new Secret("K2") });
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:edge.httpPort",
        message:
          '22 is the SSH port of host "web-1" (slipway:hosts[0].port); the edge cannot own the port sshd ' +
          "listens on: choose another httpPort",
      },
    ]);
  });

  it("takes a number or boolean that `pulumi config set --path` stored in env as its text", () => {
    const raw = base();
    raw.services.web.env = { WORKERS: 4, DEBUG: false, RATIO: 0.5 };
    raw.github.variables = { REPLICAS: 3 };
    const config = validateConfig("prod", raw);
    assert.deepEqual(config.services[0]?.env, { WORKERS: "4", DEBUG: "false", RATIO: "0.5" });
    assert.deepEqual(config.github?.variables, { REPLICAS: "3" });
  });

  it("refuses a privateKeyFile that does not exist, naming the path it looked at", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-home-"));
    try {
      fs.mkdirSync(path.join(home, ".ssh"));
      fs.writeFileSync(path.join(home, ".ssh", "bastion"), "KEY\n", { mode: 0o600 });
      const raw = base();
      raw.hosts[0] = {
        name: "web-1",
        privateKeyFile: "~/.ssh/missing",
        proxy: { address: "203.0.113.1", privateKeyFile: "~/.ssh/bastion" },
      };
      let error: unknown;
      try {
        validateConfig("prod", raw, { home });
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues, [
        {
          path: "slipway:hosts[0].privateKeyFile",
          message: `"~/.ssh/missing" does not exist (${home}/.ssh/missing); point it at the SSH private key, or set privateKey instead`,
        },
      ]);
      assert.ok(!String(error.stack).includes("checks.ts"), "the message is the whole story");
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('says "empty" for an empty team slug or login', () => {
    const raw = base();
    raw.github.reviewers = { users: [" "], teams: ["platform", ""] };
    assert.deepEqual(issuesOf(raw), [
      { path: "slipway:github.reviewers.users[0]", message: "is empty; give a GitHub login" },
      {
        path: "slipway:github.reviewers.teams[1]",
        message: "is empty; give the team's slug (the last part of its URL), e.g. platform",
      },
    ]);
  });

  it("says to give only the digest when a full image reference is pinned", () => {
    const raw = promote();
    raw.images.web.pin.digest = `ghcr.io/acme/web@${DIGEST}`;
    raw.images.edge.pin.digest = "ghcr.io/acme/edge:v1";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:images.web.pin.digest",
        message: `is a full image reference; give only the digest: ${DIGEST}`,
      },
      {
        path: "slipway:images.edge.pin.digest",
        message: "is an image reference, not a digest; give only sha256:<64 hex digits>",
      },
    ]);
  });

  it("refuses GITHUB_OWNER or GITHUB_ORGANIZATION naming another account than the owner", () => {
    let error: unknown;
    try {
      validateConfig("prod", base(), {
        env: { GITHUB_OWNER: "ACME", GITHUB_ORGANIZATION: "evil-corp" },
      });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues, [
      {
        path: "slipway:github.owner",
        message:
          'is "acme", but GITHUB_ORGANIZATION="evil-corp" is set and the GitHub provider would send every ' +
          'request to "evil-corp"; unset GITHUB_ORGANIZATION or make it match',
      },
    ]);
  });
});

describe("GitHub provider settings", () => {
  it("take an http(s) base URL and a token that must be a secret", () => {
    const raw = base();
    raw.github.baseUrl = "github.example.com";
    raw.github.token = "ghp_plain";
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:github.baseUrl",
        message: "must be an http(s) URL, e.g. https://github.example.com/",
      },
      {
        path: "slipway:github.token",
        message:
          "must be a secret, not plain text; set it with: pulumi config set --secret --path 'slipway:github.token' <value>",
      },
    ]);
    const ok = base();
    ok.github.baseUrl = "https://github.example.com/";
    ok.github.token = new Secret("ghp_x");
    const config = validateConfig("prod", ok);
    assert.equal(config.github?.baseUrl, "https://github.example.com/");
    assert.equal(config.github?.token?.reveal(), "ghp_x");
  });

  it("in the github: namespace are refused, naming the Slipway key that takes their place", () => {
    let error: unknown;
    try {
      validateConfig("prod", base(), { foreignKeys: ["github:token", "github:insecure"] });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues, [
      {
        path: "github:token",
        message:
          "is not read: Slipway's GitHub environment configures its own provider; set slipway:github.token instead " +
          "(pulumi config set --secret --path 'slipway:github.token' <token>)",
      },
      {
        path: "github:insecure",
        message:
          "is not read: Slipway's GitHub environment configures its own provider from slipway:github; remove it",
      },
    ]);
  });
});

import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parsePruneLines, pruneScript, type PruneDefinition } from "../../../src/deploy";

const REPO = "registry.example.com/acme/web";
const sha = (c: string) => `sha256:${c.repeat(64)}`;

/** A `docker` that answers from files in `$FAKE` and logs what it removes. */
const FAKE_DOCKER = `#!/bin/sh
case "$1 $2" in
  "ps --all")
    if printf '%s' "$*" | grep -q label=slipway.service=; then cat "$FAKE"/containers; else cut -d' ' -f1 "$FAKE"/used; fi ;;
  "inspect --format")
    if [ "$3" = '{{.Image}}' ]; then
      shift 3
      for id in "$@"; do grep "^$id " "$FAKE"/used | cut -d' ' -f2; done
    else
      cat "$FAKE/state-$4" 2>/dev/null || echo exited
    fi ;;
  "image ls")
    # As the containerd image store: {{.Digest}} is empty without --digests.
    if printf '%s' "$*" | grep -q -- --digests; then cat "$FAKE"/images; else sed 's/@sha256:[0-9a-f]*/@/' "$FAKE"/images; fi ;;
  "rm --force") echo "rm $3" >> "$FAKE"/log ;;
  "image rm")
    echo "rmi $3" >> "$FAKE"/log
    if [ "$3" = "${REPO}@${sha("e")}" ]; then echo "Error response from daemon: conflict: unable to delete (must be forced)" >&2; exit 1; fi ;;
esac
`;

describe("prune (src/deploy/prune-script)", () => {
  let dir: string;
  let def: PruneDefinition;
  const run = (script: string) =>
    execFileSync("/bin/sh", ["-c", script], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FAKE: dir, PATH: `${dir}/bin:${process.env.PATH!}` },
    });
  const log = () =>
    fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : "";

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-prune-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "docker"), FAKE_DOCKER, { mode: 0o755 });
    fs.mkdirSync(path.join(dir, "web"));
    fs.writeFileSync(path.join(dir, "web", "current"), "web-cur\n");
    // Newest first, as docker ps lists them; web-old2 is still running (in its drain).
    fs.writeFileSync(
      path.join(dir, "containers"),
      "web-cur\nweb-old1\nweb-old2\nweb-old3\nweb-old4\n",
    );
    fs.writeFileSync(path.join(dir, "state-web-old2"), "running\n");
    // Containers (ID, image ID): whatever reference a container was created with (a digest,
    // a tag, an ID), docker inspect gives its image's ID. c3 uses REPO@9, created by a tag.
    fs.writeFileSync(path.join(dir, "used"), `c1 ${sha("1")}\nc2 ${sha("b")}\nc3 ${sha("7")}\n`);
    // Images (reference, ID); an image's ID under the containerd store is mostly its index
    // digest, not always (a's and 9's here): prune must match IDs, not digests.
    fs.writeFileSync(
      path.join(dir, "images"),
      [
        `${REPO}@${sha("a")} ${sha("1")}`,
        ...[sha("c"), sha("d"), sha("e")].map((d) => `${REPO}@${d} ${d}`),
        `${REPO}@${sha("9")} ${sha("7")}`,
        `other@${sha("f")} ${sha("f")}`,
        "",
      ].join("\n"),
    );
    def = {
      host: "web-1",
      stack: "prod",
      services: [
        { service: "web", dir: path.join(dir, "web"), keepReleases: 1 },
        { service: "api", dir: path.join(dir, "api"), keepReleases: 1 },
      ],
      repositories: [REPO],
      pinned: [sha("c")],
      dryRun: false,
    };
  });
  afterEach(() =>
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  );

  it("removes stopped releases beyond keepReleases and images nothing uses or pins", () => {
    assert.deepEqual(parsePruneLines(run(pruneScript(def))), [
      { kind: "container", name: "web-old3", action: "removed" },
      { kind: "container", name: "web-old4", action: "removed" },
      { kind: "image", name: `${REPO}@${sha("d")}`, action: "removed" },
      {
        kind: "image",
        name: `${REPO}@${sha("e")}`,
        action: "kept: Error response from daemon: conflict: unable to delete (must be forced)",
      },
    ]);
    assert.equal(
      log(),
      `rm web-old3\nrm web-old4\nrmi ${REPO}@${sha("d")}\nrmi ${REPO}@${sha("e")}\n`,
    );
    // Under the service's deploy lock, saying who held it last.
    assert.match(
      fs.readFileSync(path.join(dir, "web", "lock.owner"), "utf8"),
      /^stack prod, \S+ from this machine \(pid \d+\) since \S+Z\n$/,
    );
  });

  it("--dry-run: the same list, nothing removed", () => {
    assert.deepEqual(
      parsePruneLines(run(pruneScript({ ...def, dryRun: true }))).map(
        (l) => `${l.name} ${l.action}`,
      ),
      [
        "web-old3 would remove",
        "web-old4 would remove",
        `${REPO}@${sha("d")} would remove`,
        `${REPO}@${sha("e")} would remove`,
      ],
    );
    assert.equal(log(), "");
  });

  it("a service whose deploy lock is held is refused on that host", () => {
    const holder = execFileSync(
      "/bin/sh",
      [
        "-c",
        `flock -n "$1" sleep 5 >/dev/null 2>&1 & echo $!`,
        "sh",
        path.join(dir, "web", "lock"),
      ],
      { encoding: "utf8" },
    );
    try {
      execFileSync("sleep", ["0.3"]);
      assert.throws(
        () => run(pruneScript(def)),
        /another deploy of web holds the lock on this host/,
      );
      assert.equal(log(), "");
    } finally {
      process.kill(Number(holder.trim()));
    }
  });
});

/**
 * A request loop for release tests and benchmarks: bounded (it runs until stopped, on
 * loopback only), counting requests, failures and the bodies seen.
 */
import * as http from "node:http";
import type * as net from "node:net";
import { performance } from "node:perf_hooks";

export interface LoadCount {
  requests: number;
  failures: number;
  errors: string[];
  /** How many answers each release id got. */
  bodies: Record<string, number>;
  /** Milliseconds (since the load started) of the first and the last failure. */
  firstFailure?: number;
  lastFailure?: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RequestOptions {
  /** Host header (routes match on it); default `127.0.0.1:<port>`. */
  readonly host?: string;
  /** A keep-alive agent; default a fresh connection per request. */
  readonly agent?: http.Agent;
  readonly timeoutMs?: number;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The socket that carried it. */
  readonly socket: net.Socket | undefined;
}

/** One GET to 127.0.0.1:`port`. */
export function request(port: number, urlPath: string, opts: RequestOptions = {}): Promise<Answer> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let socket: net.Socket | undefined;
    const req = http.get(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        agent: opts.agent ?? false,
        timeout: timeoutMs,
        ...(opts.host === undefined ? {} : { headers: { Host: opts.host } }),
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body, headers: response.headers, socket }),
        );
        response.on("error", reject);
      },
    );
    req.on("socket", (s) => (socket = s));
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** One answered request of a load: when it started and ended (performance.now(), ms). */
export interface Sample {
  readonly start: number;
  readonly end: number;
  /** The body (the release version) of a 200; empty for a failure. */
  readonly version: string;
  readonly ok: boolean;
}

export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  /** Failure reasons, at most 20. */
  readonly errors: string[];
  /** How many answers each body (the release version) got. */
  readonly versions: Record<string, number>;
  readonly samples: readonly Sample[];
  /** Distinct client sockets used (a keep-alive load that was never cut: one per worker). */
  readonly sockets: number;
  /** When the load started (performance.now(), ms), the origin of `samples`' times. */
  readonly started: number;
}

export interface LoadOptions {
  /** Host header of every request. */
  readonly host?: string;
  /** Reuse connections: one keep-alive socket per worker. */
  readonly keepAlive?: boolean;
  /** What a 200's body (trimmed) must be; another body is a failure too. */
  readonly body?: RegExp;
}

/**
 * Hits `port` with `workers` parallel request loops until stopped. A request fails when it
 * errors, times out, does not answer 200 or (with `body`) answers another body.
 */
export function loadLoop(
  port: number,
  urlPath = "/cgi-bin/version",
  workers = 4,
  options: LoadOptions = {},
): { stop: () => Promise<LoadResult> } {
  const started = performance.now();
  let running = true;
  let requests = 0;
  let failures = 0;
  const errors: string[] = [];
  const versions: Record<string, number> = {};
  const samples: Sample[] = [];
  const sockets = new Set<net.Socket>();
  const agent = options.keepAlive
    ? new http.Agent({ keepAlive: true, maxSockets: workers, maxFreeSockets: workers })
    : undefined;
  const worker = async () => {
    while (running) {
      requests++;
      const start = performance.now();
      try {
        const answer = await request(port, urlPath, {
          ...(options.host === undefined ? {} : { host: options.host }),
          ...(agent === undefined ? {} : { agent }),
        });
        if (answer.socket !== undefined) sockets.add(answer.socket);
        const text = answer.body.trim();
        const ok = answer.status === 200 && (options.body === undefined || options.body.test(text));
        const version = ok ? text : "";
        samples.push({ start, end: performance.now(), version, ok });
        if (ok) {
          versions[version] = (versions[version] ?? 0) + 1;
        } else {
          failures++;
          if (errors.length < 20)
            errors.push(
              answer.status === 200 ? `HTTP 200 ${text.slice(0, 60)}` : `HTTP ${answer.status}`,
            );
        }
      } catch (error) {
        failures++;
        samples.push({ start, end: performance.now(), version: "", ok: false });
        if (errors.length < 20) errors.push((error as Error).message);
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    stop: async () => {
      running = false;
      await all;
      agent?.destroy();
      return { requests, failures, errors, versions, samples, sockets: sockets.size, started };
    },
  };
}

/**
 * `loadLoop` for the benches: requests `path` with `Host: host` on 127.0.0.1:`port` from
 * `workers` loops until stopped; every answer must be 200 with a release id (`r1`, `r2`, …)
 * as its body. Counts, plus when the first and the last failure came.
 */
export function load(
  port: number,
  host: string,
  urlPath: string,
  keepAlive: boolean,
  workers: number,
): { stop: () => Promise<LoadCount> } {
  const loop = loadLoop(port, urlPath, workers, { host, keepAlive, body: /^r\d+$/ });
  return {
    stop: async () => {
      const result = await loop.stop();
      const failed = result.samples.filter((sample) => !sample.ok);
      return {
        requests: result.requests,
        failures: result.failures,
        errors: result.errors,
        bodies: result.versions,
        ...(failed.length === 0
          ? {}
          : {
              firstFailure: Math.min(...failed.map((sample) => sample.end)) - result.started,
              lastFailure: Math.max(...failed.map((sample) => sample.end)) - result.started,
            }),
      };
    },
  };
}

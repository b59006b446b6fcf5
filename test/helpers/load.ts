/**
 * A request loop for release tests and benchmarks: bounded (it runs until stopped, on
 * loopback only), counting requests, failures and the bodies seen.
 */
import * as http from "node:http";

export interface LoadCount {
  requests: number;
  failures: number;
  errors: string[];
  bodies: Record<string, number>;
  /** Milliseconds (since the load started) of the first and the last failure. */
  firstFailure?: number;
  lastFailure?: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Requests `path` with `Host: host` on 127.0.0.1:`port` from `workers` loops until stopped;
 * every answer must be 200 with a release id (`r1`, `r2`, …) as its body.
 */
export function load(
  port: number,
  host: string,
  urlPath: string,
  keepAlive: boolean,
  workers: number,
): { stop: () => Promise<LoadCount> } {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: workers }) : false;
  let running = true;
  const started = Date.now();
  const count: LoadCount = { requests: 0, failures: 0, errors: [], bodies: {} };
  const failed = (why: string) => {
    count.failures++;
    if (count.errors.length < 10) count.errors.push(why);
    const at = Date.now() - started;
    count.firstFailure ??= at;
    count.lastFailure = at;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const request = http.get(
        { host: "127.0.0.1", port, path: urlPath, agent, headers: { Host: host }, timeout: 5000 },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => {
            const text = body.trim();
            count.bodies[text] = (count.bodies[text] ?? 0) + 1;
            if (response.statusCode !== 200 || !/^r\d+$/.test(text)) {
              count.failures++;
              if (count.errors.length < 10)
                count.errors.push(`HTTP ${response.statusCode} ${text.slice(0, 60)}`);
            }
            resolve();
          });
          response.on("error", (error) => {
            failed(error.message);
            resolve();
          });
        },
      );
      request.on("timeout", () => request.destroy(new Error("timed out")));
      request.on("error", (error) => {
        failed(error.message);
        resolve();
      });
    });
  const worker = async () => {
    while (running) {
      count.requests++;
      await one();
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    stop: async () => {
      running = false;
      await all;
      if (agent) agent.destroy();
      return count;
    },
  };
}

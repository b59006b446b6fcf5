/**
 * What the e2e tests ask of a twin's host: requests through its edge by Host header, the
 * containers that run, and the engine's resource changes of an update.
 */
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import type { UpResult } from "@pulumi/pulumi/automation";

/** A JSON request through the edge on 127.0.0.1:`port` with Host `host`. */
export function apiRequest(
  port: number,
  host: string,
  method: "GET" | "POST",
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: pathname,
        method,
        headers: { Host: host, "Content-Type": "application/json" },
        timeout: 10000,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`${method} ${host}${pathname} timed out`)),
    );
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

/** Container id by name, for every running container whose name starts with `prefix`. */
export function ids(prefix: string): Record<string, string> {
  const listed = docker("ps", "--format", "{{.Names}} {{.ID}}", "--filter", `name=^${prefix}`);
  return Object.fromEntries(
    listed
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split(" ") as [string, string]),
  );
}

/** The update's resource changes other than none, by kind (`create`, `update`, `same`…). */
export function changes(result: UpResult): Record<string, number> {
  return Object.fromEntries(
    Object.entries(result.summary.resourceChanges ?? {}).filter(([, count]) => (count ?? 0) > 0),
  );
}

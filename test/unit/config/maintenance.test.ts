import { strict as assert } from "node:assert";
import { validateConfig } from "../../../src/config";
import { base, issuesOf } from "./fixtures";

describe("slipway:maintenance", () => {
  it("is empty when absent; an entry gets the default Retry-After", () => {
    assert.deepEqual(validateConfig("dev", base()).maintenance, {});
    const raw = base();
    raw.maintenance = { web: { message: "Back at 10:00" } };
    assert.deepEqual(validateConfig("dev", raw).maintenance, {
      web: { message: "Back at 10:00", retryAfter: 60 },
    });
  });

  it("refuses a bad Retry-After and an unknown field by path", () => {
    const raw = base();
    raw.maintenance = { web: { retryAfter: 0, mesage: "x" } };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:maintenance.web.retryAfter",
        message: "must be at least 1",
      },
      {
        path: "slipway:maintenance.web.mesage",
        message: "unknown key; did you mean message?",
      },
    ]);
  });

  it("names only routed services of the stack", () => {
    const raw = base();
    delete raw.services;
    raw.services = { web: { routes: [{ host: "web.example.com" }] }, jobs: { image: "web" } };
    raw.maintenance = { jobs: {}, wbe: {} };
    assert.deepEqual(issuesOf(raw), [
      {
        path: "slipway:maintenance.jobs",
        message:
          "jobs has no routes (a worker): only routed services answer a maintenance page; remove this entry",
      },
      {
        path: "slipway:maintenance.wbe",
        message:
          "is not a routed service of this stack (routed: web); remove this entry or fix the name",
      },
    ]);
  });
});

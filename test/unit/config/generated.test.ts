import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { generatedFiles, projectConfig } from "../../../src/config/generate";
import { keySchema, stackFileSchema } from "../../../src/config/json-schema";

const ROOT = path.resolve(__dirname, "../../..");

describe("files generated from the config schemas", () => {
  for (const [file, text] of Object.entries(generatedFiles(ROOT))) {
    it(`${file} is what npm run schema writes`, () => {
      const committed = fs.readFileSync(path.join(ROOT, file), "utf8");
      assert.ok(
        committed === text,
        `${file} differs from the config schemas in src/config/; run npm run schema and commit it`,
      );
    });
  }

  it("a route's JSON Schema: the fields, their types, defaults and descriptions, nothing else", () => {
    const services = keySchema("services");
    const entry = services.additionalProperties as Record<string, any>;
    assert.deepEqual(services.propertyNames, {
      type: "string",
      pattern: "^[a-z]([a-z0-9-]*[a-z0-9])?$",
    });
    assert.deepEqual(entry.properties.routes.items, {
      type: "object",
      properties: {
        host: {
          description:
            "Host name the route answers (`app.example.com`, `*.example.com`); absent: any host.",
          type: "string",
          pattern: "^(\\*\\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$",
        },
        path: {
          description: "Path prefix (`/api`): requests for it and below; passed on unchanged.",
          type: "string",
          pattern: "^(\\/[A-Za-z0-9._~!$&'()+,;=:@%-]+)+$",
        },
        tls: {
          default: false,
          description:
            "Serve the route over HTTPS too, with a certificate the edge obtains (needs `host`).",
          type: "boolean",
        },
        redirect: {
          description:
            "Answer plain-HTTP requests with a redirect to HTTPS (only with `tls`); default: `tls`.",
          type: "boolean",
        },
      },
      additionalProperties: false,
    });
  });

  it("a secret is a secure: value, env takes numbers as text, a retired key takes nothing", () => {
    const services = keySchema("services").additionalProperties as Record<string, any>;
    const service = services.properties as Record<string, any>;
    assert.deepEqual(service.secretEnv.additionalProperties, {
      type: "object",
      description:
        "A Pulumi secret: `pulumi config set --secret --path '<path>' <value>` writes it as `secure: v1:…`; a plain value here is an error.",
      properties: { secure: { type: "string" } },
      required: ["secure"],
      additionalProperties: false,
    });
    assert.deepEqual(service.env, {
      description: "Plain environment variables.",
      type: "object",
      propertyNames: { type: "string" },
      additionalProperties: { type: ["string", "number", "boolean"] },
      default: {},
    });
    assert.deepEqual(keySchema("service"), {
      description:
        "Retired: the one-service form. Write the service as one entry of `slipway:services` (`<name>:` with the same fields; `routes: [{}]` routes every request, as this form did); a stack with it is refused, with the entry to write.",
      not: {},
    });
  });

  it("the stack file: every slipway: key, an unknown one or a misspelt namespace refused by name", () => {
    const config = (stackFileSchema().properties as Record<string, any>).config;
    const keys = Object.keys(config.properties);
    assert.equal(keys.length, 20);
    assert.equal(keys[0], "slipway:role");
    assert.deepEqual(config.propertyNames, {
      anyOf: [{ enum: keys }, { not: { pattern: "^slipway[:._-]" } }],
    });
  });

  it("Pulumi.yaml declares the keys whose default equals leaving them out: description and default, no type", () => {
    const config = projectConfig() as Record<string, Record<string, unknown>>;
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(config).map(([key, entry]) => [key, { ...entry, description: undefined }]),
      ),
      {
        "slipway:role": { description: undefined, default: "build" },
        "slipway:target": { description: undefined, default: "ssh" },
        "slipway:hosts": { description: undefined, default: [] },
        "slipway:accessories": { description: undefined, default: {} },
      },
    );
    assert.match(
      String(config["slipway:role"]!.description),
      /^`build` stacks build images .* Reference: docs\/configuration\.md#slipwayrole$/,
    );
  });
});

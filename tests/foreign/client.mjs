#!/usr/bin/env node
// Foreign-client check of glow-models-mcp with the official TypeScript SDK client.
//
//   node client.mjs stdio <command> [args...]   spawn the server and talk over stdio
//   node client.mjs sse   <url>                 legacy HTTP+SSE (e.g. http://127.0.0.1:N/sse)
//   node client.mjs http  <url>                 streamable HTTP (e.g. http://127.0.0.1:N/mcp)
//
// EXPECTED_TOOLS and EXPECTED_READ_ONLY_TOOLS (comma-separated, set by tests/test_foreign_clients.py
// from the server's TOOL_SPECS) are the tool names tools/list must give and the read-only ones among
// them; without them (a run by hand) the names are reported but not compared. READ_ONLY_CALLS (JSON,
// set by the same test) maps each read-only tool to the smallest arguments its schema accepts, with
// "<model_id>" where a real model id goes; without it every tool listed as read-only is called with {}.
//
// It lists tools, resources and resource templates; calls every read-only tool; creates a model
// with a unique name, finds it with search_models, deletes it and checks it is gone; and reads the
// docs resource. The SDK client itself validates every structuredContent against the tool's
// outputSchema (cached by listTools); a counting wrapper around its Ajv validator proves each
// successful call went through that validation. Any failure exits 1 with a message on stderr.
// On success it prints one JSON summary on stdout and exits 0.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

// (The SDK's export map sends "@modelcontextprotocol/sdk/package.json" to dist/cjs/package.json.)
const SDK_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/@modelcontextprotocol/sdk/package.json", import.meta.url), "utf8"),
).version;

/** A comma-separated list from the environment, sorted; null when the variable is not set. */
function namesFromEnv(name) {
  const value = process.env[name];
  return value === undefined ? null : value.split(",").map((s) => s.trim()).filter(Boolean).sort();
}
const EXPECTED_TOOLS = namesFromEnv("EXPECTED_TOOLS");
const READ_ONLY_TOOLS = namesFromEnv("EXPECTED_READ_ONLY_TOOLS");
const READ_ONLY_CALLS = process.env.READ_ONLY_CALLS === undefined ? null : JSON.parse(process.env.READ_ONLY_CALLS);
const MODEL_ID_PLACEHOLDER = "<model_id>";
const DOCS_URI = "glow://models/docs";
const EXPECTED_TEMPLATES = ["glow://exports/{upload_id}", "glow://models/{model_id}/docs"];
const REQUEST_TIMEOUT_MS = 30_000;

class CheckError extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckError(message);
}

function usage() {
  console.error("usage: node client.mjs stdio <command> [args...] | sse <url> | http <url>");
  process.exit(2);
}

/** Ajv validator provider of the SDK, counting how often each compiled schema is run. */
class CountingValidator {
  constructor() {
    this.inner = new AjvJsonSchemaValidator();
    this.compiled = 0;
    this.runs = 0;
    this.failures = 0;
  }
  getValidator(schema) {
    const validate = this.inner.getValidator(schema);
    this.compiled += 1;
    return (input) => {
      const result = validate(input);
      this.runs += 1;
      if (!result.valid) this.failures += 1;
      return result;
    };
  }
}

function makeTransport(kind, rest) {
  if (kind === "stdio") {
    if (rest.length < 1) usage();
    const [command, ...args] = rest;
    // Keep the caller's environment (venv, PATH); the SDK's default passes only a few variables.
    return new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "inherit" });
  }
  if (rest.length !== 1) usage();
  const url = new URL(rest[0]);
  if (kind === "sse") return new SSEClientTransport(url);
  if (kind === "http") return new StreamableHTTPClientTransport(url);
  usage();
}

function textOf(result) {
  return (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

async function main() {
  const [kind, ...rest] = process.argv.slice(2);
  if (!kind) usage();
  const transport = makeTransport(kind, rest);

  // Record the negotiated protocol version (the client hands it to the transport after initialize).
  let protocolVersion = null;
  const originalSetProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version) => {
    protocolVersion = version;
    originalSetProtocolVersion?.(version);
  };

  const validator = new CountingValidator();
  const client = new Client(
    { name: "glow-models-mcp-foreign-check", version: "1.0.0" },
    { capabilities: {}, jsonSchemaValidator: validator },
  );
  const opts = { timeout: REQUEST_TIMEOUT_MS };
  const summary = { transport: kind, sdk_version: SDK_VERSION, ok: false };
  const calls = [];
  const startedAt = Date.now();
  let selfProbes = 0;

  /** Run the SDK's cached output validator of ``tool`` on ``value`` ourselves; it must reject it. */
  function mustReject(tool, value, what) {
    selfProbes += 1;
    const verdict = client.getToolOutputValidator(tool)(value);
    check(!verdict.valid, `${tool}: the outputSchema accepts ${what}, so it does not really validate`);
  }

  /** Call a tool through the SDK (which validates structuredContent); fail on isError. */
  async function call(name, args) {
    const runsBefore = validator.runs;
    const result = await client.callTool({ name, arguments: args }, undefined, opts);
    check(!result.isError, `${name}(${JSON.stringify(args)}) returned isError: ${textOf(result).slice(0, 2000)}`);
    check(
      result.structuredContent && typeof result.structuredContent === "object",
      `${name} returned no structuredContent`,
    );
    const validated = validator.runs === runsBefore + 1;
    check(validated, `${name}: the SDK client did not validate structuredContent against the outputSchema`);
    calls.push({ tool: name, validated, text_bytes: Buffer.byteLength(textOf(result)) });
    return result.structuredContent;
  }

  try {
    await client.connect(transport, opts);
    const serverInfo = client.getServerVersion();
    const caps = client.getServerCapabilities() ?? {};
    summary.protocol_version = protocolVersion;
    summary.server = serverInfo ? { name: serverInfo.name, version: serverInfo.version } : null;
    summary.capabilities = Object.keys(caps).sort();
    summary.has_instructions = Boolean(client.getInstructions());
    check(serverInfo?.name === "glow-models-mcp", `unexpected server name ${JSON.stringify(serverInfo)}`);
    check(caps.tools && caps.resources, `server lacks tools/resources capabilities: ${JSON.stringify(caps)}`);

    // --- listings (listTools caches one output-schema validator per tool) -----------------------
    const { tools } = await client.listTools(undefined, opts);
    const toolNames = tools.map((t) => t.name).sort();
    summary.tools = toolNames;
    if (EXPECTED_TOOLS !== null) {
      check(
        JSON.stringify(toolNames) === JSON.stringify(EXPECTED_TOOLS),
        `tools/list gave ${JSON.stringify(toolNames)}, expected ${JSON.stringify(EXPECTED_TOOLS)}`,
      );
    }
    summary.expected_tools_checked = EXPECTED_TOOLS !== null;
    const withOutput = tools.filter((t) => t.outputSchema).map((t) => t.name).sort();
    summary.tools_with_output_schema = withOutput.length;
    check(withOutput.length === tools.length, `tools without outputSchema: ${toolNames.filter((n) => !withOutput.includes(n))}`);
    for (const t of tools) {
      check(t.inputSchema?.type === "object", `${t.name}: inputSchema.type is not "object"`);
      check(client.getToolOutputValidator(t.name), `${t.name}: the SDK cached no output validator`);
      // The cached validator must really constrain the output (not an empty schema).
      mustReject(t.name, "not an object", "a bare string");
      const ro = Boolean(t.annotations?.readOnlyHint);
      if (READ_ONLY_TOOLS !== null) check(ro === READ_ONLY_TOOLS.includes(t.name), `${t.name}: readOnlyHint=${ro} is wrong`);
    }
    summary.read_only_tools = tools.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name).sort();
    summary.output_validators_cached = validator.compiled;

    const { resources } = await client.listResources(undefined, opts);
    summary.resources = resources.map((r) => r.uri).sort();
    check(summary.resources.includes(DOCS_URI), `resources/list lacks ${DOCS_URI}: ${JSON.stringify(summary.resources)}`);
    const { resourceTemplates } = await client.listResourceTemplates(undefined, opts);
    summary.resource_templates = resourceTemplates.map((r) => r.uriTemplate).sort();
    check(
      JSON.stringify(summary.resource_templates) === JSON.stringify(EXPECTED_TEMPLATES),
      `resources/templates/list gave ${JSON.stringify(summary.resource_templates)}`,
    );

    // --- the read-only tools, with checks on what they answer ---------------------------------------
    const listing = await call("get_model", {});
    const sections = Object.entries(listing.options ?? {}).filter(([, v]) => v && Array.isArray(v.items) && v.items.length);
    check(sections.length > 0, `get_model without model_id listed no option sections: ${JSON.stringify(listing).slice(0, 500)}`);
    summary.option_sections = sections.length;
    const full = await call("get_model", { view: "full" });
    const fullSections = Object.values(full).filter((v) => v && typeof v === "object" && Array.isArray(v.resources));
    check(fullSections.length === sections.length, `view "full" listed ${fullSections.length} sections, compact ${sections.length}`);

    const page = await call("search_models", {});
    check(Array.isArray(page.models) && page.models.length > 0, `search_models found no models in the sandbox catalog`);
    summary.models_total = page.total_count ?? page.models.length;
    // A real result with one field of the wrong type must fail the same validator.
    mustReject("search_models", { ...page, models: "not a list" }, "models as a string");
    mustReject("search_models", { ...page, total_count: "many" }, "total_count as a string");
    const someModel = page.models.find((m) => m.model_id);
    check(someModel, "search_models returned no model_id");
    await call("get_model", { model_id: someModel.model_id });
    const gpt = await call("search_models", { search: "gpt", page_size: 5 });
    summary.search_gpt_count = gpt.total_count ?? (gpt.models ?? []).length;
    const docs = await call("get_model_docs", {});
    check(Array.isArray(docs.api_operations) && docs.api_operations.length > 0, "get_model_docs listed no operations");

    // --- every read-only tool, with its smallest arguments -----------------------------------------
    const readOnlyCalls =
      READ_ONLY_CALLS ?? Object.fromEntries(tools.filter((t) => t.annotations?.readOnlyHint).map((t) => [t.name, {}]));
    for (const [tool, args] of Object.entries(readOnlyCalls)) {
      const withId = JSON.stringify(args).replaceAll(JSON.stringify(MODEL_ID_PLACEHOLDER), JSON.stringify(someModel.model_id));
      await call(tool, JSON.parse(withId));
    }
    summary.read_only_calls = Object.keys(readOnlyCalls).sort();
    summary.read_only_calls_given = READ_ONLY_CALLS !== null;

    // --- create, find, delete, verify gone ---------------------------------------------------------
    const name = `foreign-${kind}-${randomUUID().slice(0, 8)}`;
    summary.created_name = name;
    const created = await call("create_models", {
      models: [{ name, description: `created by the TypeScript SDK client over ${kind}` }],
    });
    check(
      Array.isArray(created.results) && created.results.length === 1 && created.results[0].success,
      `create_models did not succeed: ${JSON.stringify(created)}`,
    );
    const createdId = created.results[0].model_id;
    check(createdId, `create_models returned no model_id: ${JSON.stringify(created)}`);

    const found = await call("search_models", { search: name });
    const hit = (found.models ?? []).find((m) => m.name === name);
    summary.created_found = Boolean(hit);
    check(hit, `search_models(${name}) did not find the new model: ${JSON.stringify(found)}`);
    check(hit.model_id === createdId, `search found id ${hit.model_id}, create returned ${createdId}`);
    summary.created_id = createdId;

    const deleted = await call("delete_models", { model_ids: [createdId] });
    check(
      Array.isArray(deleted.results) && deleted.results.length === 1 && deleted.results[0].success,
      `delete_models did not succeed: ${JSON.stringify(deleted)}`,
    );
    const after = await call("search_models", { search: name });
    const still = (after.models ?? []).some((m) => m.name === name || m.model_id === createdId);
    summary.deleted_gone = !still;
    check(!still, `model ${createdId} is still found after delete_models: ${JSON.stringify(after)}`);

    // --- the docs resource -------------------------------------------------------------------------
    const read = await client.readResource({ uri: DOCS_URI }, opts);
    check(read.contents?.length === 1, `reading ${DOCS_URI} gave ${read.contents?.length} contents`);
    const [content] = read.contents;
    check(content.mimeType === "application/json", `${DOCS_URI} mimeType is ${content.mimeType}`);
    let parsed;
    try {
      parsed = JSON.parse(content.text);
    } catch (err) {
      throw new CheckError(`${DOCS_URI} is not JSON: ${err.message}`);
    }
    check(Array.isArray(parsed.api_operations) && parsed.api_operations.length > 0, `${DOCS_URI} lists no operations`);
    summary.docs_resource_bytes = Buffer.byteLength(content.text);

    // --- validation bookkeeping ----------------------------------------------------------------------
    summary.tool_calls = calls.length;
    summary.tools_called = [...new Set(calls.map((c) => c.tool))].sort();
    summary.structured_validations = validator.runs - selfProbes;
    summary.validation_failures = validator.failures - selfProbes; // every self-probe was rejected
    summary.schema_self_probes_rejected = selfProbes;
    check(summary.structured_validations === calls.length, "not every tool call was validated by the SDK");
    check(summary.validation_failures === 0, "a structuredContent failed the SDK's output-schema validation");
    summary.elapsed_ms = Date.now() - startedAt;
    summary.ok = true;
  } finally {
    try {
      if (kind === "http" && transport.sessionId) await transport.terminateSession();
    } catch {
      // a stateless server has no session to end
    }
    await client.close().catch(() => {});
  }
  process.stdout.write(JSON.stringify(summary) + "\n");
}

main().then(
  () => process.exit(0),
  (err) => {
    const label = err instanceof CheckError ? "check failed" : "error";
    console.error(`client.mjs: ${label}: ${err?.stack ?? err}`);
    process.exit(1);
  },
);

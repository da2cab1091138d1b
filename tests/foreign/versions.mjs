#!/usr/bin/env node
// The official TypeScript SDK client at an older protocol version, against glow-models-mcp.
//
//   node versions.mjs <protocol-version> stdio <command> [args...]
//   node versions.mjs <protocol-version> http  <url>
//
// The SDK client always offers its latest version in `initialize`; this script rewrites that one
// field on its way out, so the server negotiates <protocol-version> and the client (which supports
// every version since 2024-11-05) carries on with it. It lists tools, calls export_models, reads
// the export through the URI the result gives (a resource_link block, or the text that replaces
// it where the version has none), and prints one JSON summary of what it received on stdout.
// Any failure exits 1 with the message on stderr.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const TIMEOUT_MS = 30_000;
const EXPORT_URI = /glow:\/\/exports\/[0-9a-f-]{36}/;

function usage() {
  console.error("usage: node versions.mjs <protocol-version> stdio <command> [args...] | http <url>");
  process.exit(2);
}

async function main() {
  const [version, kind, ...rest] = process.argv.slice(2);
  if (!version || !kind || rest.length < 1) usage();
  const transport =
    kind === "stdio"
      ? new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: { ...process.env }, stderr: "inherit" })
      : kind === "http"
        ? new StreamableHTTPClientTransport(new URL(rest[0]))
        : usage();

  let negotiated = null;
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if (message.method === "initialize") {
      message = { ...message, params: { ...message.params, protocolVersion: version } };
    }
    return send(message, options);
  };
  // The client hands the negotiated version to the transport after initialize (stdio has no
  // setter of its own; defining one makes the client call it there too).
  const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (v) => {
    negotiated = v;
    setProtocolVersion?.(v);
  };
  const client = new Client({ name: "glow-models-mcp-versions-check", version: "1.0.0" }, { capabilities: {} });
  const opts = { timeout: TIMEOUT_MS };
  await client.connect(transport, opts);
  const initResult = { serverInfo: client.getServerVersion(), capabilities: client.getServerCapabilities() };

  const tools = (await client.listTools(undefined, opts)).tools;
  const exported = await client.callTool({ name: "export_models", arguments: {} }, undefined, opts);
  if (exported.isError) throw new Error(`export_models failed: ${JSON.stringify(exported.content)}`);
  const link = exported.content.find((c) => c.type === "resource_link");
  const uri = link ? link.uri : exported.content.map((c) => c.text ?? "").join("\n").match(EXPORT_URI)?.[0];
  if (!uri) throw new Error(`no export URI in ${JSON.stringify(exported.content)}`);
  const read = await client.readResource({ uri }, opts);
  const summary = {
    negotiated,
    server_info_keys: Object.keys(initResult.serverInfo).sort(),
    capability_keys: Object.keys(initResult.capabilities).sort(),
    tool_keys: [...new Set(tools.flatMap((t) => Object.keys(t)))].sort(),
    content_types: exported.content.map((c) => c.type),
    structured: exported.structuredContent !== undefined,
    uri,
    csv_header: read.contents[0].text.split("\n")[0].trim(),
  };
  await client.close();
  console.log(JSON.stringify(summary));
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});

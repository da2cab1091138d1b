// The command an MCP Bundle host runs for an unpacked bundle, resolved by the official library
// (@anthropic-ai/mcpb's getMcpConfigForManifest, the code Claude Desktop uses): ${__dirname},
// ${user_config.*} (the given values over the manifest's defaults) and the system directories
// substituted in the manifest's server.mcp_config. Run by tests/test_bundle.py.
//
//   node bundle_config.mjs <unpacked bundle dir> '<user config as JSON>'
//
// Prints the resolved {command, args, env} as one JSON line; exits 1 when the library gives none
// (e.g. a required user_config field is missing).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";

const [dir, userConfigJson = "{}"] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node bundle_config.mjs <unpacked bundle dir> '<user config JSON>'");
  process.exit(2);
}
const extensionPath = resolve(dir);
const manifest = JSON.parse(readFileSync(join(extensionPath, "manifest.json"), "utf-8"));
const home = homedir();
const config = await getMcpConfigForManifest({
  manifest,
  extensionPath,
  systemDirs: {
    HOME: home,
    DESKTOP: join(home, "Desktop"),
    DOCUMENTS: join(home, "Documents"),
    DOWNLOADS: join(home, "Downloads"),
  },
  userConfig: JSON.parse(userConfigJson),
  pathSeparator: sep,
  logger: console,
});
if (!config) {
  console.error("getMcpConfigForManifest returned no configuration");
  process.exit(1);
}
const { command, args = [], env = {} } = config;
console.log(JSON.stringify({ command, args, env }));

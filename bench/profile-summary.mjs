#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): where the sampled time went, by area
// (Harmont's code, each npm package, Node's internals, GC, idle), and the functions with the
// most self and inclusive time.
//   node bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from "node:fs";

const [file, topText] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node bench/profile-summary.mjs <file.cpuprofile> [top]\n");
  process.exit(2);
}
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8"));

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
profile.samples.forEach((id, index) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const totalMicros = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);

function areaOf(url, functionName) {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1];
  if (url.includes("/packages/server/dist/")) return "harmont";
  if (url.startsWith("node:")) return "node internals";
  return url;
}

function keyOf(frame) {
  const where = frame.url ? `${frame.url.replace(/^file:\/\/.*?(node_modules\/|packages\/)/, "$1")}:${frame.lineNumber + 1}` : "";
  return `${frame.functionName || "(anonymous)"} ${where}`.trim();
}

const areas = new Map();
const selfByFunction = new Map();
for (const [id, micros] of selfMicros) {
  const frame = byId.get(id).callFrame;
  const area = areaOf(frame.url, frame.functionName);
  areas.set(area, (areas.get(area) ?? 0) + micros);
  const key = keyOf(frame);
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + micros);
}

// Inclusive time: a node's self time counts once for every distinct function on its stack.
const inclusive = new Map();
const root = profile.nodes[0];
const stack = [{ node: root, onPath: new Set() }];
while (stack.length > 0) {
  const { node, onPath } = stack.pop();
  const key = keyOf(node.callFrame);
  const path = onPath.has(key) ? onPath : new Set(onPath).add(key);
  const own = selfMicros.get(node.id) ?? 0;
  if (own > 0) for (const entry of path) inclusive.set(entry, (inclusive.get(entry) ?? 0) + own);
  for (const childId of node.children ?? []) stack.push({ node: byId.get(childId), onPath: path });
}

const busyMicros = totalMicros - (areas.get("(idle)") ?? 0);
const percent = (micros, of) => `${((micros / of) * 100).toFixed(1).padStart(5)}%`;
const print = (title, entries, of) => {
  console.log(`\n${title}`);
  for (const [name, micros] of entries) console.log(`  ${percent(micros, of)}  ${name}`);
};
const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);

console.log(`${file}: ${(totalMicros / 1e6).toFixed(1)} s sampled, ${(busyMicros / 1e6).toFixed(1)} s busy (percentages of busy time)`);
print("By area (self time):", sorted(areas).filter(([name]) => name !== "(idle)"), busyMicros);
print(`Top ${top} functions by self time:`, sorted(selfByFunction).filter(([name]) => name !== "(idle)").slice(0, top), busyMicros);
print(
  `Top ${top} functions by inclusive time:`,
  sorted(inclusive)
    .filter(([name]) => !name.startsWith("(root)") && name !== "(idle)")
    .slice(0, top),
  busyMicros,
);

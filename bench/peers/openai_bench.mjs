// Peer: the official `openai` npm package (openai@6 on Node 20) on the same requests
// as llm_bench.  Usage: node openai_bench.mjs URL N C   (run where openai is installed)
import OpenAI from "openai";
import { readFileSync } from "fs";

const [url, n, c] = [process.argv[2], +process.argv[3], +process.argv[4]];
const client = new OpenAI({ baseURL: url, apiKey: "sk-bench", maxRetries: 0 });
// run from the directory where openai is installed (llm_bench.sh copies this file there)
const version = JSON.parse(readFileSync("node_modules/openai/package.json", "utf8")).version;
let next = 0, ok = 0;
async function worker() {
  while (next < n) {
    const i = next++;
    const r = await client.chat.completions.create({
      model: "bench-model", temperature: 0.7, max_tokens: 128,
      messages: [{ role: "user", content: `bench request ${i}: say something` }],
    });
    if (r.choices[0].message.content) ok++;
  }
}
const t0 = performance.now(), c0 = process.cpuUsage();
await Promise.all(Array.from({ length: c }, worker));
const wall = (performance.now() - t0) / 1000, cu = process.cpuUsage(c0);
console.log(JSON.stringify({ client: `node openai@${version}`, n, c, ok, wall_s: +wall.toFixed(3),
  req_per_s: +(n / wall).toFixed(1), cpu_us_per_req: +((cu.user + cu.system) / n).toFixed(1) }));

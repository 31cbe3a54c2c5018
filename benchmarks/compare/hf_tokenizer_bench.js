#!/usr/bin/env node
// HuggingFace tokenizers (Rust, through npm @anush008/tokenizers) encode throughput, single
// thread, one pass with a freshly loaded tokenizer, on the same ~64 KiB newline-cut chunks as
// benchmarks/bench_tokenizer.cpp. Prints one JSON line per text.
//   node hf_tokenizer_bench.js NODE_MODULES_PARENT TOKENIZER_JSON NAME=TEXT_FILE ...
'use strict';
const fs = require('fs');
const path = require('path');
const [root, tokenizerFile, ...texts] = process.argv.slice(2);
const { Tokenizer } = require(path.join(root, 'node_modules/@anush008/tokenizers'));

function chunks(buf) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    let end = Math.min(buf.length, pos + 65536);
    if (end < buf.length) {
      const nl = buf.indexOf(10, end);
      end = nl < 0 ? buf.length : nl + 1;
    }
    out.push(buf.subarray(pos, end).toString('utf8'));
    pos = end;
  }
  return out;
}

async function main() {
  for (const spec of texts) {
    const [name, file] = spec.split('=');
    const buf = fs.readFileSync(file);
    const parts = chunks(buf);
    const runs = [];
    let tokens = 0;
    let checksum = 0;
    for (let rep = 0; rep < 3; rep++) {
      const tok = Tokenizer.fromFile(tokenizerFile);  // fresh cache every pass
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      tokens = 0;
      checksum = 0;
      for (const p of parts) {
        const ids = (await tok.encode(p, null, { addSpecialTokens: false })).getIds();
        for (const id of ids) checksum = (Math.imul(checksum, 31) + id) >>> 0;
        tokens += ids.length;
      }
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      runs.push({ wall, cpu: (c.user + c.system) / 1e6 });
    }
    const best = (k) => Math.min(...runs.map((r) => r[k]));
    console.log(JSON.stringify({ tool: 'hf-tokenizers-0.22.2', text: name, bytes: buf.length, tokens, checksum,
      wall_s: best('wall'), cpu_s: best('cpu'), mb_per_s_wall: buf.length / 1e6 / best('wall'), mb_per_s_cpu: buf.length / 1e6 / best('cpu') }));
  }
}
main().catch((e) => { console.error(e); process.exit(1); });

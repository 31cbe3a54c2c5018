// llama.cpp's view of a GGUF file hermes exported, compared with hermes's own answers.
//   node llama_cpp_check.mjs MODEL.gguf TEXTS.jsonl HERMES_IDS.jsonl PROMPTS.jsonl GENERATIONS.jsonl MIN_AGREEMENT [CHAT.json]
// TEXTS.jsonl: {"text": ...} per line; HERMES_IDS.jsonl: `hermes tokenize --jsonl` of it (one id
// array per line). PROMPTS.jsonl: {"id", "prompt"}; GENERATIONS.jsonl: `hermes generate
// --temperature 0` of it (completion_ids). llama.cpp tokenizes every text and greedily continues
// every prompt; tokenization must match exactly, and the share of prompts whose continuation
// equals hermes's token for token must reach MIN_AGREEMENT (1 for f32 exports). With CHAT.json
// ({"history": node-llama-cpp chat history, "expected": text}), the chat template embedded in the
// GGUF file, rendered by node-llama-cpp's Jinja engine, must give exactly `expected`.
// node-llama-cpp is looked for in $HERMES_NODE_DIR (scripts/install-deps.sh --test installs it
// there; default ~/.cache/hermes-interop). Exit 0: agree; 1: disagree; 77: not installed (skip).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const nodeDir = process.env.HERMES_NODE_DIR || path.join(os.homedir(), ".cache", "hermes-interop");
let getLlama, JinjaTemplateChatWrapper, LlamaText;
try {
  const entry = path.join(nodeDir, "node_modules", "node-llama-cpp", "dist", "index.js");
  ({ getLlama, JinjaTemplateChatWrapper, LlamaText } = await import(pathToFileURL(entry).href));
} catch (e) {
  console.log(`SKIPPED: node-llama-cpp is not installed in ${nodeDir} (${e.code ?? e.message}); run scripts/install-deps.sh --test`);
  process.exit(77);
}

const [modelPath, textsPath, idsPath, promptsPath, gensPath, minAgreementArg, chatPath] = process.argv.slice(2);
const lines = (p) => fs.readFileSync(p, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
let failed = false;

// Tokenization: special tokens parsed, as hermes does.
const texts = lines(textsPath), ids = lines(idsPath);
let tokMatch = 0;
texts.forEach((t, i) => {
  const got = Array.from(model.tokenize(t.text, true));
  if (same(got, ids[i])) tokMatch++;
  else if (!failed) {
    failed = true;
    console.log(`tokenize mismatch on text ${i}: ${JSON.stringify(t.text).slice(0, 120)}`);
    console.log(`  llama.cpp ${JSON.stringify(got).slice(0, 200)}`);
    console.log(`  hermes    ${JSON.stringify(ids[i]).slice(0, 200)}`);
  }
});
console.log(`tokenization: ${tokMatch}/${texts.length} texts identical`);

// The embedded chat template, as a GGUF consumer renders it.
if (chatPath) {
  const chat = JSON.parse(fs.readFileSync(chatPath, "utf8"));
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  if (typeof template !== "string") {
    failed = true;
    console.log("chat template: tokenizer.chat_template is missing from the GGUF file");
  } else {
    const state = new JinjaTemplateChatWrapper({ template }).generateContextState({ chatHistory: chat.history });
    const text = LlamaText(state.contextText).toString();
    if (text === chat.expected) console.log("chat template: rendered identically");
    else {
      failed = true;
      console.log(`chat template differs:\n  rendered ${JSON.stringify(text)}\n  expected ${JSON.stringify(chat.expected)}`);
    }
  }
}

// Greedy continuation, one prompt at a time in a fresh sequence.
const prompts = lines(promptsPath), gens = new Map(lines(gensPath).map((g) => [g.id, g]));
const context = await model.createContext({ contextSize: model.trainContextSize, sequences: 1, threads: 1 });
const seq = context.getSequence();
let agree = 0, tokensAgree = 0, tokensTotal = 0;
for (const p of prompts) {
  const want = gens.get(p.id).completion_ids;
  const promptIds = Array.from(model.tokenize(p.prompt, true));
  const got = [];
  if (want.length > 0 || gens.get(p.id).finish_reason === "end_token") {
    for await (const tok of seq.evaluate(promptIds, { temperature: 0 })) {
      if (model.isEogToken(tok) || got.length >= Math.max(want.length, 1)) break;
      got.push(tok);
    }
  }
  await seq.clearHistory();
  let prefix = 0;
  while (prefix < want.length && got[prefix] === want[prefix]) prefix++;
  tokensAgree += prefix;
  tokensTotal += want.length;
  if (same(got, want)) agree++;
  else console.log(`prompt ${p.id}: first difference at token ${prefix} of ${want.length} (llama.cpp ${got[prefix]}, hermes ${want[prefix]})`);
}
const rate = prompts.length ? agree / prompts.length : 0;
console.log(`greedy continuation: ${agree}/${prompts.length} prompts identical (${(100 * rate).toFixed(1)}%), ` +
            `${tokensAgree}/${tokensTotal} tokens before the first difference`);
const minAgreement = Number(minAgreementArg ?? "1");
if (tokMatch !== texts.length) failed = true;
if (rate < minAgreement) {
  failed = true;
  console.log(`agreement ${rate.toFixed(3)} is below ${minAgreement}`);
}
await context.dispose();
await model.dispose();
console.log(failed ? "DISAGREE" : "AGREE");
process.exit(failed ? 1 : 0);

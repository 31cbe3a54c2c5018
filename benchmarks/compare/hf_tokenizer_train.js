#!/usr/bin/env node
// HuggingFace tokenizers BPE training, for benchmarks/tokenizer_compare.sh. The Node binding
// trains with BpeTrainer's defaults: vocabulary 30000, min_frequency 0, no special tokens.
//   node hf_tokenizer_train.js NODE_MODULES_PARENT CORPUS OUT_JSON [gpt2|llama3]
'use strict';
const path = require('path');
const [root, corpus, out, pattern] = process.argv.slice(2);
const { Tokenizer } = require(path.join(root, 'node_modules/@anush008/tokenizers'));
const byteLevel = (regex) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: regex });
const llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const pre = pattern === 'llama3'
  ? { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: llama3 }, behavior: 'Isolated', invert: false }, byteLevel(false)] }
  : byteLevel(true);
const skeleton = {
  version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: pre,
  post_processor: null, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: {}, merges: [] },
};
const tok = Tokenizer.fromString(JSON.stringify(skeleton));
const t0 = process.hrtime.bigint();
tok.train([corpus]);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
tok.save(out, false);
console.log(JSON.stringify({ tool: 'hf-tokenizers-0.22.2', train_seconds: seconds, vocab: tok.getVocabSize(true) }));

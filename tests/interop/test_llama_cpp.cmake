# llama.cpp runs what hermes exports. Two small SwiGLU models are trained end to end (one with
# multi-head attention and the GPT-2 pre-tokenizer; one with grouped-query attention, biases and
# the Llama-3 pre-tokenizer), exported by the deck's export stage and by `hermes export`, and
# loaded by llama.cpp (node-llama-cpp's prebuilt binary). llama.cpp must tokenize every fixture
# text exactly as hermes does and, for f32 files, continue every prompt greedily token for token
# as `hermes generate --temperature 0` does; for f16, bf16 and q8_0 the agreement is reported.
include("${SOURCE_DIR}/tests/regression/expect.cmake")
find_program(NODE node)
if(NOT NODE)
  message("SKIPPED: node is not installed (apt-get install nodejs, then scripts/install-deps.sh --test)")
  return()
endif()
if(DEFINED ENV{HERMES_NODE_DIR})
  set(node_dir "$ENV{HERMES_NODE_DIR}")
else()
  set(node_dir "$ENV{HOME}/.cache/hermes-interop")
endif()
if(NOT EXISTS "${node_dir}/node_modules/node-llama-cpp/dist/index.js")
  message("SKIPPED: node-llama-cpp is not installed in ${node_dir} (scripts/install-deps.sh --test installs it)")
  return()
endif()
fresh_work_dir()
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "mha"
stages = ["synth", "tokenizer", "prepare", "pretrain", "export"]
seed = 3
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 300
[tokenizer]
vocab_size = 700
[model]
preset = "nano"
ffn = "swiglu"
bias = false
context_length = 128
[train]
batch_size = 8
seq_len = 128
max_steps = 300
log_interval = 100
[optim]
lr = 5e-3
[eval]
interval = 0
batches = 1
test_at_end = false
[checkpoint]
interval = 0
[export]
format = "gguf"
dtype = "f32"
]=])

# The fixture texts (prose, code, digits, whitespace runs, non-Latin scripts) plus chat text with
# hermes's special tokens, and chat prompts the model was trained on the shape of.
file(READ "${SOURCE_DIR}/tests/fixtures/tokenizer/texts.json" texts_json)
string(JSON n LENGTH "${texts_json}")
math(EXPR last "${n} - 1")
set(texts "")
foreach(i RANGE ${last})
  string(JSON t GET "${texts_json}" ${i})
  string(REPLACE "\\" "\\\\" t "${t}")
  string(REPLACE "\"" "\\\"" t "${t}")
  string(REPLACE "\n" "\\n" t "${t}")
  string(REPLACE "\t" "\\t" t "${t}")
  string(REPLACE "\r" "\\r" t "${t}")
  string(APPEND texts "{\"text\": \"${t}\"}\n")
endforeach()
string(APPEND texts "{\"text\": \"<|system|>Be brief.<|endoftext|><|user|>What is 3 + 4?<|endoftext|><|assistant|><think>\\nadd\"}\n")
file(WRITE "${WORK_DIR}/texts.jsonl" "${texts}")
set(prompts "")
set(i 0)
foreach(q "What is 12 plus 30?" "Convert 5 km to miles" "What day is 2024-03-01?" "Hello there"
          "Find the weather in Paris" "How many days between 2021-01-01 and 2021-03-10?")
  string(APPEND prompts "{\"id\": \"p${i}\", \"prompt\": \"<|user|>${q}<|endoftext|><|assistant|>\"}\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${WORK_DIR}/prompts.jsonl" "${prompts}")
# hermes's chat template (docs/tokenizer.md) for one conversation, as the GGUF's embedded Jinja
# template must render it.
file(WRITE "${WORK_DIR}/chat.json" [=[
{"history": [{"type": "system", "text": "Be brief."}, {"type": "user", "text": "What is 3 + 4?"},
             {"type": "model", "response": ["7"]}, {"type": "user", "text": "And 5 + 5?"}],
 "expected": "<|system|>Be brief.<|endoftext|><|user|>What is 3 + 4?<|endoftext|><|assistant|>7<|endoftext|><|user|>And 5 + 5?<|endoftext|>"}
]=])

function(check_gguf run gguf min_agreement)
  expect_run(${run}_${gguf}_llama_cpp EXIT 0
             CONTAINS "tokenization: " "greedy continuation: " "chat template: rendered identically" "AGREE"
             COMMAND "${NODE}" "${SOURCE_DIR}/tests/interop/llama_cpp_check.mjs" "${gguf}" texts.jsonl ${run}_ids.jsonl
                     prompts.jsonl ${run}_gens.jsonl ${min_agreement} chat.json)
  string(REGEX MATCH "greedy continuation: [^\n]*" rate "${LAST_OUTPUT}")
  message(STATUS "[${run} ${gguf}] ${rate}")
endfunction()

foreach(variant "mha" "gqa")
  set(extra "")
  if(variant STREQUAL "gqa")
    set(extra run.name="gqa" model.n_kv_head=2 model.bias=true tokenizer.pattern="llama3")
  endif()
  expect_run(${variant}_train EXIT 0 CONTAINS "export: gguf (f32" "run finished"
             COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml ${extra})
  set(ckpt runs/${variant}/checkpoints/final.h5)
  set(tok runs/${variant}/tokenizer.json)
  execute_process(COMMAND "${HERMES}" tokenize --tokenizer ${tok} --jsonl texts.jsonl WORKING_DIRECTORY "${WORK_DIR}"
                  OUTPUT_FILE "${WORK_DIR}/${variant}_ids.jsonl" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "hermes tokenize failed (${rc})")
  endif()
  expect_run(${variant}_generate EXIT 0 CONTAINS "6/6 records"
             COMMAND "${HERMES}" generate --checkpoint ${ckpt} --tokenizer ${tok} --prompts-file prompts.jsonl
                     --temperature 0 --max-tokens 32 generate.output_file=${variant}_gens.jsonl)
  check_gguf(${variant} runs/${variant}/model.gguf 1)
endforeach()

# Other dtypes of the first model: llama.cpp must still load and tokenize them; greedy agreement
# with hermes's fp32 decoding is reported, not required (rounding may flip a near tie).
foreach(dtype f16 bf16 q8_0)
  expect_run(export_${dtype} EXIT 0 CONTAINS "export: gguf (${dtype}"
             COMMAND "${HERMES}" export --checkpoint runs/mha/checkpoints/final.h5 --format gguf --dtype ${dtype}
                     --output mha_${dtype}.gguf)
  check_gguf(mha mha_${dtype}.gguf 0)
endforeach()

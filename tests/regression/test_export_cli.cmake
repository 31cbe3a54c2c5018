# Export and import through the command line: a deck's export stage and `hermes export` write
# HuggingFace and GGUF models; `hermes import` reads the HuggingFace directory back into a
# checkpoint that generates what the original did and that pretrain continues from
# (train.init_from); models no exchange format computes and bad requests are refused in one line
# with a non-zero exit, before anything is written.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "exp"
stages = ["synth", "tokenizer", "prepare", "pretrain", "export"]
seed = 5
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 200
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
ffn = "swiglu"
bias = false
n_kv_head = 2
context_length = 64
[train]
batch_size = 4
seq_len = 64
max_steps = 40
log_interval = 20
[optim]
lr = 5e-3
[eval]
interval = 0
batches = 1
test_at_end = false
[checkpoint]
interval = 0
[export]
format = "hf"
output = "{run_dir}/hf"
]=])
expect_run(train EXIT 0 CONTAINS "export: hf (f32, 6 files)" "run finished" COMMAND "${HERMES}" run deck.toml)
string(REGEX MATCH "final validation: loss ([0-9.]+)" m "${LAST_OUTPUT}")
set(trained_loss "${CMAKE_MATCH_1}")
foreach(f model.safetensors config.json generation_config.json tokenizer.json tokenizer_config.json special_tokens_map.json)
  if(NOT EXISTS "${WORK_DIR}/runs/exp/hf/${f}")
    message(FATAL_ERROR "the export stage did not write runs/exp/hf/${f}")
  endif()
endforeach()
file(READ "${WORK_DIR}/runs/exp/hf/config.json" config)
string(JSON kv GET "${config}" num_key_value_heads)
string(JSON tied GET "${config}" tie_word_embeddings)
if(NOT kv EQUAL 2 OR NOT tied STREQUAL "ON")
  message(FATAL_ERROR "config.json: num_key_value_heads ${kv}, tie_word_embeddings ${tied}:\n${config}")
endif()
set(ckpt runs/exp/checkpoints/final.h5)
expect_run(gguf_q8 EXIT 0 CONTAINS "export: gguf (q8_0"
           COMMAND "${HERMES}" export --checkpoint ${ckpt} --format gguf --dtype q8_0 --output out/model-q8.gguf)

# Import, then the imported checkpoint generates exactly what the original did.
expect_run(import EXIT 0 CONTAINS "import: " "2 kv heads" "model.toml"
           COMMAND "${HERMES}" import --from runs/exp/hf --output imported)
set(gen --tokenizer runs/exp/tokenizer.json --prompt "<|user|>What is 2 + 2?<|endoftext|><|assistant|>"
    --temperature 0 --max-tokens 20)
expect_run(gen_original EXIT 0 COMMAND "${HERMES}" generate --checkpoint ${ckpt} ${gen} generate.output_file=a.jsonl)
expect_run(gen_imported EXIT 0 COMMAND "${HERMES}" generate --checkpoint imported/checkpoint.h5 ${gen}
           generate.output_file=b.jsonl)
file(READ "${WORK_DIR}/a.jsonl" a)
file(READ "${WORK_DIR}/b.jsonl" b)
string(JSON ca GET "${a}" completion_ids)
string(JSON cb GET "${b}" completion_ids)
if(NOT ca STREQUAL cb OR ca STREQUAL "[]")
  message(FATAL_ERROR "imported checkpoint generated ${cb}, the original ${ca}")
endif()

# Pretrain continues from the imported weights: its first loss is near the trained model's
# validation loss, far below a fresh model's ln(vocab) = 6.2.
expect_run(continue EXIT 0 CONTAINS "weights from" "run finished"
           COMMAND "${HERMES}" train --config imported/model.toml --data runs/exp/data --max-steps 2
                   --batch-size 4 --seq-len 64 --run-name cont train.log_interval=1 eval.interval=0
                   eval.test_at_end=false)
string(REGEX MATCH "step +1/2 \\| loss ([0-9]+)\\.([0-9])" m "${LAST_OUTPUT}")
set(first_tenths "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
string(REGEX MATCH "([0-9]+)\\.([0-9])" m "${trained_loss}")
set(trained_tenths "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
if(NOT first_tenths OR NOT trained_tenths)
  message(FATAL_ERROR "no loss found (trained '${trained_loss}'):\n${LAST_OUTPUT}")
endif()
math(EXPR gap "${first_tenths} - ${trained_tenths}")
if(gap GREATER 5)
  message(FATAL_ERROR "continued training started ${gap} tenths above the trained model's loss ${trained_loss}: the "
                      "imported weights were not used:\n${LAST_OUTPUT}")
endif()

# Refusals: one line, non-zero exit, nothing written.
expect_run(bad_format EXIT 2 CONTAINS "export.format" "gguf" COMMAND "${HERMES}" export --checkpoint ${ckpt}
           --format onnx --output out/x)
expect_run(bad_dtype EXIT 2 CONTAINS "q8_0" "fp32, fp16 or bf16" COMMAND "${HERMES}" export --checkpoint ${ckpt}
           --format hf --dtype q8_0 --output out/hf_q8)
expect_run(no_checkpoint EXIT 2 CONTAINS "absent.h5" "does not exist" COMMAND "${HERMES}" export
           --checkpoint absent.h5 --format gguf --output out/absent.gguf)
expect_run(import_missing EXIT 2 CONTAINS "no_such_dir" "not a directory" COMMAND "${HERMES}" import
           --from no_such_dir --output imported2)
file(MAKE_DIRECTORY "${WORK_DIR}/half")
file(COPY "${WORK_DIR}/runs/exp/hf/config.json" "${WORK_DIR}/runs/exp/hf/model.safetensors" DESTINATION "${WORK_DIR}/half")
expect_run(import_no_tokenizer EXIT 2 CONTAINS "half/tokenizer.json" "missing" COMMAND "${HERMES}" import
           --from half --output imported3)
foreach(p out/x out/hf_q8 out/absent.gguf imported2 imported3)
  if(EXISTS "${WORK_DIR}/${p}")
    message(FATAL_ERROR "a refused request left ${p} behind")
  endif()
endforeach()

# A GELU model (RMSNorm + non-gated GELU + RoPE) matches no transformers or llama.cpp
# architecture: refused, with the way to train an exportable one.
expect_run(gelu_train EXIT 0 CONTAINS "run finished" COMMAND "${HERMES}" run deck.toml run.name="gelu"
           run.stages=["pretrain"] model.ffn="gelu" model.bias=true train.max_steps=2
           data.output_dir="runs/exp/data" tokenizer.path="runs/exp/tokenizer.json")
foreach(format gguf hf)
  expect_run(gelu_${format} EXIT 2 CONTAINS "gelu" "swiglu" "matches no transformers or llama.cpp"
             COMMAND "${HERMES}" export --checkpoint runs/gelu/checkpoints/final.h5 --format ${format}
                     --output out/gelu_${format})
  if(EXISTS "${WORK_DIR}/out/gelu_${format}")
    message(FATAL_ERROR "the refused GELU export left out/gelu_${format} behind")
  endif()
endforeach()

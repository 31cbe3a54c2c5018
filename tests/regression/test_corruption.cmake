# Damaged or foreign data is never used silently. Every shard and checkpoint dataset carries an
# HDF5 Fletcher32 checksum: one flipped byte in the token ids, the loss mask, a weight or the
# optimizer state stops the run with one line naming the file and the dataset (resume falls back
# to an earlier checkpoint instead). Token ids stored as uint8, a transposed or int32 weight
# are refused; a shard written without checksums (an earlier hermes) is read with one warning.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
set(PY /usr/bin/python3)
execute_process(COMMAND ${PY} -c "import h5py, numpy" RESULT_VARIABLE no_h5py OUTPUT_QUIET ERROR_QUIET)
if(NOT no_h5py EQUAL 0)
  message("SKIPPED: /usr/bin/python3 lacks h5py or numpy (scripts/install-deps.sh --test installs them)")
  return()
endif()
set(damage ${PY} "${CMAKE_CURRENT_LIST_DIR}/hdf5_damage.py")
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "c"
stages = ["synth", "tokenizer", "prepare", "pretrain"]
seed = 5
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 200
loss_mask = "assistant"
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
context_length = 64
[train]
batch_size = 4
seq_len = 64
max_steps = 20
log_interval = 10
[eval]
interval = 0
batches = 4
[checkpoint]
interval = 10
]=])
expect_run(train EXIT 0 CONTAINS "run finished" ABSENT "without checksums" COMMAND "${HERMES}" run deck.toml)
set(run "${WORK_DIR}/runs/c")
set(eval_only "run.stages=[\"evaluate\"]" run.name=c run.resume=true)

# A flipped byte in a shard's token ids or loss mask: evaluate reads the val shard and stops.
foreach(ds tokens loss_mask)
  file(REMOVE_RECURSE "${WORK_DIR}/bad_${ds}")
  file(COPY "${run}/data/" DESTINATION "${WORK_DIR}/bad_${ds}")
  execute_process(COMMAND ${damage} flip "${WORK_DIR}/bad_${ds}/val-00000.h5" ${ds} COMMAND_ERROR_IS_FATAL ANY)
  expect_run(shard_${ds} EXIT 2 CONTAINS "bad_${ds}/val-00000.h5: /${ds} cannot be read" "re-run the prepare stage"
             ABSENT "HDF5-DIAG"
             COMMAND "${HERMES}" run deck.toml ${eval_only} data.output_dir=bad_${ds})
endforeach()

# A flipped byte in a weight: generation from that checkpoint stops, naming the tensor.
file(COPY_FILE "${run}/checkpoints/final.h5" "${WORK_DIR}/flipped.h5")
execute_process(COMMAND ${damage} flip "${WORK_DIR}/flipped.h5" model/tok_emb.weight COMMAND_ERROR_IS_FATAL ANY)
expect_run(weight EXIT 2 CONTAINS "checkpoint flipped.h5: tensor '/model/tok_emb.weight' cannot be read"
           ABSENT "HDF5-DIAG"
           COMMAND "${HERMES}" generate --checkpoint flipped.h5 --tokenizer runs/c/tokenizer.json --prompt hi
                   --max-tokens 4)
# The same damaged checkpoint is exit 2 (a bad input) in every command that reads it.
expect_run(weight_export EXIT 2 ONCE "error" CONTAINS "flipped.h5" ABSENT "HDF5-DIAG"
           COMMAND "${HERMES}" export --checkpoint flipped.h5 --format gguf --output flipped.gguf)
expect_run(weight_init_from EXIT 2 ONCE "error" CONTAINS "flipped.h5" ABSENT "HDF5-DIAG"
           COMMAND "${HERMES}" run deck.toml run.name=from_flipped "run.stages=[\"pretrain\"]"
                   "train.init_from=\"flipped.h5\"" "data.output_dir=\"${run}/data\""
                   "tokenizer.path=\"${run}/tokenizer.json\"")
# A flipped byte in the optimizer state of the latest checkpoint: resume names it and falls back.
file(REMOVE_RECURSE "${WORK_DIR}/runs/r")
file(COPY "${run}/" DESTINATION "${WORK_DIR}/runs/r")
execute_process(COMMAND ${damage} flip "${WORK_DIR}/runs/r/checkpoints/final.h5" optim/tok_emb.weight/m
                COMMAND_ERROR_IS_FATAL ANY)
expect_run(optim EXIT 0 CONTAINS "tensor '/optim/tok_emb.weight/m' cannot be read"
                                 "resuming from the newest readable checkpoint" FINAL_STEP 22
           COMMAND "${HERMES}" run deck.toml "run.stages=[\"pretrain\"]" run.name=r run.resume=true train.max_steps=22)

# Foreign layouts of the same data are refused, not reinterpreted.
file(MAKE_DIRECTORY "${WORK_DIR}/narrow")
file(COPY "${run}/data/" DESTINATION "${WORK_DIR}/narrow")
execute_process(COMMAND ${damage} uint8_tokens "${run}/data/val-00000.h5" "${WORK_DIR}/narrow/val-00000.h5"
                COMMAND_ERROR_IS_FATAL ANY)
expect_run(uint8_tokens EXIT 2 CONTAINS "narrow/val-00000.h5: /tokens is stored as a 1-byte integer type"
           COMMAND "${HERMES}" run deck.toml ${eval_only} data.output_dir=narrow)
execute_process(COMMAND ${damage} transpose "${run}/checkpoints/final.h5" "${WORK_DIR}/transposed.h5"
                        model/layers.0.attn.qkv.weight COMMAND_ERROR_IS_FATAL ANY)
expect_run(transposed EXIT 2 CONTAINS "tensor '/model/layers.0.attn.qkv.weight' has shape (64, 192), the model needs (192, 64)"
           COMMAND "${HERMES}" generate --checkpoint transposed.h5 --tokenizer runs/c/tokenizer.json --prompt hi)
execute_process(COMMAND ${damage} int32 "${run}/checkpoints/final.h5" "${WORK_DIR}/int32.h5"
                        model/final_norm.weight COMMAND_ERROR_IS_FATAL ANY)
expect_run(int32 EXIT 2 CONTAINS "tensor '/model/final_norm.weight' is not stored as 32-bit floats"
           COMMAND "${HERMES}" generate --checkpoint int32.h5 --tokenizer runs/c/tokenizer.json --prompt hi)

# Header values a checkpoint cannot hold: each one line naming the checkpoint and the field, exit 2.
function(bad_header name object attribute json expect)
  file(COPY_FILE "${run}/checkpoints/final.h5" "${WORK_DIR}/${name}.h5")
  execute_process(COMMAND ${damage} attr "${WORK_DIR}/${name}.h5" "${object}" "${attribute}" "${json}"
                  COMMAND_ERROR_IS_FATAL ANY)
  expect_run(header_${name} EXIT 2 ONCE "hermes: error" CONTAINS "${name}.h5" "${expect}"
             ABSENT "internal error" "unexpected failure"
             COMMAND "${HERMES}" generate --checkpoint ${name}.h5 --tokenizer runs/c/tokenizer.json --prompt hi)
endfunction()
bad_header(version / version 7 "has format version 7, this hermes reads version 1")
bad_header(step state step -3 "/state holds step -3")
bad_header(rng state rng "\"not a state\"" "/state rng is not a random-number generator state")
bad_header(heads / model "{\"preset\": \"nano\", \"vocab_size\": 512, \"n_layer\": 2, \"n_embd\": 64, \"n_head\": 0, \"n_kv_head\": 0, \"ffn_hidden\": 256, \"context_length\": 64, \"ffn\": \"gelu\", \"bias\": true, \"rope_theta\": 10000.0, \"norm_eps\": 1e-5, \"init_std\": 0.02}"
           "describes no valid model (model: n_head = 0 is out of range")
bad_header(model_text / model "\"{\\\"preset\\\": 3\"" "attribute 'model' is damaged")

# A manifest whose counts disagree with its shards: one line naming the manifest, exit 2.
file(MAKE_DIRECTORY "${WORK_DIR}/inflated")
file(COPY "${run}/data/" DESTINATION "${WORK_DIR}/inflated")
file(READ "${WORK_DIR}/inflated/manifest.json" manifest)
string(JSON val_tokens GET "${manifest}" splits val tokens)
math(EXPR more "${val_tokens} + 1000")
string(JSON manifest SET "${manifest}" splits val tokens ${more})
string(JSON manifest SET "${manifest}" splits val shards 0 tokens ${more})
file(WRITE "${WORK_DIR}/inflated/manifest.json" "${manifest}")
expect_run(manifest_inflated EXIT 2 ONCE "error" CONTAINS "inflated/val-00000.h5 holds ${val_tokens} tokens but manifest.json says ${more}"
           ABSENT "internal"
           COMMAND "${HERMES}" run deck.toml ${eval_only} data.output_dir=inflated)
string(JSON manifest SET "${manifest}" splits val shards 0 tokens "\"many\"")
file(WRITE "${WORK_DIR}/inflated/manifest.json" "${manifest}")
expect_run(manifest_type EXIT 2 ONCE "error" CONTAINS "splits.val.shards[0].tokens must be a non-negative integer"
           COMMAND "${HERMES}" run deck.toml ${eval_only} data.output_dir=inflated)

# Files from before checksums are still read, with one warning for the whole run.
file(MAKE_DIRECTORY "${WORK_DIR}/old")
file(COPY "${run}/data/" DESTINATION "${WORK_DIR}/old")
foreach(split train val test)
  execute_process(COMMAND ${damage} unchecked "${run}/data/${split}-00000.h5" "${WORK_DIR}/old/${split}-00000.h5"
                  COMMAND_ERROR_IS_FATAL ANY)
endforeach()
expect_run(unchecked EXIT 0 ONCE "written without checksums" CONTAINS "test loss"
           COMMAND "${HERMES}" run deck.toml ${eval_only} data.output_dir=old)

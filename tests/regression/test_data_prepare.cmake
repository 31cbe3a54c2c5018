# The prepare stage end to end with the real tokenizer: synth -> train-tokenizer -> prepare on 1
# and 2 ranks gives byte-identical shards and manifests; a re-run reuses them; another tokenizer
# invalidates them; bad records name file and line.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
expect_run(synth EXIT 0 COMMAND "${HERMES}" synth --output corpus.jsonl --count 400 --seed 5)
expect_run(tokenizer EXIT 0 COMMAND "${HERMES}" train-tokenizer --input corpus.jsonl --output tok.json
           --vocab-size 600 --format sharegpt)
file(WRITE "${WORK_DIR}/deck.toml" "[run]\nname = \"one\"\nstages = [\"prepare\"]\noutput_dir = \"runs\"\n"
     "[tokenizer]\npath = \"tok.json\"\n"
     "[data]\ninputs = [\"corpus.jsonl\"]\nformat = \"sharegpt\"\nloss_mask = \"assistant\"\nshard_tokens = 20000\n")
expect_run(prepare_one EXIT 0 CONTAINS "prepare: train" "prepare: val" COMMAND "${HERMES}" run deck.toml)
expect_run(prepare_two EXIT 0 ONCE "prepare: train" COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml run.name=two)
file(GLOB shards RELATIVE "${WORK_DIR}/runs/one/data" "${WORK_DIR}/runs/one/data/*.h5")
list(LENGTH shards n)
if(n LESS 4)
  message(FATAL_ERROR "expected several shards, got ${n}: ${shards}")
endif()
foreach(f IN LISTS shards ITEMS manifest.json)
  file(SHA256 "${WORK_DIR}/runs/one/data/${f}" a)
  file(SHA256 "${WORK_DIR}/runs/two/data/${f}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${f} differs between 1 and 2 ranks")
  endif()
endforeach()
expect_run(reuse EXIT 0 CONTAINS "reusing the shards" COMMAND "${HERMES}" run deck.toml run.resume=true)
expect_run(tokenizer2 EXIT 0 COMMAND "${HERMES}" train-tokenizer --input corpus.jsonl --output tok2.json
           --vocab-size 700 --format sharegpt)
expect_run(retokenized EXIT 0 CONTAINS "rebuilt the shards because the tokenizer changed"
           COMMAND "${HERMES}" run deck.toml run.resume=true tokenizer.path=tok2.json)
file(WRITE "${WORK_DIR}/bad.jsonl" "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}]}\n{\"conversations\": [\n")
expect_run(bad_record EXIT 2 ONCE "bad.jsonl:2: malformed JSON"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml run.name=bad "data.inputs=[\"bad.jsonl\"]")
expect_run(skip_record EXIT 0 CONTAINS "skipped 1 malformed record"
           COMMAND "${HERMES}" run deck.toml run.name=skip "data.inputs=[\"bad.jsonl\"]" data.skip_bad_records=true)
# The documented schema, as a plain HDF5 tool sees it (no hermes involved).
find_program(H5DUMP NAMES h5dump)
if(H5DUMP)
  list(GET shards 0 first)
  expect_run(h5dump EXIT 0 CONTAINS "DATASET \"tokens\"" "H5T_STD_U16LE" "DATASET \"doc_offsets\"" "H5T_STD_U64LE"
             "DATASET \"loss_mask\"" "H5T_STD_U8LE" "ATTRIBUTE \"tokenizer_fingerprint\"" "ATTRIBUTE \"format_version\""
             "ATTRIBUTE \"sources\"" "ATTRIBUTE \"split\"" "ATTRIBUTE \"vocab_size\""
             COMMAND "${H5DUMP}" -H "runs/one/data/${first}")
endif()

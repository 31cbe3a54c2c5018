# From raw text to a trained model in one command, the way a new user starts: `hermes train
# --data corpus.txt` (tokenizer, prepare, pretrain built from flags), standard input, JSONL and
# ShareGPT sniffed from the file, `hermes prepare`, the seeds' flag names, --num-gpus with and
# without a launcher, generation with the checkpoint's own tokenizer, and metrics.jsonl.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
# Plain text with one document per line (no blank lines): 300 lines of varied words.
set(lines "")
foreach(i RANGE 1 300)
  math(EXPR a "${i} * 7 % 13")
  math(EXPR b "${i} % 5")
  string(APPEND lines "the quick brown fox number ${i} jumps over the lazy dog ${a} while the river flows past stone ${b}\n")
endforeach()
file(WRITE "${WORK_DIR}/corpus.txt" "${lines}")
set(small --model nano --vocab-size 300 --max-steps 12 --seq-len 32 --batch-size 4)

expect_run(train_text EXIT 0
           FINAL_STEP 12 CONTAINS "each line is a document" "== stage tokenizer ==" "== stage prepare =="
                    "final validation: loss" "final test:"
           COMMAND "${HERMES}" train --data corpus.txt ${small} --output runs/raw)
foreach(f tokenizer.json data/manifest.json checkpoints/final.h5 metrics.csv metrics.jsonl)
  if(NOT EXISTS "${WORK_DIR}/runs/raw/${f}")
    message(FATAL_ERROR "hermes train --data corpus.txt did not write runs/raw/${f}")
  endif()
endforeach()
file(READ "${WORK_DIR}/runs/raw/deck.toml" deck)
foreach(want "preset = \"nano\"" "vocab_size = 300" "format = \"text\"" "doc_separator = \"\\u000a\"" "max_steps = 12")
  string(FIND "${deck}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "runs/raw/deck.toml lacks '${want}':\n${deck}")
  endif()
endforeach()

# metrics.jsonl: 12 step rows, then the final validation and test rows, each with a wall clock.
file(STRINGS "${WORK_DIR}/runs/raw/metrics.jsonl" rows)
list(LENGTH rows n)
if(NOT n EQUAL 14)
  message(FATAL_ERROR "metrics.jsonl has ${n} rows, expected 12 steps + final val + final test")
endif()
list(GET rows 11 last_step)
list(GET rows 12 final_val)
list(GET rows 13 final_test)
string(JSON kind GET "${last_step}" kind)
string(JSON step GET "${last_step}" step)
string(JSON split GET "${final_val}" split)
string(JSON final GET "${final_val}" final)
string(JSON test_split GET "${final_test}" split)
string(JSON time GET "${final_test}" time)
if(NOT kind STREQUAL "train" OR NOT step EQUAL 12 OR NOT split STREQUAL "val" OR NOT final STREQUAL "ON"
   OR NOT test_split STREQUAL "test" OR time LESS 1700000000)
  message(FATAL_ERROR "metrics.jsonl rows are not what they should be:\n${last_step}\n${final_val}\n${final_test}")
endif()

# A corpus too small for a test batch still trains; the split is skipped with one warning that
# names the fix.
set(tiny "")
foreach(i RANGE 1 40)
  string(APPEND tiny "a short line of text number ${i} for the smallest corpus\n")
endforeach()
file(WRITE "${WORK_DIR}/tiny.txt" "${tiny}")
expect_run(train_tiny EXIT 0
           CONTAINS "too small for one batch" "raise data.test_fraction" "training done: 12 steps"
                    "optim.warmup_steps = 100 is not shorter than the run's 12 steps"
           COMMAND "${HERMES}" train --data tiny.txt ${small} --output runs/tiny)
file(READ "${WORK_DIR}/runs/tiny/hermes.log" tiny_log)
string(REGEX MATCHALL "test split[^\n]*too small" warnings "${tiny_log}")
list(LENGTH warnings n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "the too-small test split was reported ${n} times, not once:\n${tiny_log}")
endif()
# Training on and evaluating in one run, where the pretrain and the evaluate stage both open the
# split: still said once.
expect_run(run_tiny_evaluate EXIT 0 ONCE "test split[^\n]*too small" CONTAINS "== stage evaluate done"
           COMMAND "${HERMES}" run runs/tiny/deck.toml run.resume=true "run.stages=[\"pretrain\", \"evaluate\"]"
                   train.max_steps=14)

# The same corpus on standard input, twice: the second run is refused (the run exists).
expect_run(train_stdin EXIT 0 INPUT corpus.txt
           CONTAINS "standard input saved in" "each line is a document" FINAL_STEP 12
           COMMAND "${HERMES}" train ${small} --output runs/stdin)
file(SHA256 "${WORK_DIR}/corpus.txt" want)
file(SHA256 "${WORK_DIR}/runs/stdin/stdin.txt" got)
if(NOT want STREQUAL got)
  message(FATAL_ERROR "runs/stdin/stdin.txt is not the text given on standard input")
endif()
file(WRITE "${WORK_DIR}/empty.txt" "")
expect_run(train_stdin_empty EXIT 2 INPUT empty.txt ONCE "error" CONTAINS "standard input was empty"
           COMMAND "${HERMES}" train ${small} --output runs/empty)

# JSONL with an existing tokenizer: no tokenizer stage; ShareGPT is recognised by its records.
set(jsonl "")
foreach(i RANGE 1 600)
  string(APPEND jsonl "{\"id\": ${i}, \"body\": \"the lazy dog ${i} sleeps under the bridge while the fox runs\"}\n")
endforeach()
file(WRITE "${WORK_DIR}/corpus.jsonl" "${jsonl}")
expect_run(train_jsonl EXIT 0 CONTAINS "prepare: 1 input (jsonl)" FINAL_STEP 12 ABSENT "== stage tokenizer =="
           COMMAND "${HERMES}" train --data corpus.jsonl --text-field body --tokenizer runs/raw/tokenizer.json
                   ${small} --output runs/jsonl)
expect_run(synth EXIT 0 COMMAND "${HERMES}" synth --output chats.jsonl --count 120)
expect_run(train_sharegpt EXIT 0 CONTAINS "prepare: 1 input (sharegpt)" FINAL_STEP 4
           COMMAND "${HERMES}" train --data chats.jsonl --model nano --vocab-size 400 --max-steps 4 --seq-len 64
                   --batch-size 2 --output runs/chats)

# Mistakes: a corpus that is not there, a terminal-free empty --output.
expect_run(train_missing EXIT 2 ONCE "error" CONTAINS "--data nothere.txt: no such file or folder"
           COMMAND "${HERMES}" train --data nothere.txt ${small})
expect_run(train_bad_output EXIT 2 ONCE "error" CONTAINS "does not name a run directory"
           COMMAND "${HERMES}" train --data corpus.txt ${small} --output ..)

# hermes prepare on its own.
expect_run(prepare EXIT 0 CONTAINS "prepare: train" "documents"
           COMMAND "${HERMES}" prepare --input corpus.jsonl --text-field body --tokenizer runs/raw/tokenizer.json
                   --output prepared)
if(NOT EXISTS "${WORK_DIR}/prepared/manifest.json")
  message(FATAL_ERROR "hermes prepare wrote no prepared/manifest.json")
endif()

# The seeds' --model for info.
expect_run(info_model EXIT 0 CONTAINS "model nano" COMMAND "${HERMES}" info --model nano)

# Generation without --tokenizer takes the checkpoint's.
expect_run(generate_own_tokenizer EXIT 0 CONTAINS "the tokenizer stored in"
           COMMAND "${HERMES}" generate --checkpoint runs/raw/checkpoints/final.h5 --prompt "the quick brown"
                   --max-tokens 4 --temperature 0)

# --num-gpus: hermes starts the ranks itself; under mpirun the count must agree.
expect_run(num_gpus_start EXIT 0 CONTAINS "starting 2 ranks with mpiexec" "2 ranks on" FINAL_STEP 12
           COMMAND "${HERMES}" train --data corpus.txt --model nano --vocab-size 300 --max-steps 12 --seq-len 32
                   --batch-size 2 --output runs/two --num-gpus 2)
expect_run(num_gpus_mismatch EXIT 2 ONCE "error" CONTAINS "--num-gpus 3 but 2 ranks are running"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" train --data corpus.txt ${small} --output runs/three --num-gpus 3)

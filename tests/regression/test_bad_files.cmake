# Files that are not what they claim: a FIFO or a device given as deck, tokenizer, prompts file,
# checkpoint or corpus is refused at once in one line (never a hang on the open or an endless
# read); an empty or blank-lines-only corpus is an error, not a dataset of nothing; a deck with
# no stages, or a bounded number that is nan or inf, is refused with the key named.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
execute_process(COMMAND mkfifo "${WORK_DIR}/pipe" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mkfifo failed")
endif()
# expect_run's own limit is 600 s; a hang would show as a timeout, never as a pass.
expect_run(deck_fifo EXIT 2 ONCE "error" CONTAINS "pipe: is a FIFO (named pipe), not a regular file"
           COMMAND "${HERMES}" run pipe)
expect_run(tokenizer_device EXIT 2 ONCE "error" CONTAINS "/dev/zero: is a device, not a regular file"
           COMMAND "${HERMES}" tokenize --tokenizer /dev/zero "hello")
expect_run(tokenizer_fifo EXIT 2 CONTAINS "is a FIFO" COMMAND "${HERMES}" tokenize --tokenizer pipe "hello")
expect_run(checkpoint_device EXIT 2 ONCE "error" CONTAINS "/dev/zero: is a device"
           COMMAND "${HERMES}" export --checkpoint /dev/zero --format gguf --output m.gguf)
file(WRITE "${WORK_DIR}/text.txt" "some text\n\nmore text\n")
expect_run(corpus_device EXIT 2 ONCE "error" CONTAINS "/dev/zero"
           COMMAND "${HERMES}" train-tokenizer --input /dev/zero --output tok.json --vocab-size 300)

# Empty corpora.
file(WRITE "${WORK_DIR}/empty.txt" "")
file(WRITE "${WORK_DIR}/blank.txt" "\n\n   \n\n")
expect_run(tokenizer EXIT 0 COMMAND "${HERMES}" train-tokenizer --input text.txt --output tok.json --vocab-size 300)
foreach(corpus empty blank)
  expect_run(prepare_${corpus} EXIT 2 ONCE "error" CONTAINS "${corpus}.txt hold no documents"
             COMMAND "${HERMES}" run "run.name=\"${corpus}\"" "run.stages=[\"prepare\"]" "data.inputs=[\"${corpus}.txt\"]"
                     data.format=text "tokenizer.path=\"tok.json\"")
endforeach()

# Deck values.
file(WRITE "${WORK_DIR}/nostages.toml" "[run]\nname = \"x\"\nstages = []\n")
expect_run(no_stages EXIT 2 ONCE "error" CONTAINS "nostages.toml:3:10" "stages must not be empty"
           COMMAND "${HERMES}" run nostages.toml)
expect_run(nan_lr EXIT 2 ONCE "error" CONTAINS "optim.lr=nan" "lr = nan is not a finite number"
           COMMAND "${HERMES}" run optim.lr=nan)
expect_run(inf_fraction EXIT 2 ONCE "error" CONTAINS "val_fraction = inf is not a finite number"
           COMMAND "${HERMES}" run data.val_fraction=inf)

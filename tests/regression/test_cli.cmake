# The command line: version, help, info, the effective deck printer.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
expect_run(version EXIT 0 CONTAINS "hermes 0." "(git " COMMAND "${HERMES}" --version)
expect_run(help EXIT 0 CONTAINS "run" "info" "train-tokenizer" "train" "generate" COMMAND "${HERMES}" --help)
expect_run(info EXIT 0 CONTAINS "nano" "tiny" "gpt2-small" "gpt2-medium" "gpt2-large" "llama-small" "agentic-50m"
           COMMAND "${HERMES}" info)
expect_run(info_preset EXIT 0 CONTAINS "parameters: 33035136" "training memory per rank"
           COMMAND "${HERMES}" info --preset agentic-50m --vocab-size 49152)
expect_run(info_bad_preset EXIT nonzero CONTAINS "did you mean 'tiny'" COMMAND "${HERMES}" info --preset tin)
expect_run(info_deck EXIT 0 CONTAINS "model tiny:" COMMAND "${HERMES}" info "${SOURCE_DIR}/inputs/quickstart.toml")
expect_run(deck EXIT 0 CONTAINS "[optim]" "lr = 0.002  # peak AdamW learning rate" "name = \"quickstart\""
           COMMAND "${HERMES}" deck optim.lr=0.002)

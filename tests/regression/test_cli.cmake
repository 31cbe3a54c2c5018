# The command line: version, help, info, the effective deck printer.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
expect_run(version EXIT 0 CONTAINS "hermes 0." "(git " COMMAND "${HERMES}" --version)
expect_run(help EXIT 0 CONTAINS "run" "info" "train-tokenizer" "train" "generate" "export" "import"
           ABSENT "Kokkos command line arguments" COMMAND "${HERMES}" --help)
# hermes's own help comes first for every command (Kokkos answers --help with its banner otherwise).
foreach(cmd run train generate export import info)
  expect_run(help_${cmd} EXIT 0 CONTAINS "Usage:" ABSENT "Kokkos command line arguments" COMMAND "${HERMES}" ${cmd} --help)
endforeach()
expect_run(help_short EXIT 0 CONTAINS "Usage:" ABSENT "Kokkos" COMMAND "${HERMES}" train -h)
# A mistyped subcommand or flag: one line with the closest valid name, exit 2.
expect_run(bad_subcommand EXIT 2 ONCE "error" CONTAINS "trian" "did you mean 'train'" COMMAND "${HERMES}" trian)
expect_run(bad_flag EXIT 2 ONCE "error" CONTAINS "--max-step" "did you mean '--max-steps'" "see hermes train --help"
           COMMAND "${HERMES}" train --max-step 3)
# Only the subcommand's own flags are candidates: export has --format, train does not.
expect_run(bad_export_flag EXIT 2 ONCE "error" CONTAINS "did you mean '--format'" "see hermes export --help"
           COMMAND "${HERMES}" export --forma gguf)
expect_run(info EXIT 0 CONTAINS "nano" "tiny" "gpt2-small" "gpt2-medium" "gpt2-large" "llama-small" "agentic-50m"
           COMMAND "${HERMES}" info)
expect_run(info_preset EXIT 0 CONTAINS "parameters: 33035136" "training memory per rank"
           COMMAND "${HERMES}" info --preset agentic-50m --vocab-size 49152)
expect_run(info_bad_preset EXIT 2 CONTAINS "did you mean 'tiny'" COMMAND "${HERMES}" info --preset tin)
expect_run(info_deck EXIT 0 CONTAINS "model tiny:" COMMAND "${HERMES}" info "${SOURCE_DIR}/inputs/quickstart.toml")
expect_run(deck EXIT 0 CONTAINS "[optim]" "lr = 0.002  # peak AdamW learning rate" "name = \"quickstart\""
           COMMAND "${HERMES}" deck optim.lr=0.002)

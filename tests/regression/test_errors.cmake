# Bad decks and rank-local failures: one clear message, a non-zero exit, no hang.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
file(WRITE "${WORK_DIR}/bad.toml" "[run]\nname = \"x\"\nstages = [\"info\"]\n[train]\nbach_size = 4\n")
expect_run(bad_deck EXIT 2 ONCE "bad.toml:5:1: \\[train\\] unknown key 'bach_size'; did you mean 'batch_size'\\?"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run bad.toml)
file(WRITE "${WORK_DIR}/good.toml" "[run]\nname = \"x\"\nstages = [\"info\"]\n")
expect_run(bad_override EXIT 2 ONCE "command-line override 'optim.lr=-1': \\[optim\\] lr = -1 is out of range"
           COMMAND "${HERMES}" run good.toml optim.lr=-1)
# Bytes that are not UTF-8 and control characters in an override: one line, escaped, exit 2.
expect_run(override_not_utf8 EXIT 2 ONCE "error"
           CONTAINS "command-line override 'run.name=x\\xff': holds control characters or bytes that are not UTF-8"
           COMMAND sh -c "exec \"$0\" run good.toml \"$(printf 'run.name=x\\377')\"" "${HERMES}")
expect_run(override_newline EXIT 2 ONCE "error" CONTAINS "'run.name=a\\x0ab'"
           COMMAND sh -c "exec \"$0\" run good.toml \"$(printf 'run.name=a\\nb')\"" "${HERMES}")
expect_run(missing_deck EXIT 2 CONTAINS "cannot open deck 'nope.toml': no such file"
           COMMAND "${HERMES}" run nope.toml)
expect_run(rank_error EXIT nonzero ONCE "hermes: error \\[rank 1\\]: injected failure on rank 1"
           ENV HERMES_INJECT_FAILURE=rank:1
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run --force)
expect_run(bad_flag EXIT 2 CONTAINS "--no-such-flag" COMMAND "${HERMES}" run --no-such-flag)
# A backend the build or node cannot offer stops before any data is read, once, naming the key.
file(WRITE "${WORK_DIR}/cuda.toml" "[run]\nname = \"c\"\nstages = [\"pretrain\"]\n[parallel]\nbackend = \"cuda\"\n")
expect_run(cuda_unavailable EXIT 2 ONCE
           "parallel.backend = \"cuda\" but (this hermes was built without CUDA|no CUDA GPU is visible)"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run --force cuda.toml)

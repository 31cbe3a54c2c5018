# `hermes chat` on a terminal edits lines with libedit: the up arrow recalls the previous line,
# which is then extended. `script` gives the chat a pseudo-terminal; the keys are fed through it.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
find_program(SCRIPT script)
if(NOT SCRIPT)
  message("SKIPPED: no `script` (util-linux) to give the chat a terminal")
  return()
endif()
set(lines "")
foreach(i RANGE 1 1200)
  string(APPEND lines "the quick brown fox number ${i} jumps over the lazy dog\n")
endforeach()
file(WRITE "${WORK_DIR}/corpus.txt" "${lines}")
expect_run(train EXIT 0 CONTAINS "run finished"
           COMMAND "${HERMES}" train --data corpus.txt --model nano --vocab-size 300 --max-steps 4 --seq-len 32
                   --batch-size 2 --output runs/chat)
# Line 1: "the quick"; line 2: up arrow (ESC [ A), then " brown"; line 3: /exit.
string(ASCII 27 esc)
file(WRITE "${WORK_DIR}/keys.txt" "the quick\n${esc}[A brown\n/exit\n")
expect_run(chat_tty EXIT 0 INPUT keys.txt CONTAINS "arrow keys edit" "> the quick brown" "bye"
           COMMAND "${SCRIPT}" -qec "'${HERMES}' chat --checkpoint runs/chat/checkpoints/final.h5 --max-tokens 2 --temperature 0"
                   /dev/null)
# Piped input is read as plain lines: the escape sequence stays in the message.
expect_run(chat_pipe EXIT 0 INPUT keys.txt CONTAINS "bye" ABSENT "arrow keys edit" "> the quick brown"
           COMMAND "${HERMES}" chat --checkpoint runs/chat/checkpoints/final.h5 --max-tokens 2 --temperature 0)

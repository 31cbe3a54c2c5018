# Generation end to end on a model trained for a few steps: batch generation on 1 and 2 ranks
# gives identical files (sampled, per-record seeds); an interrupted run resumes; a malformed
# prompts line is reported with its line number; bad inputs are refused; the tool-call
# evaluation writes its table and JSON; chat is driven through stdin.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
file(WRITE "${WORK_DIR}/deck.toml" [=[
[run]
name = "gen"
stages = ["synth", "tokenizer", "prepare", "pretrain"]
seed = 11
[data]
format = "sharegpt"
inputs = ["{run_dir}/synth.jsonl"]
synth_conversations = 200
[tokenizer]
vocab_size = 512
[model]
preset = "nano"
context_length = 64
[train]
batch_size = 4
seq_len = 64
max_steps = 6
log_interval = 3
[eval]
interval = 0
batches = 1
test_at_end = false
]=])
expect_run(train EXIT 0 CONTAINS "run finished" COMMAND "${HERMES}" run deck.toml)
set(ckpt "runs/gen/checkpoints/final.h5")
set(tok "runs/gen/tokenizer.json")

# 19 prompts (three groups), one malformed, one ShareGPT, one far longer than the context.
set(prompts "")
foreach(i RANGE 1 16)
  string(APPEND prompts "{\"id\": \"p${i}\", \"prompt\": \"What is ${i} plus ${i}?\"}\n")
endforeach()
string(APPEND prompts "{\"prompt\": \"unterminated\n")
string(APPEND prompts "{\"conversations\": [{\"from\": \"human\", \"value\": \"Convert 3 km to miles\"}]}\n")
string(REPEAT "a long prompt " 60 long)
string(APPEND prompts "{\"id\": \"long\", \"prompt\": \"${long}\"}\n")
file(WRITE "${WORK_DIR}/prompts.jsonl" "${prompts}")

set(common --checkpoint ${ckpt} --tokenizer ${tok} --prompts-file prompts.jsonl --max-tokens 12
    --temperature 0.9 --top-k 40 --seed 5)
expect_run(np1 EXIT 0 CONTAINS "prompts.jsonl:17:" "truncated from the left" "19/19 records" "tokens/s"
           COMMAND "${HERMES}" generate ${common} generate.output_file=out1.jsonl)
expect_run(np2 EXIT 0 CONTAINS "19/19 records"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" generate ${common} generate.output_file=out2.jsonl)
file(READ "${WORK_DIR}/out1.jsonl" one)
file(READ "${WORK_DIR}/out2.jsonl" two)
if(NOT one STREQUAL two)
  message(FATAL_ERROR "1 and 2 ranks gave different outputs:\n${one}\n---\n${two}")
endif()
string(REGEX MATCHALL "\n" lines "${one}")
list(LENGTH lines n)
if(NOT n EQUAL 19)
  message(FATAL_ERROR "expected 19 output records, got ${n}:\n${one}")
endif()
foreach(text "\"id\":\"p1\"" "\"id\":\"p16\"" "\"error\":" "\"completion\":" "\"prompt_tokens\":"
        "\"completion_tokens\":" "\"temperature\":0.9" "\"top_k\":40" "\"id\":\"long\"")
  string(FIND "${one}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "outputs lack ${text}:\n${one}")
  endif()
endforeach()
# Order: p1 before p2 before ... the malformed line (17) before the ShareGPT one.
string(FIND "${one}" "\"id\":\"p2\"" a)
string(FIND "${one}" "\"id\":\"p10\"" b)
string(FIND "${one}" "\"error\":" c)
if(NOT (a LESS b AND b LESS c))
  message(FATAL_ERROR "records are not in input order:\n${one}")
endif()

# Resume: the first 9 records and a torn tenth are left as if the stage had been killed.
string(REGEX MATCH "^([^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n)" head "${one}")
file(WRITE "${WORK_DIR}/out3.jsonl.partial" "${head}{\"id\":\"p10\",\"compl")
expect_run(resume EXIT 0 CONTAINS "resuming after 9 records" "19/19 records"
           COMMAND "${HERMES}" generate ${common} generate.output_file=out3.jsonl)
file(READ "${WORK_DIR}/out3.jsonl" three)
if(NOT one STREQUAL three)
  message(FATAL_ERROR "the resumed output differs:\n${one}\n---\n${three}")
endif()

# Same seed, same samples; greedy with a stop string.
expect_run(single EXIT 0 CONTAINS "1/1 records"
           COMMAND "${HERMES}" generate --checkpoint ${ckpt} --tokenizer ${tok} --prompt "The answer"
                   --temperature 0 --max-tokens 8 generate.output_file=single.jsonl)

# A flag wins over the deck: --prompts-file over a deck's generate.prompt, --prompt over its
# prompts_file.
file(WRITE "${WORK_DIR}/with_prompt.toml" "[run]\nname = \"gen\"\nstages = [\"generate\"]\n[generate]\nprompt = \"deck prompt\"\n")
file(WRITE "${WORK_DIR}/two.jsonl" "{\"prompt\": \"one\"}\n{\"prompt\": \"two\"}\n")
expect_run(prompts_file_wins EXIT 0 CONTAINS "2/2 records" ABSENT "1/1 records"
           COMMAND "${HERMES}" generate --config with_prompt.toml --checkpoint ${ckpt} --tokenizer ${tok}
                   --prompts-file two.jsonl --max-tokens 4 generate.output_file=two_out.jsonl)
file(WRITE "${WORK_DIR}/with_file.toml" "[run]\nname = \"gen\"\nstages = [\"generate\"]\n[generate]\nprompts_file = \"two.jsonl\"\n")
expect_run(prompt_wins EXIT 0 CONTAINS "1/1 records" ABSENT "2/2 records"
           COMMAND "${HERMES}" generate --config with_file.toml --checkpoint ${ckpt} --tokenizer ${tok}
                   --prompt "hi" --max-tokens 4 generate.output_file=one_out.jsonl)

# Refusals.
expect_run(no_checkpoint EXIT 2 CONTAINS "missing.h5 does not exist"
           COMMAND "${HERMES}" generate --checkpoint missing.h5 --tokenizer ${tok} --prompt "hi")
expect_run(no_tokenizer EXIT 2 CONTAINS "tokenizer nope.json does not exist" "command-line override"
           COMMAND "${HERMES}" generate --checkpoint ${ckpt} --tokenizer nope.json --prompt "hi")
expect_run(other_tokenizer_train EXIT 0 CONTAINS "tokenizer"
           COMMAND "${HERMES}" train-tokenizer --input runs/gen/synth.jsonl --vocab-size 300 --format sharegpt --output other.json)
expect_run(mismatch EXIT 2 CONTAINS "fingerprint"
           COMMAND "${HERMES}" generate --checkpoint ${ckpt} --tokenizer other.json --prompt "hi")
expect_run(overflow EXIT 2 CONTAINS "does not fit the context" "prompt_overflow"
           COMMAND "${HERMES}" generate ${common} generate.output_file=out4.jsonl generate.prompt_overflow=error)
# parallel.backend picks the decoder (backend::resolve): without a GPU, "cuda" is refused with
# the key and the fix (on a GPU machine tests/gpu/test_cuda_decode covers the GPU decoder).
find_program(NVIDIA_SMI nvidia-smi)
if(NOT NVIDIA_SMI)
  expect_run(cuda_backend EXIT 2 CONTAINS "parallel.backend = \"cuda\"" ABSENT "records"
             COMMAND "${HERMES}" generate --checkpoint ${ckpt} --tokenizer ${tok} --prompt "hi" parallel.backend=cuda)
endif()

# The tool-call evaluation (loss part skipped: no shards are needed for it to run after it).
expect_run(tool_eval EXIT 0 CONTAINS "tool-call evaluation: 6 conversations" "no_call_ok%" "single_turn"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml "run.stages=[\"evaluate\"]" run.resume=true
                   eval.tool_eval=true eval.tool_eval_max=6 generate.max_tokens=16)
if(NOT EXISTS "${WORK_DIR}/runs/gen/tool_eval.json")
  message(FATAL_ERROR "the tool-call evaluation wrote no runs/gen/tool_eval.json")
endif()

# The agent evaluation on both sets, 2 ranks: every rank's transcripts reach one file, in case
# order, one line per conversation; tool_eval.json holds both sets' agent tallies.
expect_run(agent_eval EXIT 0 CONTAINS "agent evaluation (synthetic held-out)" "agent evaluation (paraphrased)"
                                      "tool-call evaluation: 5 conversations (paraphrased)"
           COMMAND "${MPIEXEC}" -n 2 "${HERMES}" run deck.toml "run.stages=[\"evaluate\"]" run.resume=true
                   eval.tool_eval=true eval.tool_eval_max=5 eval.agent_eval=true eval.paraphrased=true
                   eval.agent_max_rounds=2 generate.max_tokens=16)
foreach(name agent_eval agent_eval_paraphrased)
  file(STRINGS "${WORK_DIR}/runs/gen/${name}.jsonl" lines)
  list(LENGTH lines n)
  if(NOT n EQUAL 5)
    message(FATAL_ERROR "${name}.jsonl: ${n} lines, expected 5")
  endif()
  foreach(i RANGE 4)
    list(GET lines ${i} line)
    string(JSON case GET "${line}" case)
    if(NOT case EQUAL i)
      message(FATAL_ERROR "${name}.jsonl line ${i} holds case ${case}")
    endif()
  endforeach()
endforeach()
file(READ "${WORK_DIR}/runs/gen/tool_eval.json" tool_json)
string(JSON held GET "${tool_json}" agent all conversations)
string(JSON para GET "${tool_json}" paraphrased agent all conversations)
if(NOT held EQUAL 5 OR NOT para EQUAL 5)
  message(FATAL_ERROR "tool_eval.json: agent conversations ${held} and ${para}, expected 5 and 5")
endif()

# Chat through stdin: two turns, a reset, exit.
file(WRITE "${WORK_DIR}/chat.txt" "What is 2 plus 2?\nAnd 3 plus 3?\n/reset\nHello\n/exit\nnever read\n")
execute_process(COMMAND "${HERMES}" chat --checkpoint ${ckpt} --tokenizer ${tok} --tools synth --max-tokens 8
                        --system "You are terse."
                INPUT_FILE "${WORK_DIR}/chat.txt" WORKING_DIRECTORY "${WORK_DIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
string(REGEX MATCHALL "assistant: " replies "${out}")
list(LENGTH replies nreplies)
string(FIND "${out}" "(conversation reset)" reset_at)
string(FIND "${out}" "bye" bye_at)
if(NOT rc EQUAL 0 OR nreplies LESS 3 OR reset_at EQUAL -1 OR bye_at EQUAL -1)
  message(FATAL_ERROR "chat: exit ${rc}, ${nreplies} replies\n${out}${err}")
endif()
message(STATUS "[chat] ok")

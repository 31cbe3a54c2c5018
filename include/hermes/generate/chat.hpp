#pragma once
// Interactive chat (`hermes chat`, `hermes generate --interactive`): reads user lines from `in`,
// renders the conversation with the chat template, streams the assistant's reply (its <think>
// text and <tool_call>s as they come) to `out`. A call to one of the synthetic corpus's tools is
// answered by that tool's backend and the assistant continues. /reset starts over, /exit quits.
#include <iosfwd>
#include <string>

#include "hermes/deck/deck.hpp"

namespace hermes::generate {

struct ChatOptions {
  std::string system;      // system prompt text
  std::string tools_file;  // JSON array of tool schemas; "synth": the synthetic corpus's tools
};

// Sampling comes from the deck's [generate] section; returns the process exit code.
int run_chat(const deck::Deck& d, const ChatOptions& options, std::istream& in, std::ostream& out);

}  // namespace hermes::generate

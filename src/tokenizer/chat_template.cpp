// The chat template (documented in docs/tokenizer.md):
//   [<|system|>{system}[\n]<tools>\n{tools json}\n</tools><|endoftext|>]
//   then per message <|user|>|<|assistant|>|<|tool|>{content}<|endoftext|>, no separators.
#include "hermes/tokenizer/chat_template.hpp"

#include <nlohmann/json.hpp>

#include "hermes/core/error.hpp"

namespace hermes::tokenizer {
namespace {

constexpr std::string_view kEnd = "<|endoftext|>";

}  // namespace

Role parse_role(const std::string& role) {
  if (role == "system") return Role::system;
  if (role == "human" || role == "user") return Role::user;
  if (role == "gpt" || role == "assistant") return Role::assistant;
  if (role == "tool" || role == "function" || role == "observation" || role == "ipython") return Role::tool;
  fail("unknown chat role '{}'; use system, human (user), gpt (assistant) or tool", role);
}

namespace {

std::string_view opener(Role r) {
  switch (r) {
    case Role::system: return "<|system|>";
    case Role::user: return "<|user|>";
    case Role::assistant: return "<|assistant|>";
    default: return "<|tool|>";
  }
}

struct Block {
  Role role;
  std::string content;
};

// The blocks in order: one system block first when there is a system message or tools.
std::vector<Block> blocks(const Conversation& c) {
  std::vector<Block> out;
  std::string system;
  bool has_system = false;
  std::vector<Block> rest;
  for (const auto& m : c.messages) {
    const Role r = parse_role(m.role);
    if (r == Role::system && !has_system && rest.empty()) {
      system = m.content;
      has_system = true;
    } else {
      rest.push_back({r, m.content});
    }
  }
  if (!c.tools_json.empty()) {
    if (has_system && !system.empty()) system += "\n";
    system += "<tools>\n" + c.tools_json + "\n</tools>";
    has_system = true;
  }
  if (has_system) out.push_back({Role::system, std::move(system)});
  for (auto& b : rest) out.push_back(std::move(b));
  return out;
}

}  // namespace

RenderedConversation render(const Conversation& conversation) {
  RenderedConversation r;
  for (const auto& b : blocks(conversation)) {
    r.text += opener(b.role);
    const std::size_t begin = r.text.size();
    r.text += b.content;
    r.text += kEnd;
    if (b.role == Role::assistant) r.assistant_spans.emplace_back(begin, r.text.size());
  }
  return r;
}

std::string render_generation_prompt(const Conversation& conversation) {
  return render(conversation).text + std::string(opener(Role::assistant));
}

EncodedConversation encode_conversation(const Tokenizer& tokenizer, const Conversation& conversation) {
  // Encoded block by block: the specials are single ids, so the mask follows token boundaries
  // and the ids equal encode(render(conversation).text).
  EncodedConversation e;
  const TokenId end = tokenizer.special_id(kEnd);
  for (const auto& b : blocks(conversation)) {
    const std::uint8_t mask = b.role == Role::assistant ? 1 : 0;
    e.ids.push_back(tokenizer.special_id(opener(b.role)));
    e.assistant_mask.push_back(0);
    const auto ids = tokenizer.encode(b.content);
    e.ids.insert(e.ids.end(), ids.begin(), ids.end());
    e.assistant_mask.insert(e.assistant_mask.end(), ids.size(), mask);
    e.ids.push_back(end);
    e.assistant_mask.push_back(mask);
  }
  return e;
}

Conversation conversation_from_sharegpt(std::string_view line, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON ({}); fix or remove the record", where, e.what());
  }
  if (!j.is_object()) fail("{}: expected a JSON object with \"conversations\"", where);
  Conversation c;
  const char* list_key = j.contains("conversations") ? "conversations" : "messages";
  if (!j.contains(list_key) || !j[list_key].is_array())
    fail("{}: no \"conversations\" array; this is not a ShareGPT record", where);
  if (j.contains("system") && j["system"].is_string() && !j["system"].get<std::string>().empty())
    c.messages.push_back({"system", j["system"].get<std::string>()});
  const auto& list = j[list_key];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& m = list[i];
    const char* role_key = m.contains("from") ? "from" : "role";
    const char* text_key = m.contains("value") ? "value" : "content";
    if (!m.is_object() || !m.contains(role_key) || !m[role_key].is_string() || !m.contains(text_key) ||
        !m[text_key].is_string())
      fail("{}: {}[{}] needs string \"from\" and \"value\" fields", where, list_key, i);
    c.messages.push_back({m[role_key].get<std::string>(), m[text_key].get<std::string>()});
    try {
      parse_role(c.messages.back().role);
    } catch (const Error& e) {
      fail("{}: {}[{}].from: {}", where, list_key, i, e.what());
    }
  }
  if (j.contains("tools") && !j["tools"].is_null()) {
    const auto& t = j["tools"];
    c.tools_json = t.is_string() ? t.get<std::string>() : t.dump();
  }
  return c;
}

const std::string& jinja_chat_template() {
  // Whitespace control (-) on every tag: the template's own line breaks never reach the output.
  static const std::string t = R"JINJA({%- set ns = namespace(system='', has_system=false, first=0) -%}
{%- if messages and messages[0]['role'] == 'system' -%}
{%- set ns.system = messages[0]['content'] -%}
{%- set ns.has_system = true -%}
{%- set ns.first = 1 -%}
{%- endif -%}
{%- if tools -%}
{%- if ns.system -%}{%- set ns.system = ns.system + '\n' -%}{%- endif -%}
{%- if tools is string -%}{%- set tools_text = tools -%}{%- else -%}{%- set tools_text = tools | tojson -%}{%- endif -%}
{%- set ns.system = ns.system + '<tools>\n' + tools_text + '\n</tools>' -%}
{%- set ns.has_system = true -%}
{%- endif -%}
{%- if ns.has_system -%}{{- '<|system|>' + ns.system + '<|endoftext|>' -}}{%- endif -%}
{%- for message in messages[ns.first:] -%}
{%- if message['role'] in ['user', 'human'] -%}{{- '<|user|>' -}}
{%- elif message['role'] in ['assistant', 'gpt'] -%}{{- '<|assistant|>' -}}
{%- elif message['role'] == 'system' -%}{{- '<|system|>' -}}
{%- else -%}{{- '<|tool|>' -}}
{%- endif -%}
{{- message['content'] + '<|endoftext|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- endif -%})JINJA";
  return t;
}

std::string jinja_chat_template(const std::vector<std::pair<std::string, std::string>>& role_aliases) {
  std::string t = jinja_chat_template();
  for (const auto& [name, own] : role_aliases) {
    const std::string quoted = "'" + name + "'", replacement = "'" + own + "'";
    for (auto at = t.find(quoted); at != std::string::npos; at = t.find(quoted, at + replacement.size()))
      t.replace(at, quoted.size(), replacement);
  }
  return t;
}

}  // namespace hermes::tokenizer

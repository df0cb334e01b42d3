#include "gradcheck/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gradcheck {
namespace {

/// The length of the valid UTF-8 sequence that starts `text` at `at` (0 when there is none),
/// C1 controls (U+0080 … U+009F) counted as invalid.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[at + k]); };
  const unsigned char lead = byte(0);
  const std::size_t length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 0;
  if (length == 0 || at + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((byte(k) & 0xc0) != 0x80) return 0;
  if (lead == 0xc2 && byte(1) < 0xa0) return 0;                      // C1 controls
  if (lead == 0xe0 && byte(1) < 0xa0) return 0;                      // overlong
  if (lead == 0xed && byte(1) >= 0xa0) return 0;                     // surrogates
  if (lead == 0xf0 && byte(1) < 0x90) return 0;                      // overlong
  if (lead == 0xf4 && byte(1) >= 0x90) return 0;                     // above U+10FFFF
  return length;
}

}  // namespace

std::string terminal_safe(std::string_view text, std::size_t limit) {
  std::string out;
  std::size_t at = 0;
  for (; at < text.size() && out.size() < limit;) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte == '\n' || byte == '\r' || byte == '\t') {
      out += ' ';
      ++at;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += text[at++];
    } else if (const std::size_t n = byte >= 0x80 ? utf8_length(text, at) : 0; n > 0) {
      out.append(text.substr(at, n));
      at += n;
    } else {
      out += fmt::format("\\x{:02x}", byte);
      ++at;
    }
  }
  if (at < text.size()) out += fmt::format("… ({} bytes in all)", text.size());
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return width;
}

namespace {

/// The longest run of backticks in `text`.
std::size_t longest_backtick_run(std::string_view text) {
  std::size_t longest = 0, run = 0;
  for (const char c : text) longest = std::max(longest, run = c == '`' ? run + 1 : 0);
  return longest;
}

}  // namespace

std::string markdown_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    // `<` as an entity: no raw HTML and no autolink can start, and no scan for tags finds one.
    // `>` opens nothing inside a line (a block quote only at its start): left as written there.
    if (c == '<') {
      out += "&lt;";
      continue;
    }
    if (std::string_view("\\`*[]|&~#!").find(c) != std::string_view::npos || (c == '>' && out.empty())) out += '\\';
    out += c;
  }
  return out;
}

std::string markdown_code_block(std::string_view text) {
  const std::string fence(std::max<std::size_t>(3, longest_backtick_run(text) + 1), '`');
  std::string out = fence + "\n" + std::string(text);
  if (!text.empty() && text.back() != '\n') out += '\n';
  return out + fence + "\n";
}

std::string markdown_code_cell(std::string_view text) {
  std::string body;
  for (const char c : text) body += c == '|' ? std::string("\\|") : c == '\n' || c == '\r' ? std::string(" ") : std::string(1, c);
  const std::string ticks(longest_backtick_run(body) + 1, '`');
  // A span that starts or ends with a backtick needs a space between it and the delimiters.
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return ticks + (pad ? " " : "") + body + (pad ? " " : "") + ticks;
}

}  // namespace gradcheck

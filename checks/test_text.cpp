// Text from outside made inert in Markdown (util/text.hpp): a student's string never opens a link,
// raw HTML, a table cell or a code fence of its own.

#include "gradcheck/util/text.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

#include <sstream>

using namespace gradcheck;

BOOST_AUTO_TEST_SUITE(markdown)

BOOST_AUTO_TEST_CASE(markupIsEscapedAndTheWordsKept) {
  BOOST_TEST(markdown_text("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))");
  BOOST_TEST(markdown_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)>");
  BOOST_TEST(markdown_text("&lt;") == "\\&lt;");  // shown as the student wrote it, not as '<'
  BOOST_TEST(markdown_text("a | b ` c") == "a \\| b \\` c");
  BOOST_TEST(markdown_text("> quote") == "\\> quote");  // only where it could open a block quote
  BOOST_TEST(markdown_text("λ > 0, Θ^(1)_{5,0}") == "λ > 0, Θ^(1)_{5,0}");
  BOOST_TEST(markdown_text("one\ntwo\r\n# three") == "one two  \\# three");
}

/// Pieces Markdown gives meaning to (fences and runs of backticks among them, at a line's start too),
/// with letters and newlines, so that a hundred cases reach every one.
rc::Gen<std::string> hostile_text() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
                          "a", " ", "\n", "\n```", "\n   ````", "`", "``", "\\", "*", "_", "[", "](", ")", "<", ">", "|",
                          "&", "~~~", "#", "!", ":")),
                      [](const std::vector<std::string>& pieces) {
                        std::string text;
                        for (const auto& piece : pieces) text += piece;
                        return text;
                      });
}

RC_BOOST_PROP(everyMarkupCharacterOfMarkdownTextIsEscapedOnOneLine, ()) {
  const std::string text = *hostile_text();
  const std::string out = markdown_text(text);
  RC_ASSERT(out.find('\n') == std::string::npos);
  std::string unescaped;  // what the output shows, each backslash-escape read as its character
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (out[k] == '\\') {
      RC_ASSERT(k + 1 < out.size());
      unescaped += out[++k];
      continue;
    }
    if (out.compare(k, 4, "&lt;") == 0) {
      unescaped += '<';
      k += 3;
      continue;
    }
    RC_ASSERT(std::string("\\`*[]<|&~#!").find(out[k]) == std::string::npos);
    unescaped += out[k];
  }
  std::string expected = text;
  for (char& c : expected) c = c == '\n' ? ' ' : c;
  RC_ASSERT(unescaped == expected);
}

RC_BOOST_PROP(noLineInsideACodeBlockClosesIt, ()) {
  const std::string text = *hostile_text();
  const std::string block = markdown_code_block(text);
  const std::string fence = block.substr(0, block.find('\n'));
  RC_ASSERT(fence.size() >= 3);
  std::istringstream lines(block.substr(fence.size() + 1));
  std::vector<std::string> inside;
  for (std::string line; std::getline(lines, line);) inside.push_back(line);
  RC_ASSERT(inside.back() == fence);
  inside.pop_back();
  for (const auto& line : inside) {  // a closing fence: at most 3 spaces, then at least as many backticks
    const auto start = line.find_first_not_of(' ');
    RC_ASSERT(!(start != std::string::npos && start <= 3 && line.compare(start, fence.size(), fence) == 0));
  }
}

RC_BOOST_PROP(aCodeCellHasNoBareDelimiterOrPipe, ()) {
  const std::string text = *hostile_text();
  const std::string cell = markdown_code_cell(text);
  std::size_t ticks = 0;
  while (ticks < cell.size() && cell[ticks] == '`') ++ticks;
  const std::string body = cell.substr(ticks, cell.size() - 2 * ticks);
  RC_ASSERT(cell.substr(cell.size() - ticks) == std::string(ticks, '`'));
  RC_ASSERT(body.find(std::string(ticks, '`')) == std::string::npos || ticks == 0);
  RC_ASSERT(body.find('\n') == std::string::npos);
  for (std::size_t k = 0; k < body.size(); ++k)
    if (body[k] == '|') RC_ASSERT(k > 0 && body[k - 1] == '\\');
}

BOOST_AUTO_TEST_SUITE_END()

#pragma once
/// @file
/// Text that came from outside (a child's errors and stderr, what its code printed, file fields,
/// arguments), made safe to show: on one line, without bytes a terminal would obey, at a readable
/// length that says how long it was.

#include <string>
#include <string_view>

namespace gradcheck {

/// `text` for a terminal and a log: valid UTF-8 is kept (λ, Θ, é), while control bytes, ESC, C1
/// controls and bytes that are not UTF-8 (Latin-1, binary) are shown as \xNN; newlines and tabs
/// become spaces. Longer than `limit` bytes, it is cut at a character boundary and ends with
/// "… (N bytes in all)".
std::string terminal_safe(std::string_view text, std::size_t limit = 2000);

/// How many characters (UTF-8 code points) `text` shows, as fmt counts a field's width.
std::size_t display_width(std::string_view text);

/// `text` inert in Markdown (CommonMark and GitHub's), on one line: every character that could open
/// a link, an image, raw HTML, a code span, a table cell or an entity is escaped (\ ` * [ ] > | & ~
/// # ! with a backslash, `<` as `&lt;`; `_` is left: inside a word it is no emphasis, and
/// Θ^(1)_{5,0} stays as written), newlines become spaces. It renders as written.
std::string markdown_text(std::string_view text);

/// `text` as a fenced code block: the fence is a run of backticks longer than any in `text`, so
/// no line of it can close the block early.
std::string markdown_code_block(std::string_view text);

/// `text` as a code span inside a table cell: delimited by more backticks than any run in it, its
/// pipes escaped (GitHub splits cells on a pipe even in a code span), on one line.
std::string markdown_code_cell(std::string_view text);

}  // namespace gradcheck

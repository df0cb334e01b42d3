#pragma once
// What a student reads of their own code's failures and output (student_messages.cpp).

#include "cli.hpp"
#include "gradcheck/check/session.hpp"

#include <string>
#include <vector>

namespace gradcheck::cli {

/// "Octave running your nnCostFunction.m" in place of the driver's command line, and the driver's
/// own frames and folders out of a message meant for a student.
std::string for_student(std::string message, const std::string& command, const Implementation& impl);

/// Octave's or Python's stderr as a student should see it: its warnings and errors without the
/// driver's frames ("called from gradcheck_serve>…", "gradcheck_ex4.py") or Octave's noise at exit.
std::string student_stderr(const std::string& tail);

/// What the implementation printed, as hints: how much, the first lines, and for Octave's echo of
/// an assignment without a semicolon ("g = …"), which variables.
std::vector<std::string> printed_hints(const PrintedOutput& printed, bool octave);

}  // namespace gradcheck::cli

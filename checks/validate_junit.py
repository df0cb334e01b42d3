"""Reads a gradcheck JUnit report with junitparser, a standard JUnit consumer, and checks it.

Usage: validate_junit.py REPORT.xml CASES FAILURES [TEXT_IN_A_FAILURE_MESSAGE] [SUITES]
CASES and FAILURES count over every suite (SUITES of them, 1 by default); no two suites, and no
two testcases (classname and name), may share a name, since CI dashboards merge or hide them.
"""
import sys

from junitparser import Failure, JUnitXml

path, cases, failures = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wanted = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
expected_suites = int(sys.argv[5]) if len(sys.argv) > 5 else 1
xml = JUnitXml.fromfile(path)
suites = list(xml)
problems = []
if len(suites) != expected_suites:
    problems.append(f"{len(suites)} testsuites, expected {expected_suites}")
all_cases = [case for suite in suites for case in suite]
tests = sum(suite.tests for suite in suites)
if tests != cases or len(all_cases) != cases:
    problems.append(f"{tests} tests, expected {cases}")
if sum(suite.failures for suite in suites) != failures:
    problems.append(f"{sum(suite.failures for suite in suites)} failures, expected {failures}")
names = [suite.name for suite in suites]
if len(set(names)) != len(names):
    problems.append(f"testsuite names repeat: {names}")
case_names = [(case.classname, case.name) for case in all_cases]
if len(set(case_names)) != len(case_names):
    problems.append(f"testcase names repeat: {case_names}")
messages = [r.message for case in all_cases for r in case.result if isinstance(r, Failure)]
if len(messages) != failures:
    problems.append(f"{len(messages)} failure elements, expected {failures}")
if wanted and not any(wanted in (m or "") for m in messages):
    problems.append(f"no failure message mentions {wanted!r}: {messages}")
if not all(case.name for case in all_cases):
    problems.append("a testcase has no name")
if problems:
    print(f"{path}: " + "; ".join(problems))
    sys.exit(1)
print(f"{path}: {cases} testcases, {failures} failures, read by junitparser")

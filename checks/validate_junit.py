"""Reads a gradcheck JUnit report with junitparser, a standard JUnit consumer, and checks it.

Usage: validate_junit.py REPORT.xml CASES FAILURES [TEXT_IN_A_FAILURE_MESSAGE]
"""
import sys

from junitparser import Failure, JUnitXml

path, cases, failures = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wanted = sys.argv[4] if len(sys.argv) > 4 else None
xml = JUnitXml.fromfile(path)
suites = list(xml)
problems = []
if len(suites) != 1:
    problems.append(f"{len(suites)} testsuites, expected 1")
suite = suites[0]
if suite.tests != cases or len(list(suite)) != cases:
    problems.append(f"{suite.tests} tests, expected {cases}")
if suite.failures != failures:
    problems.append(f"{suite.failures} failures, expected {failures}")
messages = [r.message for case in suite for r in case.result if isinstance(r, Failure)]
if len(messages) != failures:
    problems.append(f"{len(messages)} failure elements, expected {failures}")
if wanted and not any(wanted in (m or "") for m in messages):
    problems.append(f"no failure message mentions {wanted!r}: {messages}")
if not all(case.name for case in suite):
    problems.append("a testcase has no name")
if problems:
    print(f"{path}: " + "; ".join(problems))
    sys.exit(1)
print(f"{path}: {cases} testcases, {failures} failures, read by junitparser")

"""A check's outcome in Python: the verdict, the rows and the worst entries in your names, the
diagnosis, and every report format, as the command line writes them."""

import html
import json
import os

_OUTCOMES = {0: "PASS", 1: "FAIL", 3: "ERROR", 5: "CANNOT JUDGE"}


class Result:
    """What a check found.

    passed      True only for a PASS (a FAIL, an ERROR or CANNOT JUDGE is not one)
    verdict     the run's verdict line, as every report opens: "FAIL: gradient mismatch in fc1.weight; …"
    outcome     "PASS", "FAIL", "ERROR", "CANNOT JUDGE" or "INCOMPLETE"
    exit_code   what `gradcheck check` would exit with (0, 1, 3, 5)
    tensors     one dict per tensor (per Θ^(l) of a course network, per check): name, shape,
                max_relative_error, mismatches, passed, check
    worst       the worst entries: name ("fc1.weight[3, 0]"), analytic, numerical, relative_error
    diagnosis   what the wrong gradient looks like ({"summary", "where", "evidence", …}), or None
    json        the JSON report, parsed

    str(result) is the text report; result.report(".md") any format (".txt", ".json", ".md",
    ".html", ".xml" for JUnit); result.write(path) writes the format its extension names;
    result.assert_ok() raises AssertionError unless it passed. Jupyter shows the HTML report.
    """

    def __init__(self, exit_code, reports, stderr=""):
        self.exit_code = exit_code
        self._reports = reports
        self.stderr = stderr
        self.json = json.loads(reports[".json"])
        self.verdict = reports[".txt"].split("\n", 1)[0]
        self.outcome = self.json.get("outcome") or _OUTCOMES.get(exit_code, "INCOMPLETE")
        self.passed = exit_code == 0 and self.outcome == "PASS"
        self.tensors, self.worst, self.diagnosis = _rows(self.json)

    def report(self, extension=".txt"):
        """The report in the format `extension` names: ".txt", ".json", ".md", ".html" or ".xml"."""
        key = (extension if extension.startswith(".") else "." + extension).lower()
        key = {".htm": ".html", ".markdown": ".md", ".junit": ".xml"}.get(key, key)
        if key not in self._reports:
            raise ValueError(f"no {extension!r} report; expected one of {', '.join(self._reports)}")
        return self._reports[key]

    def write(self, path):
        """Writes the report in the format of `path`'s extension (report.html, .xml, .json, .md, .txt)."""
        extension = os.path.splitext(os.fspath(path))[1]
        text = self.report(extension)
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
        return path

    def assert_ok(self):
        """Raises AssertionError unless the check passed; its message is the text report: the
        verdict first, then each tensor, the worst entries and the likely mistake."""
        __tracebackhide__ = True  # pytest shows the caller's line, not this one
        if not self.passed:
            raise AssertionError(self._reports[".txt"].rstrip("\n"))
        return self

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self._reports[".txt"]

    def __repr__(self):
        return f"<gradcheck.Result {self.verdict}>"

    def _repr_html_(self):
        # The report is a page of its own (its styles, its CSP): framed, it changes nothing of the notebook's.
        rows = len(self._reports[".txt"].splitlines())
        return (f'<iframe title="gradcheck report" sandbox="" style="width: 100%; height: {min(900, 160 + 22 * rows)}px; '
                f'border: 1px solid #ccc" srcdoc="{html.escape(self._reports[".html"], quote=True)}"></iframe>')


def _rows(report):
    """Per tensor rows, the worst entries and the diagnosis, from a model's or a run's JSON report."""
    if "tensors" in report:  # a model check
        tensors = [{"name": t["name"], "shape": tuple(t["shape"]), "max_relative_error": t.get("max_relative_error"),
                    "mismatches": t.get("mismatches"), "passed": t.get("pass"), "check": None, **_rest(t)}
                   for t in report["tensors"]]
        return tensors, report.get("worst", []), report.get("diagnosis")
    checks = report.get("checks", [report])
    tensors, worst, diagnosis = [], [], None
    for c in checks:
        subject = c.get("subject", {})
        label = f"λ = {subject['lambda']:g}" if "lambda" in subject else None
        for layer in c.get("layers", []):
            named = [w["name"] for w in layer.get("worst", []) if "name" in w]
            name = named[0].split("[")[0].split("(")[0] if named else f"Theta{layer['l']}"
            tensors.append({"name": name, "shape": (layer["rows"], layer["cols"]),
                            "max_relative_error": layer.get("max_relative_error"), "mismatches": layer.get("mismatches"),
                            "passed": layer.get("pass"), "check": label})
        if not c.get("pass", True) and not worst:
            worst = c.get("worst", [])
            diagnosis = c.get("diagnosis")
    return tensors, worst, diagnosis


def _rest(row):
    return {k: v for k, v in row.items() if k not in ("name", "shape", "max_relative_error", "mismatches", "pass")}

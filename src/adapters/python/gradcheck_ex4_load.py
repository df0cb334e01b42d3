"""gradcheck_ex4's loader: the student's nnCostFunction from a .py file, a notebook (nbformat 3 or
4) or the course's exercise folder, taking only the imports, the definitions and the assignments
that compute nothing (gradcheck_ex4.py's docstring says which). Stand-ins take the place of
modules that are not installed; the course's utils.py and its submission.py above it are read as
the edition ships them."""

import ast
import builtins
import json
import linecache
import os
import sys
import types

import numpy as np


class StudentError(Exception):
    """A message already written for the student."""


_loading = True  # while the student's file is read: a stand-in's call then only defines things


class _Missing(types.ModuleType):
    """Stands in for a module (or a name from one) that is not installed: harmless until the
    student's code really uses it. While the file is read, whatever a definition does with it
    works: attribute access, a call (a decorator gets its function back unchanged: `@jit`,
    `@jit(nopython=True)`), and subclassing (`class Grader(SubmissionBase)` in the course's
    utils.py). Once nnCostFunction runs, calling it says that the module is missing."""

    def __init__(self, name):
        super().__init__(name)
        self.__path__ = []

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Missing(f"{self.__name__}.{attribute}")

    def __call__(self, *args, **kwargs):
        if _loading:
            if len(args) == 1 and not kwargs and callable(args[0]):
                return args[0]
            return _Missing(f"{self.__name__}()")
        raise _missing_error(self.__name__)

    def __mro_entries__(self, bases):
        return (_stand_in_class(self.__name__),)


def _missing_error(name):
    root = name.split(".")[0]
    return StudentError(f"your code used {name.removesuffix('()')}, and {root} is not installed where gradcheck runs; "
                        "nnCostFunction needs numpy only")


def _stand_in_class(name):
    """A base class for `class Grader(SubmissionBase)` when SubmissionBase is missing: it can be
    defined, and made, and fails only where the missing class itself would be used."""
    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Missing(f"{name}.{attribute}")

    return type(name.rsplit(".", 1)[-1] or "Missing", (), {"__init__": __init__, "__getattr__": __getattr__,
                                                          "__module__": name.rsplit(".", 1)[0]})


def _source_cells(path):
    """(label, source) for each piece of the student's file: every code cell of a notebook."""
    name = os.path.basename(path)
    if path.endswith(".ipynb"):
        try:
            with open(path, encoding="utf-8") as f:
                notebook = json.load(f)
        except (OSError, ValueError) as error:
            raise StudentError(f"{name} is not a readable notebook: {error}")
        cells = []
        # nbformat 4 keeps the cells at the top, nbformat 3 in worksheets, each code cell's text
        # in "input" (Jupyter opens both).
        listed = notebook.get("cells") if "cells" in notebook else [
            c for w in notebook.get("worksheets", []) if isinstance(w, dict) for c in w.get("cells", [])]
        for number, cell in enumerate(listed if isinstance(listed, list) else [], start=1):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", cell.get("input", ""))
                cells.append((f"{name} cell {number}", "".join(source) if isinstance(source, list) else source))
        return cells
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return [(name, text)]


def _without_magics(source):
    """IPython's %magics, %%cell magics and !shell lines are not Python: blank them, keeping line numbers."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        # %%time, %%timeit, %%capture run their cell as Python in the notebook's namespace; the
        # others (%%bash, %%writefile, %%html …) are not Python.
        if lines[0].split()[0] not in ("%%time", "%%timeit", "%%capture", "%%prun"):
            return ""
        lines = [""] + lines[1:]
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            indent = line[: len(line) - len(stripped)]
            kept.append(indent + "pass" if indent else "")
        else:
            kept.append(line)
    return "\n".join(kept)


def _bind_missing(node, namespace):
    for alias in node.names:
        if isinstance(node, ast.Import):
            top = alias.name.split(".")[0]
            namespace[alias.asname or top] = _Missing(alias.name if alias.asname else top)
        else:
            namespace[alias.asname or alias.name] = _Missing(f"{node.module or ''}.{alias.name}".lstrip("."))


_CHEAP_MODULES = {"np", "numpy", "math"}


def _is_cheap_assignment(node):
    """A top-level assignment that defines rather than computes: a lambda, a constant, or an
    expression whose only calls are numpy's or math's (`sigmoid = lambda z: …`, `EPS = 1e-8`,
    `EPS = np.finfo(float).eps`). Loading data, training (`optimize.minimize(…)`) or plotting
    call something else and never run."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    if isinstance(node.value, ast.Lambda):
        return True
    for inner in ast.walk(node.value):
        if isinstance(inner, ast.Call):
            root = inner.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if not (isinstance(root, ast.Name) and root.id in _CHEAP_MODULES and root is not inner.func):
                return False
        elif isinstance(inner, (ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
    return True


_IMPORTERS = {"import_module", "SourceFileLoader", "load_module", "exec_module", "load_source", "__import__", "reload",
              "spec_from_file_location", "module_from_spec"}


def _imported_module(node, namespace):
    """For `utils = importlib.import_module('utils')` or `utils = SourceFileLoader('utils',
    path).load_module()` (a Colab notebook loading the course's utils.py by its path): the module
    it names, bound to the target; True when the statement is such an import. Tried as written
    first; when that fails (the module's own imports are not installed here), the module of that
    name gradcheck already has (`utils`), else a stand-in."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return False
    calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]
    named = [c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", "") for c in calls]
    if not calls or not any(name in _IMPORTERS for name in named):
        return False
    target = node.targets[0].id
    try:
        exec(compile(ast.Module(body=[node], type_ignores=[]), "<import>", "exec"), namespace)
        if isinstance(namespace.get(target), types.ModuleType):
            return True
    except Exception:
        pass
    strings = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    names = [os.path.splitext(os.path.basename(text))[0] for text in strings]
    known = [name for name in names if name in sys.modules]
    namespace[target] = sys.modules[known[0]] if known else _Missing(names[0] if names else target)
    return True


def _is_fallback(node):
    """try: from utils import sigmoid / except ImportError: def sigmoid(z): …: a try made of imports,
    definitions and cheap assignments only, which defines a name one way or the other."""
    if not isinstance(node, ast.Try):
        return False
    parts = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
    return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Pass))
               or _is_cheap_assignment(n) for n in parts)


def _path_entry(node, folder):
    """The folder a `sys.path.append('..')` or `sys.path.insert(0, '..')` statement adds, made
    absolute from the student's folder (where the notebook runs), or None for any other statement.
    The course's utils.py appends '..' to import submission.py from the assignments folder."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    target = ast.unparse(call.func) if isinstance(call.func, ast.Attribute) else ""
    argument = (call.args[-1:] if target in ("sys.path.append", "sys.path.insert") else [None])[0]
    if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)) or call.keywords:
        return None
    return os.path.normpath(os.path.join(folder, argument.value))


def _load_definitions(cells, namespace, folder, tolerant=False):
    """Runs the imports and definitions of each cell in order (a later definition replaces an
    earlier one, as rerunning cells would), and the sys.path entries they add. Returns the cells
    that are not valid Python. `tolerant`: a definition that fails is left out (the course's
    utils.py: its Grader or plotting helpers are not the student's, and nnCostFunction rarely
    needs them; one it does need is then a NameError at the student's line)."""
    broken = []
    for label, source in cells:
        linecache.cache[label] = (len(source), None, source.splitlines(True), label)  # errors quote their line
        try:
            tree = ast.parse(_without_magics(source), filename=label)
        except SyntaxError as error:
            broken.append((label, error))
            continue
        for node in tree.body:
            entry = _path_entry(node, folder)
            if entry is not None:
                if entry not in sys.path:
                    sys.path.append(entry)
                continue
            if _imported_module(node, namespace):
                continue
            cheap = _is_cheap_assignment(node) or _is_fallback(node)
            if not cheap and not isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                                                   ast.ClassDef)):
                continue
            code = compile(ast.Module(body=[node], type_ignores=[]), label, "exec")
            if cheap:
                try:
                    exec(code, namespace)
                except Exception:  # it needs what never ran (m = y.size): left undefined, as before
                    pass
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                try:
                    exec(code, namespace)
                except Exception:  # not installed, or failing at import: a stand-in until used
                    _bind_missing(node, namespace)
            else:
                try:
                    exec(code, namespace)
                except Exception:
                    if not tolerant:
                        raise
    return broken


def _course_sigmoid(z):
    """The course's utils.sigmoid, as the edition writes it: z an array (a list or None fails here,
    as it does in the student's notebook)."""
    return 1.0 / (1.0 + np.exp(-z))


def _course_utils(folder):
    """The module `import utils` gives: the student's utils.py's definitions, and the course's
    sigmoid when it defines none (or there is no utils.py)."""
    utils = types.ModuleType("utils")
    path = os.path.join(folder, "utils.py")
    if os.path.isfile(path):
        utils.__file__ = path
        _load_definitions(_source_cells(path), utils.__dict__, folder, tolerant=True)
    if not callable(utils.__dict__.get("sigmoid")):
        utils.sigmoid = _course_sigmoid
    return utils


def _student_file(path):
    """The file holding nnCostFunction: PATH itself, or the notebook or .py file in the folder PATH."""
    if not os.path.isdir(path):
        return path
    candidates = []
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        if entry.endswith((".ipynb", ".py")) and entry != "utils.py" and os.path.isfile(full):
            with open(full, "rb") as f:
                if b"def nnCostFunction" in f.read():
                    candidates.append(full)
    if not candidates:
        raise StudentError(f"no .ipynb or .py file in {os.path.basename(os.path.abspath(path))} defines nnCostFunction")
    notebooks = [c for c in candidates if c.endswith(".ipynb")]
    return (notebooks or candidates)[0]


def load(path):
    """The student's nnCostFunction, loaded as described above."""
    path = _student_file(path)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    sys.modules["utils"] = _course_utils(folder)
    namespace = {"__name__": "__student__", "__builtins__": builtins}
    global _loading
    try:
        broken = _load_definitions(_source_cells(path), namespace, folder)
    finally:
        _loading = False
    function = namespace.get("nnCostFunction")
    if callable(function):
        return function
    name = os.path.basename(path)
    for label, error in broken:
        if "nnCostFunction" in (error.text or "") or "def nnCostFunction" in _cell_source(path, label):
            raise StudentError(f"{label} line {error.lineno}: SyntaxError: {error.msg}"
                               + (f" in: {error.text.strip()}" if error.text else ""))
    raise StudentError(f"{name} defines no nnCostFunction(nn_params, input_layer_size, hidden_layer_size, "
                       "num_labels, X, y, lambda_)" + (f" ({len(broken)} cell(s) are not valid Python)" if broken else ""))


def _cell_source(path, label):
    for cell_label, source in _source_cells(path):
        if cell_label == label:
            return source
    return ""

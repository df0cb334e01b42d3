"""What gradcheck's Python adapters watch besides the numbers: where in the user's OWN files an
error arose, and what a call of the user's function changed of the arrays it was given.

Side effects are mistakes: a function that sets `Theta1[:, 0] = 0` on a reshape of nn_params (a
view of it) changes the caller's θ, so an optimizer calling it trains other weights than it holds,
even though each of gradcheck's calls, given a fresh copy, sees a right gradient. The adapters
keep a copy of every array they pass, compare after the call, and tell gradcheck in the reply's
"changed" (docs/protocol.md), which FAILs the check with the sentence made here.
"""

import linecache
import os
import sysconfig
import traceback

import numpy as np

__all__ = ["located", "user_frame", "defined_at", "change", "changes", "Watched", "Kept", "note_changed"]

# The adapters' own files: never the user's, wherever they were copied to.
_ADAPTERS = ("gradcheck_adapter.py", "gradcheck_ex4.py", "gradcheck_ex4_load.py", "gradcheck_torch.py", "gradcheck_watch.py", "gradcheck_nograd.py",
             "gradcheck_model.py")
# numpy's, torch's and the standard library's folders: an error raised inside them is the user's
# call of them, whose line is what the user can change.
_LIBRARY_FOLDERS = tuple({os.path.realpath(p) + os.sep for p in
                          (sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib"),
                           sysconfig.get_paths().get("purelib"), sysconfig.get_paths().get("platlib"),
                           os.path.dirname(os.__file__)) if p})


def _is_users(filename):
    """A frame's file is the user's: not a <pseudo-file> (numpy's <__array_function__ internals>),
    not an adapter, not in the standard library, site-packages or dist-packages. A notebook's cell,
    named "exercise4.ipynb cell 6" by gradcheck_ex4, is the user's."""
    if not filename or filename.startswith("<"):
        return False
    if os.path.basename(filename) in _ADAPTERS:
        return False
    if not os.path.isabs(filename):
        return True  # a notebook cell's label, or a path relative to the working folder
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    if any(p.startswith("python3") for p in parts[:4]) and parts[1:3] in (["usr", "lib"], ["usr", "local"]):
        return False  # /usr/lib/python3*/ and /usr/local/lib/python3*/
    return not path.startswith(_LIBRARY_FOLDERS)


def user_frame(error):
    """The deepest traceback frame of `error` in the user's own files, or None."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_users(f.filename)]
    return frames[-1] if frames else None


def defined_at(function):
    """Where the user's `function` is defined, as a frame (located()'s fallback for what the
    adapter finds wrong in what it returned), or None."""
    code = getattr(function, "__code__", None)
    if code is None or not _is_users(code.co_filename):
        return None
    line = code.co_firstlineno  # a decorated function's first line is its first decorator's
    while linecache.getline(code.co_filename, line).lstrip().startswith("@"):
        line += 1
    return traceback.FrameSummary(code.co_filename, line, code.co_name)


def _where(frame):
    name = os.path.basename(frame.filename) if os.path.isabs(frame.filename) else frame.filename
    inside = f" (in {frame.name})" if frame.name not in ("<module>", None) else ""
    return f"{name} line {frame.lineno}{inside}"


def located(error, fallback=None):
    """The error as its author should read it: "net.py line 42 (in backward): ValueError: shapes
    (5,3) and (4,) not aligned — in: dW = X.T @ dout", the deepest frame in their own file.
    `fallback(error)`, when no frame is theirs (an error raised by torch's autograd engine about
    what their backward returned), may give a frame-like (filename, lineno, name, line) instead."""
    frame = user_frame(error)
    if frame is None and fallback is not None:
        frame = fallback(error)
    message = f"{type(error).__name__}: {str(error).strip()}"
    if frame is None:
        return message
    line = (frame.line or linecache.getline(frame.filename, frame.lineno) or "").strip()
    return f"{_where(frame)}{_called_from(error, frame)}: {message}" + (f" — in: {line}" if line else "")


def _called_from(error, deepest):
    """", called from exercise4.ipynb cell 11 line 104 (in nnCostFunction)" when the error is in
    another of the user's files (utils.py's sigmoid, a helper in another cell) than the function
    gradcheck called: the line there that led to it, which is often the one to change."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_users(f.filename)]
    if not frames or frames[-1] is not deepest and frames[-1] != deepest:
        return ""
    entry = [f for f in frames if f.filename == frames[0].filename][-1]
    return "" if entry.filename == deepest.filename else f", called from {_where(entry)}"


def _index(name, index):
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def _value(x, beside=None):
    """x in 6 digits, or in 17 where 6 would print it as `beside` (a change of one ulp read "multiplied by 1")."""
    if np.isnan(x):
        return "NaN"
    short = f"{x:.6g}"
    return f"{x:.17g}" if beside is not None and not np.isnan(beside) and short == f"{beside:.6g}" else short


def change(name, before, after):
    """What a call did to the array `name` (`before` a copy, `after` the array it was given), in
    the user's names, or None: "Theta1[:, 0] set to 0", "every entry of X multiplied by 0.5",
    "3 of 20 entries of y changed, first y[4] from 2 to 0"."""
    before, after = np.asarray(before), np.asarray(after)
    if before.shape == after.shape and before.dtype == after.dtype and np.array_equal(before, after):
        return None  # the usual case, in one pass without copies (X at ex4's size: 2 M entries per call)
    if before.shape != after.shape:
        return f"{name} reshaped from {before.shape} to {after.shape}"
    if before.dtype != after.dtype and not np.can_cast(after.dtype, before.dtype):
        return f"{name} changed to {after.dtype} from {before.dtype}"
    with np.errstate(all="ignore"):
        b, a = before.astype(float), after.astype(float)
        moved = ~((b == a) | (np.isnan(b) & np.isnan(a)))
    count = int(moved.sum())
    if count == 0:
        return None
    if count == 1 and moved.size > 1:
        where = _index(name, np.argwhere(moved)[0])
    elif count == moved.size:
        where = f"every entry of {name}" if moved.size > 1 else name
    elif moved.ndim == 2 and np.array_equal(moved, np.broadcast_to(moved.all(axis=0), moved.shape)):
        columns = np.flatnonzero(moved.all(axis=0))
        where = f"{name}[:, {columns[0]}]" if columns.size == 1 else f"{name}[:, {list(map(int, columns))}]"
    elif moved.ndim == 2 and np.array_equal(moved, np.broadcast_to(moved.all(axis=1)[:, None], moved.shape)):
        rows = np.flatnonzero(moved.all(axis=1))
        where = f"{name}[{rows[0]}, :]" if rows.size == 1 else f"{name}[{list(map(int, rows))}, :]"
    else:
        where = f"{count} of {moved.size} entries of {name}"
    new, old = a[moved], b[moved]
    with np.errstate(all="ignore"):
        ratio = new / old
    if np.all(new == new[0]) or np.all(np.isnan(new)):
        became = f"set to {_value(new[0], old[0])}"
    elif np.all(old != 0) and np.allclose(ratio, ratio[0], rtol=1e-12, atol=0):
        became = f"multiplied by {_value(ratio[0], 1.0)}"
    elif np.allclose(new - old, new[0] - old[0], rtol=1e-12, atol=0):
        became = f"shifted by {new[0] - old[0]:+.6g}"
    elif count == moved.size and a.ndim == 2 and np.allclose(a - b, (a - b)[0], rtol=1e-9, atol=1e-12):
        centred = np.allclose(a.mean(axis=0), 0, atol=1e-9 * (1 + np.abs(b).max()))
        became = "shifted column by column" + (" (centred: each column's mean subtracted)" if centred else "")
    elif count == moved.size and a.ndim == 2 and np.all(b != 0) and np.allclose(a / b, (a / b)[0], rtol=1e-9):
        became = "scaled column by column"
    else:
        first = tuple(np.argwhere(moved)[0])
        became = f"changed, first {_index(name, first)} from {_value(b[first])} to {_value(a[first])}"
    return f"{where} {became}"


def changes(name, before, after):
    """change() of a list of arrays (`name` a list of their names too) joined: "Theta1[:, 0] set
    to 0 and every entry of Theta2 multiplied by 2"."""
    said = [c for c in (change(n, b, a) for n, b, a in zip(name, before, after)) if c]
    return " and ".join(said) or None


class Watched:
    """The arrays given to one call, kept: after the call, what it changed of them, as the
    reply's "changed" entries [{"input": name, "says": sentence}]."""

    def __init__(self, function):
        self.function = function if isinstance(function, str) else getattr(function, "__name__", "the function")
        self.kept = []  # (input, names, originals' copies, the arrays given, why it matters)

    def give(self, input_name, arrays, names=None, why="the caller's copy changes"):
        """Notes `arrays` (an array, or a list of them named `names`) as given; returns them.
        A Kept is given without a copy: it holds its own pristine one, and is restored after."""
        if isinstance(arrays, Kept):
            self.kept.append((input_name, names or [input_name], arrays, None, why))
            return arrays.array
        many = isinstance(arrays, (list, tuple))
        given = list(arrays) if many else [arrays]
        self.kept.append((input_name, names or [input_name], [np.array(a, copy=True) for a in given], given, why))
        return arrays

    def changed(self):
        out = []
        for input_name, names, before, given, why in self.kept:
            said = before.restored(names[0]) if isinstance(before, Kept) else changes(names, before, given)
            if said:
                out.append({"input": input_name, "says": f"{self.function} changes {input_name} in place: {said}; {why}"})
        return out


class Kept:
    """An input given to every call unchanged, X or Y at ex4's size (16 MB): one pristine copy is
    kept for the whole problem, and each call gets the same array instead of a fresh copy. After a
    call, restored() compares it with the pristine copy (one pass, no copy) and, if the call
    changed it, says what as change() does and hands the next call a fresh copy: every call still
    starts from the caller's data, and a change is told in the same words as with a copy per call."""

    def __init__(self, pristine):
        self.pristine = pristine  # the caller's own, which nothing else may change
        self.array = pristine.copy()

    def restored(self, name):
        """change(name, pristine, array) after a call (None if unchanged); the array made pristine again."""
        said = change(name, self.pristine, self.array)
        if said is not None or self.array.shape != self.pristine.shape or self.array.dtype != self.pristine.dtype:
            self.array = self.pristine.copy()
        return said


def note_changed(reply, changed):
    """Adds `changed` entries to `reply["changed"]`, one per input (the first call's words)."""
    if not changed:
        return
    entries = reply.setdefault("changed", [])
    for c in changed:
        if all(e["input"] != c["input"] for e in entries):
            entries.append(c)


"""The probe cells: what runs inside the sandbox to collect a student's answers.

A probe cell, added by the grader right after each autograded test cell,
runs one part's probe source (from the assignment's ``trusted_checks.py``) in
the notebook's namespace.  It reads its inputs from ``INPUTS`` (arrays the
grader wrote into the work folder) and puts what the student's code returns
into ``OUTPUTS``; the cell saves those as ``.npz`` (no pickle) and a JSON note
of any error.  The cell is self-contained: it imports nothing of the grader,
so nothing a notebook replaced in a module can change what it does.  It
trusts nothing either: the grader only reads the saved arrays and checks them
itself, outside the sandbox.

Inside the probe source, ``count_lines(f)`` calls ``f()`` and returns how
many lines of the notebook's own Python ran meanwhile (library code is not
counted), for parts that ask for vectorised code.  It is the same function as
``course_lib.assignment.count_lines``, written out again on purpose: the probe
cell carries everything it runs, so that it depends on nothing in the sandbox.
"""
import nbformat.v4 as v4

IN_DIR = "_grader_inputs"
OUT_DIR = "_grader_results"
PROBE_PREFIX = "grader-probe-"

_CELL = '''# added by the grader: saves what your code returns for the grader's own inputs
def _grader_probe(grade_id, source, namespace):
    import json, os, sys
    import numpy as np

    def count_lines(f):
        here = os.getcwd()
        library = tuple(sorted({p for p in [sys.prefix, sys.base_prefix,
                                            os.path.dirname(os.__file__), *sys.path]
                                if p and p.startswith("/") and p != "/"
                                and os.path.abspath(p) != here}))
        count = [0]

        def local(frame, event, arg):
            if event == "line":
                count[0] += 1
            return local

        def call(frame, event, arg):
            name = frame.f_code.co_filename
            return None if name.startswith(library) else local

        old = sys.gettrace()
        sys.settrace(call)
        try:
            f()
        finally:
            sys.settrace(old)
        return count[0]

    os.makedirs(%(out)r, exist_ok=True)
    note, outputs = {"error": None, "skipped": []}, {}
    try:
        with np.load(os.path.join(%(inp)r, grade_id + ".npz"), allow_pickle=False) as f:
            inputs = {k: f[k] for k in f.files}
        scope = dict(namespace)
        scope.update(INPUTS=inputs, OUTPUTS=outputs, np=np, count_lines=count_lines)
        exec(compile(source, "<grader probe " + grade_id + ">", "exec"), scope)
    except BaseException as exc:
        note["error"] = (type(exc).__name__ + ": " + str(exc))[:500]
    arrays = {}
    for key, value in outputs.items():
        try:
            arr = np.asarray(value)
            if arr.dtype == object:
                raise TypeError("not an array of numbers")
            arrays[str(key)] = arr
        except Exception as exc:
            note["skipped"].append((str(key) + ": " + type(exc).__name__)[:200])
    for suffix in (".npz", ".json"):            # whatever stands there (a link, a pipe) goes
        path = os.path.join(%(out)r, grade_id + suffix)
        try:
            if os.path.lexists(path):
                os.unlink(path)
        except OSError:
            pass
    try:
        np.savez(os.path.join(%(out)r, grade_id + ".npz"), **arrays)
    except BaseException as exc:
        note["error"] = (note["error"] or "") + " (saving: " + type(exc).__name__ + ")"
    with open(os.path.join(%(out)r, grade_id + ".json"), "w", encoding="utf-8") as fh:
        json.dump(note, fh)


_grader_probe(%(gid)r, %(src)r, globals())
del _grader_probe'''


def probe_source(grade_id, source):
    """The source of the probe cell that runs ``source`` for part ``grade_id``."""
    return _CELL % {"out": OUT_DIR, "inp": IN_DIR, "gid": grade_id, "src": source}


def probe_cell(part):
    """The code cell that runs ``part``'s probe in the notebook."""
    cell = v4.new_code_cell(probe_source(part.grade_id, part.probe))
    cell["id"] = (PROBE_PREFIX + part.grade_id)[:64]
    cell.metadata["grader_probe"] = part.grade_id
    return cell

"""What a probe cell runs inside the sandbox (see :mod:`course_grader.trusted`).

A probe cell, added by the grader right after a test cell, calls
:func:`run` with the part's grade id, the probe's source (from the
assignment's ``trusted_checks.py``) and the notebook's namespace.  The probe
reads its inputs from ``INPUTS`` (arrays the grader wrote into the work
folder) and puts what the student's code returns into ``OUTPUTS``; :func:`run`
saves those as ``.npz`` (no pickle) and a JSON note of any error.  Nothing
here is trusted by the grader: it only reads the saved arrays and checks them
itself.
"""
import contextlib
import json
import os

IN_DIR = "_grader_inputs"
OUT_DIR = "_grader_results"


@contextlib.contextmanager
def forbid_calls(*functions):
    """While inside, calling any of ``functions`` (also through another name) raises.

    Used for references the student must not hand in as their own work (the
    loop version a vectorised function is checked against).
    """
    ns = {}
    exec("def tripwire(*args, **kwargs):\n"
         "    raise RuntimeError('this part must not call the reference implementation')\n", ns)
    saved = []
    for fn in functions:
        fn = getattr(fn, "__func__", fn)
        if fn.__code__.co_freevars:             # a closure's code cannot be swapped
            continue
        saved.append((fn, fn.__code__))
        fn.__code__ = ns["tripwire"].__code__
    try:
        yield
    finally:
        for fn, code in saved:
            fn.__code__ = code


def run(grade_id, source, namespace):
    """Run one probe; never raises (a failure is recorded for the grader)."""
    import numpy as np

    os.makedirs(OUT_DIR, exist_ok=True)
    note = {"error": None, "skipped": []}
    outputs = {}
    try:
        with np.load(os.path.join(IN_DIR, f"{grade_id}.npz"), allow_pickle=False) as f:
            inputs = {k: f[k] for k in f.files}
        scope = dict(namespace)
        scope.update(INPUTS=inputs, OUTPUTS=outputs, forbid_calls=forbid_calls, np=np)
        exec(compile(source, f"<grader probe {grade_id}>", "exec"), scope)
    except BaseException as exc:                  # noqa: BLE001 - reported, not raised
        note["error"] = f"{type(exc).__name__}: {exc}"[:500]
    arrays = {}
    for key, value in outputs.items():
        try:
            arr = np.asarray(value)
            if arr.dtype == object:
                raise TypeError("not an array of numbers")
            arrays[str(key)] = arr
        except Exception as exc:                  # noqa: BLE001
            note["skipped"].append(f"{key}: {type(exc).__name__}"[:200])
    try:
        np.savez(os.path.join(OUT_DIR, f"{grade_id}.npz"), **arrays)
    except BaseException as exc:                  # noqa: BLE001
        note["error"] = (note["error"] or "") + f" (saving: {type(exc).__name__})"
    with open(os.path.join(OUT_DIR, f"{grade_id}.json"), "w", encoding="utf-8") as fh:
        json.dump(note, fh)

"""How long does `course-grade` take per submission, and where does the time go?

Makes N complete submissions of the Fashion-MNIST assignment (the student
version with every answer filled in from the instructor version, and the
instructor's model file), grades them with `course-grade` (quick mode, 2 at a
time by default) and prints the time of the whole run, the time per
submission, and, averaged over the submissions, the seconds of each step: the
kernel's start, each cell of the notebook (the imports, the data, each part's
test and probe), the sandbox as a whole, the scoring process, and the pages.

With ``--costly-models``, two of the submissions hand in model files within every limit a
model file has but far too costly to score (198 convolutions of 64 channels in float16; one
1x1 convolution of 1,024 filters with padding 64): the run should take no longer, as both
are refused from their description.

Run:  COURSE_LIB_DATA=path/to/datasets python benchmarks/grading_throughput.py [--n 6] [--jobs 2]
      [--no-sandbox] [--costly-models]
"""
import argparse
import copy
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from course_grader import batch

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "fashion_mnist"


def complete_submission():
    """The student version with the instructor's answers in every answer cell."""
    release = nbformat.read(ROOT / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution"):
            cell.source = answers[nbg["grade_id"]]
    return nb


COSTLY = {
    "deep": ([{"type": "Convolution", "filters": 64, "filter_h": 3, "filter_w": 3, "pad": 1}]
             * 198 + [{"type": "Affine", "units": 10}], "float16"),
    "wide": ([{"type": "Convolution", "filters": 1024, "filter_h": 1, "filter_w": 1, "pad": 64},
              {"type": "Pooling", "pool_h": 52, "pool_w": 52}, {"type": "Affine", "units": 10}],
             "float32"),
}


def costly_model_file(layers, dtype, path):
    """A valid model file for ``layers`` (small constant weights), written without building it."""
    import numpy as np

    from course_lib.model_file import DESCRIPTION_KEY, FORMAT, _layer_spec, _shapes
    specs = [_layer_spec(d, i, defaults=True) for i, d in enumerate(layers)]
    plan, _ = _shapes(specs, (1, 28, 28))
    arrays, k = {}, 0
    for shapes in plan:
        if shapes:
            k += 1
            arrays[f"W{k}"] = np.full(shapes["W"], 0.01, dtype=dtype)
            arrays[f"b{k}"] = np.zeros(shapes["b"], dtype=dtype)
    description = {"format": FORMAT, "input_shape": [1, 28, 28], "dtype": dtype,
                   "layers": specs, "metadata": {"validation_accuracy": 0.9}}
    np.savez(path, **arrays, **{DESCRIPTION_KEY: np.array(json.dumps(description))})


def _steps(out_dir):
    """Mean seconds of each step over the records of a run."""
    seconds = {}
    for path in (out_dir / "records").glob("*.json"):
        for step, value in json.loads(path.read_text(encoding="utf-8")).get("seconds", {}).items():
            seconds.setdefault(step, []).append(value)
    return {step: statistics.mean(v) for step, v in seconds.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6, help="number of submissions (default: 6)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="submissions graded at once (default: 2)")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without the sandbox")
    parser.add_argument("--costly-models", action="store_true",
                        help="two submissions hand in model files far too costly to score")
    args = parser.parse_args(argv)
    nb = complete_submission()
    model = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}_model.npz"
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "submissions", Path(tmp) / "out"
        for i in range(args.n):
            folder = subs / f"student{i:03d}"
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
            costly = list(COSTLY.values())[i] if args.costly_models and i < 2 else None
            if costly:
                costly_model_file(*costly, folder / model.name)
            else:
                shutil.copyfile(model, folder / model.name)
        start = time.perf_counter()
        records = batch.grade(subs, out, jobs=args.jobs, log=lambda *a: None,
                              use_sandbox=not args.no_sandbox)
        elapsed = time.perf_counter() - start
        steps = _steps(out)
        pages = time.perf_counter()
        batch.rescore(out, log=lambda *a: None)
        rescore = time.perf_counter() - pages
    scores = sorted({r.autograded for r in records})
    bad = [r.student for r in records if r.problems]
    mode = ("no sandbox" if args.no_sandbox else "sandbox") + \
        (", two costly model files" if args.costly_models else "")
    print(f"{mode}: {len(records)} submissions (scores {scores}) with {args.jobs} job(s) in "
          f"{elapsed:.1f} s, set-up and pages included: {elapsed / len(records):.1f} s per "
          f"submission, {60 * len(records) / elapsed:.1f} per minute; a class of 200: about "
          f"{200 * elapsed / len(records) / 60:.0f} minutes")
    print(f"rescore (pages and files from the records, no notebook run): {rescore:.1f} s")
    print("mean seconds per submission, step by step:")
    for step, value in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {step:<34} {value:7.2f}")
    if bad:
        print(f"unexpected problems for: {', '.join(bad)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

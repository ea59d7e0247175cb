"""Scoring one submission in a process of its own, with limits.

Everything the grader computes on what a student handed in (the probes'
results, the model file above all) is computed here, in a child process that
``prlimit`` holds to an address space and a number of processor seconds, and
that the grader stops when its wall-clock time runs out
(:func:`score_submission`).  A model file that would take minutes or ask for
tens of GiB therefore costs its own part and nothing else: the parts are
scored one after another and each result is written as soon as it is known,
so a stopped scoring keeps the parts before it.

The child is started as ``python -m course_grader.scoring JOB.json`` and
writes one JSON line per part to the job's ``out`` file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import processes, trusted

SCORING_MEMORY_MB = 4096


def write_job(path, **job):
    Path(path).write_text(json.dumps(job), encoding="utf-8")


def score_submission(job_path, out_path, parts, timeout, memory_mb=SCORING_MEMORY_MB,
                     log_path=None, language="en"):
    """Run the scoring child for the job in ``job_path``; return a Result per part.

    Parts the child did not finish (time or memory ran out) score 0 with a
    message saying so.
    """
    out_path = Path(out_path)
    out_path.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               COURSE_LIB_THREADS="1", PYTHONPATH=os.pathsep.join(_import_path()),
               COURSE_LIB_LANG=language,           # the checks' messages in the student's language
               **processes.NUMPY_ENV)
    argv = ["prlimit", f"--as={memory_mb * 2 ** 20}", f"--cpu={max(1, int(timeout) + 5)}", "--",
            sys.executable, "-m", "course_grader.scoring", str(job_path)]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    started = time.monotonic()
    try:
        proc = processes.start(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        try:
            proc.wait(timeout=max(1.0, timeout))
        except subprocess.TimeoutExpired:
            processes.kill(proc)
        finally:
            processes.finish(proc)
    finally:
        if log_path:
            log.close()
    elapsed = time.monotonic() - started
    done = {}
    if out_path.exists():
        for line in out_path.read_text(encoding="utf-8").splitlines():
            try:
                d = json.loads(line)
                done[d["grade_id"]] = trusted.Result.from_dict(d)
            except (ValueError, KeyError, TypeError):
                continue
    why = (f"the scoring of this part was stopped after {elapsed:.0f} s (the time limit for "
           f"scoring is {timeout:.0f} s) or ran out of memory ({memory_mb} MiB)")
    return [done.get(p.grade_id) or trusted.Result(p.grade_id, 0.0, p.points, why, fixed=None,
                                                   title=p.title)
            for p in parts]


def _import_path():
    """Where course_lib and course_grader are imported from in this process."""
    import course_lib

    import course_grader
    return sorted({str(Path(m.__file__).resolve().parent.parent)
                   for m in (course_lib, course_grader)})


def run_job(job):
    """Score every part of one submission; append each result to ``job['out']``."""
    spec = trusted.load_spec(job["spec"])
    ctx = {"quick": job["quick"], "answers": job["answers"], "data_dir": job.get("data_dir"),
           "work": Path(job["work"])}
    results = Path(job["results"])
    with open(job["out"], "a", encoding="utf-8") as out:
        for part in spec.parts:
            inputs = trusted.draw_inputs(part, job["secret"], job["student"], ctx)
            result = trusted.score_part(part, inputs, results, ctx)
            out.write(json.dumps(result.as_dict()) + "\n")
            out.flush()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    sys.dont_write_bytecode = True
    run_job(job)
    return 0


if __name__ == "__main__":
    sys.exit(main())

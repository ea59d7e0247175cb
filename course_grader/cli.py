"""The ``course-grade`` command (also ``python -m course_grader``).

    course-grade SUBMISSIONS --out OUT [options]     grade a class (see course_grader.batch)
    course-grade rescore OUT                         written grades entered: rebuild every page
    course-grade merge OUT1 OUT2 ... --out ALL       combine the output folders of shards
    course-grade export OUT --to canvas|moodle|csv DEST   the file the LMS imports

Every subcommand answers a wrong argument with one line on standard error
saying what is wrong, and exit status 2, having written nothing.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from . import batch, sandbox
from .submissions import ASSIGNMENT, GradingError

DEFAULT_OUT = "grading-output"


def build_parser():
    d = sandbox.Limits()
    p = argparse.ArgumentParser(
        prog="course-grade",
        description="Grade a folder of notebook submissions, each in its own sandbox: writes "
                    "OUT/gradebook.csv, OUT/feedback/<student>.html, OUT/written/, "
                    "OUT/similarity.html and OUT/report.md. Other commands: `course-grade "
                    "rescore OUT`, `course-grade merge OUT1 OUT2 ... --out ALL`, `course-grade "
                    "export OUT --to canvas|moodle|csv DEST`.")
    p.add_argument("submissions", help="folder of submissions: as the LMS exports them (Canvas "
                   "files, Moodle folders, nbgrader's submitted/), or <student>.ipynb files, or "
                   "one folder per student")
    p.add_argument("--out", default=DEFAULT_OUT,
                   help=f"output folder (default: {DEFAULT_OUT}); reused when it exists")
    p.add_argument("--assignment", default=ASSIGNMENT,
                   help=f"assignment name (default: {ASSIGNMENT})")
    p.add_argument("--source", default=None,
                   help="folder holding the instructor versions (default: the course's "
                   "solutions/)")
    p.add_argument("--roster", default=None, help="the LMS's export of the class list (CSV): "
                   "names for the ids, and who handed in nothing")
    p.add_argument("--only-changed", action="store_true",
                   help="grade only submissions whose files changed since their last grading")
    p.add_argument("--secret-file", default=None, help="file holding the secret the cases are "
                   "drawn from (default: OUT/.grading-secret, made on the first run)")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default: 2)")
    p.add_argument("--cell-timeout", type=int, default=60,
                   help="seconds one cell may run before it is stopped (default: 60)")
    p.add_argument("--submission-timeout", type=int, default=600,
                   help="seconds one whole submission may take, its scoring included "
                   "(default: 600)")
    p.add_argument("--full", action="store_true",
                   help="run the notebooks in full mode instead of quick mode (slow)")
    p.add_argument("--data-dir", default=None,
                   help="dataset folder passed to the notebooks as COURSE_LIB_DATA")
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="grade only slice K of N (by sorted student id), for a job array")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without a sandbox where none can be made (unsafe; said in the "
                   "report)")
    p.add_argument("--keep-work", action="store_true",
                   help="keep each submission's work folder (OUT/work/<student>/) for inspection")
    p.add_argument("--memory-mb", type=int, default=d.memory_mb,
                   help=f"address space per process in the sandbox, MiB (default: {d.memory_mb})")
    p.add_argument("--cpu-seconds", type=int, default=d.cpu_s,
                   help=f"processor seconds per process (default: {d.cpu_s})")
    p.add_argument("--max-processes", type=int, default=d.processes,
                   help=f"processes and threads in the sandbox (default: {d.processes})")
    p.add_argument("--max-open-files", type=int, default=d.open_files,
                   help=f"open files per process (default: {d.open_files})")
    p.add_argument("--max-file-mb", type=int, default=d.file_mb,
                   help=f"size of any file written, MiB (default: {d.file_mb})")
    p.add_argument("--max-work-mb", type=int, default=d.work_mb,
                   help="everything a submission writes into its folder, MiB "
                   f"(default: {d.work_mb})")
    return p


def _grade(argv):
    args = build_parser().parse_args(argv)
    numbers = (args.jobs, args.cell_timeout, args.submission_timeout, args.memory_mb,
               args.cpu_seconds, args.max_processes, args.max_open_files, args.max_file_mb,
               args.max_work_mb)
    if any(n < 1 for n in numbers):
        raise GradingError("--jobs, the time limits and the resource limits must be positive "
                           "numbers")
    limits = sandbox.Limits(memory_mb=args.memory_mb, cpu_s=args.cpu_seconds,
                            processes=args.max_processes, open_files=args.max_open_files,
                            file_mb=args.max_file_mb, work_mb=args.max_work_mb)
    shard = batch.parse_shard(args.shard) if args.shard else None
    records = batch.grade(args.submissions, args.out, assignment=args.assignment,
                          source=args.source, jobs=args.jobs, cell_timeout=args.cell_timeout,
                          submission_timeout=args.submission_timeout, quick=not args.full,
                          data_dir=args.data_dir, use_sandbox=not args.no_sandbox, limits=limits,
                          shard=shard, keep_work=args.keep_work, only_changed=args.only_changed,
                          roster=args.roster, secret_file=args.secret_file)
    n = sum(1 for r in records if r.problems)
    print(f"{len(records)} submission(s) graded, {n} with problems (see report.md)")


def _rescore(argv):
    p = argparse.ArgumentParser(prog="course-grade rescore", description=(
        "Apply the written grades (OUT/written/*.csv) and rebuild the gradebook, the feedback "
        "pages, the written-answer pages and the report from the records, without running any "
        "notebook."))
    p.add_argument("out", help="the --out folder of a grading run")
    p.add_argument("--assignment", default=ASSIGNMENT)
    p.add_argument("--source", default=None)
    args = p.parse_args(argv)
    batch.rescore(args.out, args.assignment, args.source)


def _merge(argv):
    from . import merge, publish
    from . import assignment as assignment_mod
    p = argparse.ArgumentParser(prog="course-grade merge",
                                description="Combine the output folders of several shards.")
    p.add_argument("shards", nargs="+", help="the --out folders of the shards")
    p.add_argument("--out", required=True, help="folder for the merged gradebook and pages")
    p.add_argument("--assignment", default=ASSIGNMENT)
    p.add_argument("--source", default=None)
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        the = assignment_mod.load(args.assignment, args.source, Path(tmp))
    shards = merge.merge_records(args.shards, out)
    merge.merge_written(shards, out, the.questions)
    records, _ = publish.publish(out, the, the.general + [
        f"merged from {len(shards)} shard(s): {', '.join(s.name for s in shards)}"])
    print(f"merged {len(records)} students into {out / 'gradebook.csv'}")


def _export(argv):
    from . import export
    return export.main(argv)          # it reports its own errors (exit status 2)


COMMANDS = {"rescore": _rescore, "merge": _merge, "export": _export}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    command = COMMANDS.get(argv[0]) if argv else None
    try:
        return (command(argv[1:]) if command is not None else _grade(argv)) or 0
    except GradingError as exc:
        name = f"course-grade {argv[0]}" if command is not None else "course-grade"
        print(f"{name}: {exc}", file=sys.stderr)
        return 2

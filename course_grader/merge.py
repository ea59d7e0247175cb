"""Combining the output folders of several shards: ``course-grade merge OUT1 OUT2 ... --out ALL``.

The records of every shard (and their executed notebooks) are copied into
the merged folder, the written grades entered in any shard are carried over,
and every page and file is made anew from them (:mod:`course_grader.publish`):
no notebook runs.  Shards that hold the same student, or different written
grades for one student, are refused.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import record, written
from .submissions import GradingError


def merge_records(shard_dirs, out_dir):
    """Copy every shard's records into ``out_dir``; returns the shard folders used."""
    out_dir = Path(out_dir).resolve()
    target = out_dir / record.RECORDS
    target.mkdir(parents=True, exist_ok=True)
    seen, shards = {}, []
    for folder in map(lambda p: Path(p).resolve(), shard_dirs):
        if folder == out_dir:
            raise GradingError("--out must be a new folder, not one of the shards")
        source = folder / record.RECORDS
        if not source.is_dir():
            raise GradingError(f"{folder} has no records/: is it the --out folder of a shard?")
        for path in sorted(source.glob("*.json")):
            student = path.stem
            if student in seen:
                raise GradingError(f"student '{student}' is in both {seen[student]} and {folder}: "
                                   "the shards overlap")
            seen[student] = folder
        shards.append(folder)
    if not shards:
        raise GradingError("nothing to merge: give the --out folders of the shards")
    for folder in shards:
        for path in sorted((folder / record.RECORDS).iterdir()):
            if path.suffix in (".json", ".ipynb") and path.is_file() and not path.is_symlink():
                shutil.copyfile(path, target / path.name)
    return shards


def merge_written(shards, out_dir, questions):
    """The written grades of all shards in ``out_dir``'s sheets (refusing contradictions)."""
    combined = {q.grade_id: {} for q in questions}
    for folder in [*shards, Path(out_dir)]:
        for qid, grades in written.read_grades(folder, questions).items():
            for student, grade in grades.items():
                if grade.points is None and not grade.comment:
                    continue
                old = combined[qid].get(student)
                if old is not None and (old.points, old.comment) != (grade.points, grade.comment):
                    raise GradingError(f"{student} has different written grades for {qid} in "
                                       f"two folders; keep one of them in {folder}/written/")
                combined[qid][student] = grade
    for q in questions:
        path = written.csv_path(out_dir, q)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{"student": s, "name": "", "points": "" if g.points is None else f"{g.points:g}",
                 "comment": g.comment} for s, g in sorted(combined[q.grade_id].items())]
        written.write_rows(path, rows)

"""What grading found out about one submission, kept so that nothing has to run twice.

A :class:`Record` holds everything the gradebook, the report, the feedback
page, the written-answer pages and the similarity report need: who handed
in what (as the learning-management system exported it), the trusted score of
every part, the problems met, the written answers and the code of the answer
cells.  It is saved as ``records/<student>.json`` in the output folder, next
to ``records/<student>.ipynb``, the executed notebook the feedback page shows.
``course-grade rescore`` and ``course-grade merge`` rebuild every page and
file from the records and the written grades, without executing anything.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .trusted import Result

RECORDS = "records"
STATUSES = ("ok", "repaired", "flagged", "timed out", "failed", "unreadable")


@dataclass
class Record:
    student: str                            # the gradebook's id (unique, a file name)
    name: str = ""                          # the student's name, where the export gives it
    lms: str = "files"                      # canvas | moodle | nbgrader | files
    lms_user_id: str | None = None
    attempt: int = 1
    late: bool | None = None
    submitted_at: str | None = None         # ISO 8601, where known
    submission: str = ""                    # the graded file, relative to the submissions folder
    content_hash: str = ""                  # of the files handed in and of the assignment
    status: str = "ok"
    problems: list = field(default_factory=list)       # worth the instructor's look
    notes: list = field(default_factory=list)          # harmless facts, for the instructor
    student_notes: list = field(default_factory=list)  # what the student's page says
    results: list = field(default_factory=list)        # Result dicts, one per part
    written_answers: dict = field(default_factory=dict)  # question -> the student's text
    code_answers: dict = field(default_factory=dict)     # answer cell -> source; "_extra": added
    evidence: list = field(default_factory=list)       # signs of using the course's own code
    earlier_attempts: list = field(default_factory=list)
    graded_at: str = ""
    seconds: dict = field(default_factory=dict)         # where the grading time went
    language: str = "en"                                # the edition handed in

    def problem(self, text, student=None):
        """A problem for the report; ``student`` is what the student's page says about it."""
        self.problems.append(text)
        if student:
            self.student_notes.append(student)

    def set_status(self, status):
        """Raise the status to ``status`` unless a graver one is set already."""
        if STATUSES.index(status) > STATUSES.index(self.status):
            self.status = status

    def result_objects(self):
        return [Result.from_dict(r) for r in self.results]

    @property
    def autograded(self):
        return sum(float(r["points"]) for r in self.results)

    def save(self, out_dir, executed=None):
        folder = Path(out_dir) / RECORDS
        folder.mkdir(parents=True, exist_ok=True)
        if executed is not None:
            import nbformat
            tmp = folder / f"{self.student}.ipynb.part"
            nbformat.write(executed, tmp)
            os.replace(tmp, folder / f"{self.student}.ipynb")
        tmp = folder / f"{self.student}.json.part"
        tmp.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / f"{self.student}.json")

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def load_all(out_dir):
    """Every record in ``out_dir/records``, sorted by student id."""
    folder = Path(out_dir) / RECORDS
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            records.append(Record.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"{path} is damaged ({exc}); grade that student again") from None
    return sorted(records, key=lambda r: r.student)


def executed_notebook(out_dir, student):
    """The executed notebook saved with a record, or None."""
    import nbformat
    path = Path(out_dir) / RECORDS / f"{student}.ipynb"
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None

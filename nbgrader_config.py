# nbgrader configuration for the course repository.
#
# The instructor version of every assignment lives in solutions/ and the
# student version, generated from it, in assignments/:
#
#     nbgrader generate_assignment fashion_mnist --force
#
# run from the repository root rewrites assignments/fashion_mnist/.  Grading
# does not happen here: `course-grade` (course_lib/grading.py) builds its own
# nbgrader course directory, with its own gradebook database, in the output
# folder it is given (see docs/grading.md).
c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# Generating the student version needs no gradebook; without this line nbgrader
# would leave a gradebook.db file in the repository.
c.GenerateAssignment.no_database = True
c.SaveCells.enabled = False

# Cells may train a small network: give them time when a notebook is executed
# by `nbgrader validate` or `nbgrader autograde` (the default is 30 s).
c.Execute.timeout = 300
c.ExecutePreprocessor.timeout = 300

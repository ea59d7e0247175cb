# nbgrader configuration for the course repository.
#
# The instructor version of every assignment lives in solutions/ and the
# student version, generated from it, in assignments/:
#
#     nbgrader generate_assignment fashion_mnist --force
#
# run from the repository root rewrites assignments/fashion_mnist/.  Grading
# does not happen here: `course-grade` (the course_grader package) generates
# the student version again in its output folder, runs every submission in a
# sandbox and scores it with the assignment's trusted_checks.py (see
# docs/grading.md).
c = get_config()  # noqa: F821  (provided by nbgrader when it reads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# Generating the student version needs no gradebook; without this line nbgrader
# would leave a gradebook.db file in the repository.
c.GenerateAssignment.no_database = True
# The trusted checks (hidden inputs, reference code) stay with the instructor, and so
# does the network the instructor version trains (fashion_mnist_model.npz): handed to
# students it would earn the accuracy points.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "trusted_checks.py", "*_model.npz"]
c.SaveCells.enabled = False

# Cells may train a small network: give them time when a notebook is executed
# by `nbgrader validate` or `nbgrader autograde` (the default is 30 s).
c.Execute.timeout = 300
c.ExecutePreprocessor.timeout = 300

"""``python -m course_grader``: the same as ``course-grade``."""
import sys

from .grading import main

sys.exit(main())

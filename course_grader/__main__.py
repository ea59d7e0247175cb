"""``python -m course_grader``: the same as ``course-grade``."""
import sys

from .cli import main

sys.exit(main())

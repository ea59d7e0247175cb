"""Instructor-side grading of the course's notebook assignments (``course-grade``).

Installed with the ``instructor`` extra; student installs never import it.
See docs/grading.md.
"""

import os

import pytest


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST (flatten=False), from COURSE_LIB_DATA; skipped when the data is not there."""
    if not os.environ.get("COURSE_LIB_DATA"):
        pytest.skip("set COURSE_LIB_DATA to the folder holding mnist/ and fashion-mnist/ to run tests on real data")
    from course_lib import load_mnist
    return load_mnist(flatten=False)

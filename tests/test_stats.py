"""The binomial standard error of a measured accuracy: its value, that it describes
the real scatter of measurements, and clear errors for misuse."""
import numpy as np
import pytest

from course_lib.stats import accuracy_with_error, binomial_std_error


def test_known_values():
    assert binomial_std_error(0.988, 1000) == pytest.approx(np.sqrt(0.988 * 0.012 / 1000))
    assert binomial_std_error(0.5, 100) == pytest.approx(0.05)
    assert binomial_std_error(1.0, 200) == 0.0
    assert accuracy_with_error(988, 1000) == "98.80 % ± 0.34 % (988 of 1,000)"
    assert accuracy_with_error(9948, 10000) == "99.48 % ± 0.07 % (9,948 of 10,000)"
    assert accuracy_with_error(np.int64(150), 200, digits=1) == "75.0 % ± 3.1 % (150 of 200)"


def test_error_matches_the_scatter_of_real_measurements():
    # measure a "network" that is right with probability p on n images, many times over
    rng = np.random.default_rng(0)
    for p, n in [(0.99, 500), (0.9, 2000), (0.7, 200)]:
        measured = rng.binomial(n, p, size=20000) / n
        assert np.std(measured) == pytest.approx(binomial_std_error(p, n), rel=0.03)
        # and about 95 % of measurements fall within two standard errors of p
        inside = np.mean(np.abs(measured - p) <= 2 * binomial_std_error(p, n))
        assert 0.93 < inside < 0.98


def test_the_error_shrinks_as_one_over_root_n():
    assert binomial_std_error(0.9, 400) == pytest.approx(2 * binomial_std_error(0.9, 1600))


@pytest.mark.parametrize("acc, n, match", [(98.8, 1000, "not 98.8"), (-0.1, 10, "between 0 and 1"),
                                           (0.9, 0, "positive whole "
                                                    "number"), (0.9, 2.5, "positive whole"),
                                           (0.9, True, "positive whole")])
def test_bad_arguments_to_the_standard_error(acc, n, match):
    with pytest.raises(ValueError, match=match):
        binomial_std_error(acc, n)


@pytest.mark.parametrize("correct, n", [(0.988, 1000), (1001, 1000), (-1, 1000)])
def test_a_count_is_needed_not_a_fraction(correct, n):
    with pytest.raises(ValueError, match="whole number of images"):
        accuracy_with_error(correct, n)

"""Tests for course_lib.augment: batch image transforms in NumPy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import augment as A


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def random_batch(n=6, c=1, h=28, w=28, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, c, h, w)).astype(dtype)


def blob(h=29, w=29, row=9.0, col=17.0, sigma=1.5):
    """A Gaussian spot centred at (row, col), as a (1, 1, H, W) float64 batch."""
    r = np.arange(h)[:, None]
    c = np.arange(w)[None, :]
    img = np.exp(-((r - row) ** 2 + (c - col) ** 2) / (2 * sigma ** 2))
    return img[None, None]


def centre_of_mass(x):
    """(row, col) centre of mass of every image of a (N, 1, H, W) batch."""
    img = x[:, 0].astype(np.float64)
    h, w = img.shape[1:]
    mass = img.sum(axis=(1, 2))
    row = (img * np.arange(h)[None, :, None]).sum(axis=(1, 2)) / mass
    col = (img * np.arange(w)[None, None, :]).sum(axis=(1, 2)) / mass
    return np.stack([row, col], axis=1)


RANDOM_TRANSFORMS = [
    lambda: A.RandomRotation(20),
    lambda: A.RandomShift(3),
    lambda: A.RandomShift(2.5, whole_pixels=False),
    lambda: A.RandomZoom((0.8, 1.2)),
    lambda: A.RandomAffine(15, 2, (0.9, 1.1)),
    lambda: A.RandomElastic(2.0, 4.0),
    lambda: A.RandomCrop(3),
    lambda: A.RandomCrop(2, mode="reflect"),
    lambda: A.RandomHorizontalFlip(0.5),
    lambda: A.RandomBrightnessContrast(0.2, 0.3),
]


def reference_bilinear(img, r, c, fill):
    """The module docstring's convention for one image (H, W) and one source point, in loops."""
    h, w = img.shape
    r0, c0 = int(np.floor(r)), int(np.floor(c))
    a, b = r - r0, c - c0

    def pixel(i, j):
        return img[i, j] if 0 <= i < h and 0 <= j < w else fill

    return ((1 - a) * (1 - b) * pixel(r0, c0) + (1 - a) * b * pixel(r0, c0 + 1)
            + a * (1 - b) * pixel(r0 + 1, c0) + a * b * pixel(r0 + 1, c0 + 1))


# ---------------------------------------------------------------------------
# The documented convention: inverse mapping, bilinear, fill outside
# ---------------------------------------------------------------------------

def test_shift_reads_each_output_pixel_from_row_minus_dy_col_minus_dx():
    x = random_batch(n=3, c=2, h=7, w=9, dtype=np.float64)
    dx, dy = np.array([0.5, -2.25, 3.0]), np.array([1.75, 0.0, -6.5])
    y = A.shift(x, dx, dy, fill=0.3)
    for k in range(3):
        for ch in range(2):
            expected = [[reference_bilinear(x[k, ch], i - dy[k], j - dx[k], 0.3) for j in range(9)]
                        for i in range(7)]
            np.testing.assert_allclose(y[k, ch], expected, atol=1e-12)


@pytest.mark.parametrize("angle", [17.0, -120.0])
def test_rotate_reads_from_the_documented_source_point(angle):
    h, w = 8, 11
    x = random_batch(n=1, h=h, w=w, dtype=np.float64)
    t = np.deg2rad(angle)
    y = A.rotate(x, angle, fill=0.5)
    for i in range(h):
        for j in range(w):
            u, v = i - (h - 1) / 2, j - (w - 1) / 2
            r = (h - 1) / 2 + u * np.cos(t) + v * np.sin(t)
            c = (w - 1) / 2 - u * np.sin(t) + v * np.cos(t)
            assert y[0, 0, i, j] == pytest.approx(reference_bilinear(x[0, 0], r, c, 0.5), abs=1e-12)


def test_zoom_reads_from_the_centre_plus_offset_over_factor():
    h, w = 9, 6
    x = random_batch(n=1, h=h, w=w, dtype=np.float64)
    y = A.zoom(x, 0.7, fill=0.0)
    cr, cc = (h - 1) / 2, (w - 1) / 2
    expected = [[reference_bilinear(x[0, 0], cr + (i - cr) / 0.7, cc + (j - cc) / 0.7, 0.0)
                 for j in range(w)] for i in range(h)]
    np.testing.assert_allclose(y[0, 0], expected, atol=1e-12)


# ---------------------------------------------------------------------------
# Identity parameters give the input back
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identity_parameters_return_input(dtype):
    x = random_batch(dtype=dtype)
    np.testing.assert_array_equal(A.rotate(x, 0), x)
    np.testing.assert_array_equal(A.zoom(x, 1.0), x)
    np.testing.assert_array_equal(A.shift(x, 0, 0), x)
    np.testing.assert_array_equal(A.shift(x, 0.0, 0.0), x)
    np.testing.assert_array_equal(A.affine(x, np.eye(2)), x)
    np.testing.assert_array_equal(A.pad_crop(x, 2, 2, padding=2), x)
    np.testing.assert_array_equal(A.adjust_brightness_contrast(x, 0.0, 1.0), x)
    np.testing.assert_array_equal(A.rot90(x, 0), x)


def test_random_transforms_with_identity_ranges_return_input():
    x = random_batch()
    identities = [
        A.RandomRotation(0),
        A.RandomShift(0),
        A.RandomZoom((1.0, 1.0)),
        A.RandomAffine(0, 0, (1.0, 1.0)),
        A.RandomElastic(alpha=0.0),
        A.RandomCrop(0),
        A.RandomHorizontalFlip(0.0),
        A.RandomBrightnessContrast(0, 0),
        A.Compose([]),
    ]
    for t in identities:
        np.testing.assert_array_equal(t(x, np.random.default_rng(1)), x, err_msg=repr(t))


# ---------------------------------------------------------------------------
# Flips and quarter turns
# ---------------------------------------------------------------------------

def test_flip_twice_is_identity_and_mirrors_columns():
    x = random_batch(c=3, h=5, w=7)
    f = A.flip_horizontal(x)
    np.testing.assert_array_equal(f[..., 0], x[..., -1])
    np.testing.assert_array_equal(A.flip_horizontal(f), x)


def test_flip_mask_flips_only_chosen_images():
    x = random_batch(n=4)
    mask = np.array([True, False, False, True])
    out = A.flip_horizontal(x, mask)
    np.testing.assert_array_equal(out[mask], x[mask][..., ::-1])
    np.testing.assert_array_equal(out[~mask], x[~mask])


def test_four_quarter_turns_are_identity():
    x = random_batch(c=2, h=6, w=9)
    y = x
    for _ in range(4):
        y = A.rot90(y)
    np.testing.assert_array_equal(y, x)
    assert A.rot90(x).shape == (6, 2, 9, 6)


@pytest.mark.parametrize("k", [-1, 1, 2, 3, 4])
def test_interpolating_rotation_matches_rot90(k):
    x = random_batch(c=2, h=28, w=28)
    expected = np.rot90(x, k=k, axes=(2, 3))
    np.testing.assert_allclose(A.rotate(x, 90 * k), expected, atol=1e-6)


def test_four_interpolated_90_degree_rotations_are_identity():
    x = random_batch(h=11, w=11)
    y = x
    for _ in range(4):
        y = A.rotate(y, 90)
    np.testing.assert_allclose(y, x, atol=1e-6)


def test_rotate_180_on_rectangular_image_matches_rot90_twice():
    x = random_batch(h=10, w=15, dtype=np.float64)
    np.testing.assert_allclose(A.rotate(x, 180), np.rot90(x, 2, axes=(2, 3)), atol=1e-12)


# ---------------------------------------------------------------------------
# Geometry: where does the mass go?
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dx, dy", [(3, -2), (-4, 5), (1.5, 0.25), (-2.75, 1.5)])
def test_shift_moves_centre_of_mass(dx, dy):
    x = blob(row=14, col=14)
    before = centre_of_mass(x)[0]
    y = A.shift(x, dx, dy)
    after = centre_of_mass(y)[0]
    np.testing.assert_allclose(after - before, [dy, dx], atol=1e-6)
    np.testing.assert_allclose(y.sum(), x.sum(), rtol=1e-6)


def test_shift_whole_pixels_is_exact_with_zero_fill():
    x = random_batch(n=2, h=6, w=8)
    y = A.shift(x, [2, -1], [1, 3])
    np.testing.assert_array_equal(y[0, :, 1:, 2:], x[0, :, :-1, :-2])
    assert np.all(y[0, :, 0, :] == 0) and np.all(y[0, :, :, :2] == 0)
    np.testing.assert_array_equal(y[1, :, 3:, :-1], x[1, :, :-3, 1:])
    assert np.all(y[1, :, :3, :] == 0) and np.all(y[1, :, :, -1] == 0)


def test_shift_beyond_the_image_gives_only_fill():
    x = random_batch(n=2, h=5, w=5)
    np.testing.assert_array_equal(A.shift(x, 7, 0), np.zeros_like(x))
    np.testing.assert_array_equal(A.shift(x, 0.5, -9.5), np.zeros_like(x))


@pytest.mark.parametrize("angle", [30.0, -45.0, 90.0, 135.0])
def test_rotation_turns_a_spot_counter_clockwise_about_the_centre(angle):
    x = blob(row=8, col=14)              # 6 pixels above the centre (14, 14)
    com = centre_of_mass(A.rotate(x, angle))[0]
    t = np.deg2rad(angle)
    # Counter-clockwise on screen (rows grow downwards): the spot above the
    # centre moves to the left for positive angles.
    expected = [14 - 6 * np.cos(t), 14 - 6 * np.sin(t)]
    np.testing.assert_allclose(com, expected, atol=0.05)


@pytest.mark.parametrize("factor", [0.7, 1.0, 1.3])
def test_zoom_scales_distances_from_the_centre(factor):
    x = blob(row=10, col=18, sigma=1.2)   # offset (-4, 4) from the centre
    y = A.zoom(x, factor)
    com = centre_of_mass(y)[0]
    np.testing.assert_allclose(com, [14 - 4 * factor, 14 + 4 * factor], atol=0.05)
    np.testing.assert_allclose(y.sum(), x.sum() * factor ** 2, rtol=0.02)


def test_per_image_parameters_equal_one_image_at_a_time():
    x = random_batch(n=5, c=2, h=12, w=9, dtype=np.float64)
    angles = np.array([-30.0, 0.0, 12.5, 90.0, 200.0])
    factors = np.array([0.5, 0.9, 1.0, 1.1, 2.0])
    dx = np.array([0.5, -1.0, 2.25, 0.0, -3.5])
    dy = np.array([1.0, 0.0, -0.75, 2.0, 0.5])
    rot = A.rotate(x, angles)
    zm = A.zoom(x, factors)
    sh = A.shift(x, dx, dy)
    for i in range(5):
        np.testing.assert_allclose(rot[i:i + 1], A.rotate(x[i:i + 1], angles[i]), atol=1e-12)
        np.testing.assert_allclose(zm[i:i + 1], A.zoom(x[i:i + 1], factors[i]), atol=1e-12)
        np.testing.assert_allclose(sh[i:i + 1], A.shift(x[i:i + 1], dx[i], dy[i]), atol=1e-12)


def test_random_affine_equals_rotation_then_shift():
    x = blob(row=12, col=16)
    t = A.RandomAffine(degrees=(30, 30), max_shift=(2, 2), scale=(1.0, 1.0))
    expected = A.shift(A.rotate(x, 30), 2, 2)
    np.testing.assert_allclose(t(x, np.random.default_rng(0)), expected, atol=1e-5)


def test_random_affine_zoom_matches_zoom():
    x = random_batch(n=3)
    t = A.RandomAffine(degrees=0, max_shift=0, scale=(1.25, 1.25))
    np.testing.assert_allclose(t(x, np.random.default_rng(0)), A.zoom(x, 1.25), atol=1e-6)


def test_elastic_with_a_constant_field_is_a_shift():
    x = random_batch(n=2, h=12, w=12, dtype=np.float64)
    d = np.zeros((2, 2, 12, 12))
    d[:, 0] = 1.0              # every pixel reads from 2 rows further down ...
    y = A.elastic(x, d, alpha=2.0, sigma=1e4)
    np.testing.assert_allclose(y, A.shift(x, 0, -2), atol=1e-6)   # ... so content moves up


def test_elastic_displacements_are_smooth_and_bounded():
    x = blob(row=14, col=14, sigma=3.0)
    d = np.random.default_rng(0).uniform(-1, 1, (1, 2, 29, 29))
    y = A.elastic(x, d, alpha=1.5, sigma=4.0)
    # The content moves by at most alpha pixels, so the spot moves less than that.
    shift_of_spot = np.linalg.norm(centre_of_mass(y)[0] - [14, 14])
    assert 0.01 < shift_of_spot < 1.5
    with pytest.raises(ValueError, match="shape"):
        A.elastic(x, d[:, :1], 1.0, 4.0)
    with pytest.raises(ValueError, match="sigma"):
        A.elastic(x, d, 1.0, 0.0)


# ---------------------------------------------------------------------------
# Crop with padding
# ---------------------------------------------------------------------------

def test_random_crop_is_a_whole_pixel_shift_within_the_padding():
    p = 2
    x = random_batch(n=20, h=9, w=9, dtype=np.float64)
    y = A.RandomCrop(p)(x, np.random.default_rng(5))
    seen = set()
    for i in range(len(x)):
        matches = [(dx, dy) for dx in range(-p, p + 1) for dy in range(-p, p + 1)
                   if np.array_equal(y[i:i + 1], A.shift(x[i:i + 1], dx, dy))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 5          # the offsets really vary from image to image


def test_pad_crop_edge_mode_repeats_border_pixels():
    x = random_batch(n=1, h=4, w=4)
    y = A.pad_crop(x, 0, 0, padding=1, mode="edge")
    assert y[0, 0, 0, 0] == x[0, 0, 0, 0]
    np.testing.assert_array_equal(y[0, 0, 1:, 1:], x[0, 0, :-1, :-1])


# ---------------------------------------------------------------------------
# Brightness and contrast
# ---------------------------------------------------------------------------

def test_brightness_adds_and_contrast_scales_about_the_mean():
    x = 0.25 + 0.5 * random_batch(n=4, dtype=np.float64)       # in [0.25, 0.75]
    np.testing.assert_allclose(A.adjust_brightness_contrast(x, 0.1, 1.0), x + 0.1)
    y = A.adjust_brightness_contrast(x, 0.0, 0.5)
    np.testing.assert_allclose(y.mean(axis=(2, 3)), x.mean(axis=(2, 3)))
    np.testing.assert_allclose(y.std(axis=(2, 3)), 0.5 * x.std(axis=(2, 3)))


def test_brightness_contrast_clips_to_the_value_range():
    x = random_batch()
    y = A.adjust_brightness_contrast(x, 0.5, 2.0)
    assert y.min() >= 0.0 and y.max() <= 1.0
    assert np.any(y == 1.0) and np.any(y == 0.0)
    z = A.adjust_brightness_contrast(x, 0.5, 1.0, value_range=None)
    np.testing.assert_allclose(z, x + 0.5, rtol=1e-6)


# ---------------------------------------------------------------------------
# Shapes, dtypes, ranges, input left untouched
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", RANDOM_TRANSFORMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_transforms_keep_shape_dtype_range_and_input(make, dtype):
    x = random_batch(n=8, c=3, h=16, w=20, dtype=dtype)
    original = x.copy()
    t = make()
    y = t(x, np.random.default_rng(0))
    assert y.shape == x.shape and y.dtype == x.dtype
    # Geometric transforms only mix input values (and the fill 0); the
    # photometric one is clipped to the data range [0, 1].
    upper = 1.0 if isinstance(t, A.RandomBrightnessContrast) else x.max()
    assert y.min() >= 0.0 and y.max() <= upper
    assert not np.shares_memory(x, y)
    np.testing.assert_array_equal(x, original)
    assert not np.array_equal(y, x)      # the transform did something


def test_integer_images_are_refused_with_a_hint():
    x = (random_batch(n=4) * 255).astype(np.uint8)
    for transform in (lambda: A.rotate(x, 10),
                      lambda: A.RandomCrop(2)(x, np.random.default_rng(0))):
        with pytest.raises(TypeError, match=r"uint8.*astype\(np.float32\) / 255"):
            transform()


def test_empty_and_non_contiguous_batches():
    empty = np.zeros((0, 1, 28, 28), np.float32)
    for make in RANDOM_TRANSFORMS:
        assert make()(empty, np.random.default_rng(0)).shape == (0, 1, 28, 28)
    x = random_batch(n=4, h=10, w=10, dtype=np.float64)
    view = x[:, :, ::-1, :]
    np.testing.assert_allclose(A.rotate(view, 90), np.rot90(view, 1, axes=(2, 3)), atol=1e-12)


# ---------------------------------------------------------------------------
# Seeds and generators
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", RANDOM_TRANSFORMS)
def test_same_generator_seed_gives_same_output(make):
    x = random_batch(n=8)
    t = make()
    a = t(x, np.random.default_rng(42))
    b = t(x, np.random.default_rng(42))
    c = t(x, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_the_generator_passed_in_is_the_only_source_of_randomness():
    x = random_batch(n=8)
    pipeline = A.Compose([A.RandomRotation(20), A.RandomShift(2)])
    rng = np.random.default_rng(7)
    first, second = pipeline(x, rng), pipeline(x, rng)
    assert not np.array_equal(first, second)         # the generator moves on
    again = np.random.default_rng(7)
    np.testing.assert_array_equal(pipeline(x, again), first)
    np.testing.assert_array_equal(pipeline(x, again), second)
    with pytest.raises(TypeError):
        pipeline(x)                                  # no hidden generator of its own
    with pytest.raises(TypeError, match="default_rng"):
        pipeline(x, 7)


# ---------------------------------------------------------------------------
# Compose
# ---------------------------------------------------------------------------

def test_compose_applies_transforms_left_to_right():
    x = random_batch(n=3, h=8, w=8)
    flip = A.RandomHorizontalFlip(p=1.0)
    right = A.RandomShift(max_shift=(1, 1))          # always one pixel right, one down
    rng = np.random.default_rng(0)
    flip_then_shift = A.Compose([flip, right])(x, rng)
    shift_then_flip = A.Compose([right, flip])(x, rng)
    np.testing.assert_array_equal(flip_then_shift, A.shift(A.flip_horizontal(x), 1, 1))
    np.testing.assert_array_equal(shift_then_flip, A.flip_horizontal(A.shift(x, 1, 1)))
    assert not np.array_equal(flip_then_shift, shift_then_flip)


def test_compose_shares_one_generator_and_accepts_functions():
    x = random_batch(n=4)
    rot, crop = A.RandomRotation(25), A.RandomCrop(2)
    def double(batch, rng):
        return batch * 0.5
    out = A.Compose([rot, double, crop])(x, np.random.default_rng(9))
    g = np.random.default_rng(9)
    np.testing.assert_array_equal(out, crop(rot(x, g) * 0.5, g))


# ---------------------------------------------------------------------------
# Bad input gives clear errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape, hint", [((10, 784), "reshape"), ((10, 28, 28), "x\\[:, None\\]"),
                                         ((2, 1, 1, 28, 28), "shape")])
def test_wrong_number_of_dimensions_is_explained(shape, hint):
    x = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)") as err:
        A.RandomRotation(10)(x, np.random.default_rng(0))
    assert str(shape).replace(" ", "") in str(err.value).replace(" ", "")
    with pytest.raises(ValueError, match=hint):
        A.rotate(x, 5)


@pytest.mark.parametrize("make, message", [
    (lambda: A.RandomRotation(-5), "degrees"),
    (lambda: A.RandomRotation((10, -10)), "low <= high"),
    (lambda: A.RandomZoom((0.0, 1.1)), "> 0"),
    (lambda: A.RandomZoom(1.5), "> 0"),
    (lambda: A.RandomAffine(scale=(-1, 1)), "> 0"),
    (lambda: A.RandomShift((0.2, 0.8)), "whole number"),
    (lambda: A.RandomCrop(-1), "padding"),
    (lambda: A.RandomCrop(1.5), "padding"),
    (lambda: A.RandomCrop(2, mode="wrap"), "mode"),
    (lambda: A.RandomHorizontalFlip(1.5), "probability"),
    (lambda: A.RandomBrightnessContrast(contrast=1.5), ">= 0"),
    (lambda: A.RandomRotation("big"), "pair"),
    (lambda: A.RandomElastic(alpha=-1), "alpha"),
])
def test_impossible_parameters_raise_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_functional_arguments_raise_clear_errors():
    x = random_batch(n=3)
    with pytest.raises(ValueError, match="one value per image"):
        A.rotate(x, [10, 20])
    with pytest.raises(ValueError, match="> 0"):
        A.zoom(x, 0)
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        A.pad_crop(x, 5, 0, padding=2)
    with pytest.raises(ValueError, match="padding < min"):
        A.pad_crop(x, 0, 0, padding=28, mode="reflect")
    with pytest.raises(ValueError, match="boolean"):
        A.flip_horizontal(x, [1, 0, 1])
    with pytest.raises(TypeError, match="quarter turns"):
        A.rot90(x, 1.5)
    with pytest.raises(ValueError, match="finite"):
        A.shift(x, np.nan, 0)
    with pytest.raises(ValueError, match="value_range"):
        A.adjust_brightness_contrast(x * 255, 0.1, 1.0)
    with pytest.raises(TypeError, match="dtype"):
        A.rotate(x.astype(np.complex64), 10)
    with pytest.raises(TypeError, match="Generator"):
        A.RandomRotation(10)(x, rng="seed")
    with pytest.raises(TypeError, match="callables"):
        A.Compose([A.RandomRotation(10), 3])


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

shapes = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 12), st.integers(1, 12))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2 ** 32 - 1),
       angle=st.floats(-360, 360), factor=st.floats(0.25, 4.0),
       dx=st.floats(-15, 15), dy=st.floats(-15, 15))
def test_geometric_transforms_keep_shape_dtype_and_range(shape, seed, angle, factor, dx, dy):
    x = np.random.default_rng(seed).random(shape).astype(np.float32)
    for y in (A.rotate(x, angle), A.zoom(x, factor), A.shift(x, dx, dy)):
        assert y.shape == x.shape and y.dtype == np.float32
        assert np.all(np.isfinite(y))
        assert y.min() >= 0.0 and y.max() <= x.max()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), size=st.integers(1, 12), k=st.integers(-4, 8),
       seed=st.integers(0, 2 ** 32 - 1))
def test_rotation_by_multiples_of_90_matches_rot90(n, size, k, seed):
    x = np.random.default_rng(seed).random((n, 1, size, size))
    np.testing.assert_allclose(A.rotate(x, 90 * k), A.rot90(x, k), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, dx=st.integers(-4, 4), dy=st.integers(-4, 4),
       seed=st.integers(0, 2 ** 32 - 1))
def test_whole_pixel_shift_back_restores_the_part_that_stayed_inside(shape, dx, dy, seed):
    x = np.random.default_rng(seed).random(shape)
    back = A.shift(A.shift(x, dx, dy), -dx, -dy)
    h, w = shape[2:]
    # A pixel survives the round trip when its shifted position is inside.
    rows = (np.arange(h) + dy >= 0) & (np.arange(h) + dy < h)
    cols = (np.arange(w) + dx >= 0) & (np.arange(w) + dx < w)
    kept = np.broadcast_to(rows[:, None] & cols[None, :], x.shape)
    np.testing.assert_array_equal(back[kept], x[kept])
    assert np.all(back[~kept] == 0)


# ---------------------------------------------------------------------------
# The explorer widget
# ---------------------------------------------------------------------------

def test_transform_image_applies_the_steps_in_order():
    from course_lib.augment_widgets import transform_image
    img = random_batch(n=1, h=10, w=10, dtype=np.float64)
    np.testing.assert_array_equal(transform_image(img[0, 0]), img)
    expected = A.shift(A.rotate(A.flip_horizontal(img), 30), 2, -1)
    np.testing.assert_allclose(transform_image(img[0], angle=30, dx=2, dy=-1, flip=True), expected)
    with pytest.raises(ValueError, match="one image"):
        transform_image(random_batch(n=2))


def test_augment_explorer_builds_sliders_and_draws():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from course_lib.augment_widgets import augment_explorer

    class Constant:                     # a stand-in network that always says 3
        def predict(self, x):
            scores = np.zeros((len(x), 10))
            scores[:, 3] = 5.0
            return scores

    images = random_batch(n=4)
    plt.close("all")
    w = augment_explorer(images, labels=[0, 1, 2, 3], network=Constant())
    sliders = {c.description: c for c in w.controls.values()}
    assert {"angle (deg)", "shift x", "shift y", "zoom", "brightness"} <= set(sliders)
    assert w.widget.children[-1] is w.output            # the figure sits under the controls

    def shown():
        """The pictures of the figure drawn last: (original, transformed)."""
        axes = w.last_figure.axes
        return [np.asarray(ax.images[0].get_array()) for ax in axes[:2]]

    original, before = shown()
    np.testing.assert_array_equal(before, images[0, 0])
    sliders["angle (deg)"].value = 45.0          # moving a slider redraws
    original_after, after = shown()
    np.testing.assert_array_equal(original_after, original)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, A.rotate(images[:1], 45.0)[0, 0], atol=1e-6)
    plt.close("all")
    with pytest.raises(ValueError, match="labels"):
        augment_explorer(images, labels=[0, 1])

"""Tests of course_lib.datasets: the MNIST and Fashion-MNIST loaders.

The tests on real data get the original files of MNIST and Fashion-MNIST
from the ``real_data_dir`` fixture in conftest.py (skipped, or failed under
COURSE_LIB_REQUIRE_DATA=1, when the data is missing). Every test runs with its
own cache folder, an empty system folder and no network.
"""

import gzip
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from course_lib import datasets
from course_lib.datasets import (
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    DatasetCorruptError,
    DatasetError,
    DatasetNotFoundError,
    DatasetWarning,
    load_fashion_mnist,
    load_mnist,
)

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
REAL_DOWNLOAD = datasets._download  # kept before the fixture below replaces it
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def refuse_download(url, dest):
    raise urllib.error.URLError("no network during the tests")


def label_idx(labels, magic=2049, count=None):
    labels = np.asarray(labels, dtype=np.uint8)
    count = len(labels) if count is None else count
    return np.array([magic, count], dtype=">u4").tobytes() + labels.tobytes()


def write_gz(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1))
    return path


def make_dataset_dir(real_root, folder, dataset, replace=None):
    """Fill ``folder`` with links to the real files, except those in ``replace``.

    ``replace`` maps a file name to the bytes to write instead (or None to
    leave the file out).
    """
    replace = replace or {}
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        if name in replace:
            if replace[name] is not None:
                (folder / name).write_bytes(replace[name])
        else:
            (folder / name).symlink_to(real_root / dataset / name)
    return folder


def corrupted_real_labels(real_root, dataset="mnist"):
    """The real training labels with the first label changed, gzipped."""
    data = bytearray(gzip.decompress((real_root / dataset / FILES[1]).read_bytes()))
    data[8] = (data[8] + 1) % 10
    return gzip.compress(bytes(data), compresslevel=1)


def serve_real_files(real_root, dataset, log):
    """A stand-in for the downloader that copies the real file named by the URL."""

    def fake_download(url, dest):
        log.append(url)
        shutil.copyfile(real_root / dataset / url.rsplit("/", 1)[-1], dest)

    return fake_download


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Own cache folder, no $COURSE_LIB_DATA, empty system folder, no network."""
    monkeypatch.setenv("COURSE_LIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_LIB_DATA", raising=False)
    monkeypatch.setattr(datasets, "SYSTEM_DATA_ROOT", tmp_path / "system")
    monkeypatch.setattr(datasets, "_download", refuse_download)
    return tmp_path


@pytest.fixture(scope="module")
def real_root(real_data_dir):
    """A folder holding mnist/ and fashion-mnist/ with the four original files of each."""
    real_data_dir("mnist")
    return real_data_dir("fashion-mnist")


def _load_once(tmp_path_factory, loader, real_root):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_LIB_CACHE", str(tmp_path_factory.mktemp("cache")))
        mp.delenv("COURSE_LIB_DATA", raising=False)
        mp.setattr(datasets, "SYSTEM_DATA_ROOT", tmp_path_factory.mktemp("system"))
        mp.setattr(datasets, "_download", refuse_download)
        return loader(data_dir=real_root)


@pytest.fixture(scope="module")
def mnist(tmp_path_factory, real_root):
    return _load_once(tmp_path_factory, load_mnist, real_root)


@pytest.fixture(scope="module")
def fashion(tmp_path_factory, real_root):
    return _load_once(tmp_path_factory, load_fashion_mnist, real_root)


# ---------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------


def test_mnist_shapes_dtypes_and_ranges(mnist):
    (x_train, t_train), (x_test, t_test) = mnist
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert t_train.dtype == np.int64 and t_test.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert x_test.min() == 0.0 and x_test.max() == 1.0
    assert set(np.unique(t_train)) == set(range(10))
    assert set(np.unique(t_test)) == set(range(10))


def test_mnist_known_facts(mnist):
    (x_train, t_train), (_, t_test) = mnist
    assert t_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert t_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert round(float(x_train.mean(dtype=np.float64)), 4) == 0.1307


def test_fashion_mnist_shapes_and_known_labels(fashion):
    (x_train, t_train), (x_test, t_test) = fashion
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and t_train.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert t_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    # Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
    assert np.bincount(t_train).tolist() == [6000] * 10
    assert np.bincount(t_test).tolist() == [1000] * 10


def test_class_names():
    assert MNIST_CLASSES == tuple("0123456789")
    assert len(FASHION_MNIST_CLASSES) == 10
    assert FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_flatten_one_hot_and_raw_pixels(mnist, real_root, monkeypatch):
    monkeypatch.setenv("COURSE_LIB_DATA", str(real_root))
    (x_train, t_train), (x_test, t_test) = mnist
    (xr_train, oh_train), (xr_test, oh_test) = load_mnist(
        normalize=False, flatten=False, one_hot_label=True
    )
    assert xr_train.shape == (60000, 1, 28, 28) and xr_test.shape == (10000, 1, 28, 28)
    assert xr_train.dtype == np.float32
    assert xr_train.max() == 255.0 and xr_train.min() == 0.0
    assert np.array_equal(xr_train, np.round(xr_train))  # whole grey levels
    np.testing.assert_array_equal(xr_test.reshape(10000, 784) / np.float32(255), x_test)
    assert oh_train.shape == (60000, 10) and oh_train.dtype == np.float32
    assert np.array_equal(oh_train.sum(axis=1), np.ones(60000))
    assert np.array_equal(oh_train.argmax(axis=1), t_train)
    assert np.array_equal(oh_test.argmax(axis=1), t_test)


def test_changing_returned_arrays_does_not_change_later_loads(mnist, real_root):
    (x_train, t_train), _ = mnist
    (x1, t1), (xt1, _) = load_mnist(data_dir=real_root, flatten=False)
    x1[:] = -1.0
    t1[:] = 3
    xt1 += 5
    (x2, t2), (xt2, _) = load_mnist(data_dir=real_root)
    assert np.array_equal(x2, x_train)
    assert np.array_equal(t2, t_train)
    assert xt2.max() == 1.0


def test_env_variable_is_searched(fashion, real_root, monkeypatch):
    monkeypatch.setenv("COURSE_LIB_DATA", str(real_root))
    _, (_, t_test) = load_fashion_mnist(download=False)
    assert np.array_equal(t_test, fashion[1][1])


def test_files_found_elsewhere_leave_the_cache_folder_alone(real_root, isolated):
    load_mnist(data_dir=real_root)
    assert not (isolated / "cache").exists()


def test_unwritable_cache_folder_does_not_stop_loading(mnist, real_root, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("COURSE_LIB_CACHE", str(blocker / "cache"))
    _, (_, t_test) = load_mnist(data_dir=real_root)
    assert np.array_equal(t_test, mnist[1][1])
    assert blocker.is_file()


def test_replaced_source_file_is_checked_again(mnist, real_root, isolated):
    folder = make_dataset_dir(real_root, isolated / "data" / "mnist", "mnist")
    (_, t_train), _ = load_mnist(data_dir=isolated / "data")
    assert np.array_equal(t_train, mnist[0][1])
    (folder / FILES[1]).unlink()
    (folder / FILES[1]).write_bytes(corrupted_real_labels(real_root))
    # Nothing remembered from the first load stands in for the changed file.
    with pytest.raises(DatasetCorruptError, match="SHA-256"):
        load_mnist(data_dir=isolated / "data")


def test_decompressed_files_are_accepted(mnist, real_root, tmp_path):
    raw = gzip.decompress((real_root / "mnist" / FILES[1]).read_bytes())
    folder = make_dataset_dir(real_root, tmp_path / "mnist", "mnist", replace={FILES[1]: None})
    (folder / "train-labels-idx1-ubyte").write_bytes(raw)
    (_, t_train), _ = load_mnist(data_dir=folder, download=False)
    assert np.array_equal(t_train, mnist[0][1])


def test_real_file_with_a_changed_byte_is_rejected(real_root, tmp_path):
    folder = make_dataset_dir(
        real_root, tmp_path / "mnist", "mnist", replace={FILES[1]: corrupted_real_labels(real_root)}
    )
    with pytest.raises(DatasetCorruptError) as info:
        load_mnist(data_dir=folder)
    message = str(info.value)
    assert str(folder / FILES[1]) in message
    assert "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5" in message
    assert "replace it with the official file" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, DatasetError)


def test_files_of_the_other_dataset_are_named(real_root):
    with pytest.raises(DatasetCorruptError, match="MNIST's train-images-idx3-ubyte.gz") as info:
        load_fashion_mnist(data_dir=real_root / "mnist")
    assert "use the folder of Fashion-MNIST ('fashion-mnist/')" in str(info.value)


def test_bad_file_in_env_folder_is_an_error(real_root, monkeypatch, tmp_path):
    make_dataset_dir(
        real_root, tmp_path / "data" / "mnist", "mnist",
        replace={FILES[1]: corrupted_real_labels(real_root)},
    )
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path / "data"))
    with pytest.raises(DatasetCorruptError, match="train-labels"):
        load_mnist()


def test_bad_cached_file_is_set_aside_with_a_warning(mnist, real_root, isolated):
    cache = isolated / "cache" / "mnist"
    write_gz(cache / FILES[1], label_idx(np.zeros(60000)))
    make_dataset_dir(real_root, isolated / "system" / "mnist", "mnist")
    with pytest.warns(DatasetWarning, match="train-labels-idx1-ubyte.gz") as caught:
        (_, t_train), _ = load_mnist(download=False)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert np.array_equal(t_train, mnist[0][1])
    assert not (cache / FILES[1]).exists()
    assert (cache / (FILES[1] + ".corrupt")).is_file()


def test_mocked_download_fills_the_cache(mnist, real_root, monkeypatch, isolated):
    urls = []
    monkeypatch.setattr(datasets, "_download", serve_real_files(real_root, "mnist", urls))
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert sorted(urls) == sorted(MNIST_MIRROR + name for name in FILES)
    assert np.array_equal(t_train, mnist[0][1]) and np.array_equal(x_test, mnist[1][0])
    cache = isolated / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILES)

    # Offline afterwards: the downloaded files are found in the cache.
    monkeypatch.setattr(datasets, "_download", refuse_download)
    (_, t_train2), _ = load_mnist()
    assert np.array_equal(t_train2, t_train)


def test_download_moves_on_to_the_next_mirror(fashion, real_root, monkeypatch, isolated):
    urls = []
    serve = serve_real_files(real_root, "fashion-mnist", urls)

    def first_mirror_down(url, dest):
        if url.startswith(FASHION_MIRRORS[0]):
            urls.append(url)
            raise urllib.error.URLError("connection refused")
        serve(url, dest)

    monkeypatch.setattr(datasets, "_download", first_mirror_down)
    (_, t_train), _ = load_fashion_mnist()
    assert np.array_equal(t_train, fashion[0][1])
    # The first mirror is given up after its first failure.
    assert urls[0] == FASHION_MIRRORS[0] + FILES[0]
    assert sorted(urls[1:]) == sorted(FASHION_MIRRORS[1] + name for name in FILES)
    cache = isolated / "cache" / "fashion-mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILES)


# ---------------------------------------------------------------------------
# Errors, on small synthetic files
# ---------------------------------------------------------------------------


def test_synthetic_labels_with_a_valid_header_fail_the_hash(tmp_path):
    folder = tmp_path / "mnist"
    write_gz(folder / FILES[1], label_idx(np.arange(60000) % 10))
    with pytest.raises(DatasetCorruptError, match="differs from the published file"):
        load_mnist(data_dir=tmp_path, download=False)


def test_truncated_gzip_is_rejected(tmp_path):
    data = gzip.compress(label_idx(np.arange(60000) % 10))
    (tmp_path / FILES[1]).write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetCorruptError) as info:
        load_mnist(data_dir=tmp_path, download=False)
    assert "gzip" in str(info.value)
    assert str(tmp_path / FILES[1]) in str(info.value)


def test_wrong_magic_number_is_rejected(tmp_path):
    write_gz(tmp_path / FILES[3], label_idx(np.zeros(10000), magic=0x1234))
    with pytest.raises(DatasetCorruptError, match="magic number 2049"):
        load_mnist(data_dir=tmp_path, download=False)


def test_swapped_files_are_recognised(tmp_path):
    images_header = np.array([2051, 10000, 28, 28], dtype=">u4").tobytes()
    write_gz(tmp_path / FILES[3], images_header + bytes(10000 * 784))
    with pytest.raises(DatasetCorruptError, match="swapped"):
        load_mnist(data_dir=tmp_path, download=False)


def test_wrong_count_is_rejected(tmp_path):
    write_gz(tmp_path / FILES[1], label_idx(np.zeros(10000)))
    with pytest.raises(DatasetCorruptError, match="announces 10000 labels"):
        load_mnist(data_dir=tmp_path, download=False)


def test_truncated_idx_payload_is_rejected(tmp_path):
    write_gz(tmp_path / FILES[3], label_idx(np.zeros(9000), count=10000))
    with pytest.raises(DatasetCorruptError, match="truncated"):
        load_mnist(data_dir=tmp_path, download=False)


def test_missing_files_error_lists_every_place(isolated, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist(data_dir=empty, download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for name in FILES:
        assert name in message
    assert str(empty) in message
    assert "COURSE_LIB_DATA (not set)" in message
    assert str(isolated / "cache" / "fashion-mnist") in message
    assert str(isolated / "system" / "fashion-mnist") in message
    assert "download=False" in message
    assert "sudo apt install dataset-fashion-mnist" in message
    assert "data_dir=" in message and "internet" in message


def test_failed_download_leaves_nothing_behind(monkeypatch, isolated):
    attempts = []

    def broken_download(url, dest):
        attempts.append(url)
        with open(dest, "wb") as out:
            out.write(b"\x1f\x8b partial content")
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(datasets, "_download", broken_download)
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    # The only mirror failed on the first file: the others are not attempted.
    assert attempts == [MNIST_MIRROR + FILES[0]]
    assert attempts[0] in message
    for name in FILES:
        assert name in message
    assert "connection reset by peer" in message
    assert "apt install" not in message  # only Fashion-MNIST has a package
    assert list((isolated / "cache" / "mnist").iterdir()) == []


def test_damaged_download_is_not_kept(monkeypatch, isolated):
    def damaged_download(url, dest):
        Path(dest).write_bytes(gzip.compress(label_idx(np.zeros(10000)))[:50])

    monkeypatch.setattr(datasets, "_download", damaged_download)
    with pytest.raises(DatasetNotFoundError, match="rejected"):
        load_fashion_mnist()
    assert list((isolated / "cache" / "fashion-mnist").iterdir()) == []


def test_missing_data_dir_is_an_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="is not a folder"):
        load_mnist(data_dir=tmp_path / "no-such-folder")


def test_env_variable_naming_no_folder_warns(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path / "typo"))
    with pytest.warns(DatasetWarning, match="not a folder"):
        with pytest.raises(DatasetNotFoundError):
            load_mnist(download=False)


def test_downloader_copies_a_url_to_a_file(tmp_path):
    # urllib also serves file: URLs, which exercises the real downloader offline.
    source = tmp_path / "source.bin"
    payload = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    source.write_bytes(payload)
    dest = tmp_path / "dest.bin"
    REAL_DOWNLOAD(source.as_uri(), dest)
    assert dest.read_bytes() == payload


def test_downloader_reports_unreachable_urls(tmp_path):
    with pytest.raises(OSError):
        REAL_DOWNLOAD((tmp_path / "absent.gz").as_uri(), tmp_path / "dest.bin")

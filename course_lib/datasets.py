"""MNIST and Fashion-MNIST, read from their original IDX files.

Both datasets hold 28x28 grey-level images: 60 000 for training and 10 000
for testing, each with a label from 0 to 9. They come as four files each::

    train-images-idx3-ubyte.gz   train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz    t10k-labels-idx1-ubyte.gz

:func:`load_mnist` and :func:`load_fashion_mnist` look for those files (gzipped,
or already decompressed without the ``.gz``) in this order:

1. ``data_dir``, when given: either the dataset's own folder or a folder
   holding ``mnist/`` and ``fashion-mnist/``;
2. ``$COURSE_LIB_DATA/mnist/`` or ``$COURSE_LIB_DATA/fashion-mnist/``;
3. the per-user cache folder (see :func:`cache_dir`), ``<cache>/<name>/``;
4. ``/usr/share/datasets/<name>/``, where the Debian and Ubuntu package
   ``dataset-fashion-mnist`` installs Fashion-MNIST;
5. failing all of these, the files are downloaded once from the official
   mirrors into the cache folder.

Every file is checked before use: the IDX header must be right and the
SHA-256 of the decompressed bytes must equal the published one. A file that
fails the check is never used. In a folder you chose (``data_dir`` or
``$COURSE_LIB_DATA``) it is an error; in the cache folder it is moved aside
to ``<file>.corrupt`` with a warning, and in the system folder it is skipped
with a warning, and the search goes on.

Every call reads and checks the files again (a fraction of a second) and
returns new arrays, which the caller may change freely.
"""

from __future__ import annotations

import http.client
import os
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
from tqdm.auto import tqdm

from .i18n import _
from .idx_format import IMAGE_SIDE, Unusable, decode_idx

__all__ = [
    "load_mnist",
    "load_fashion_mnist",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetCorruptError",
    "DatasetWarning",
    "cache_dir",
]

MNIST_CLASSES = tuple(str(digit) for digit in range(10))
"""Class names of MNIST: the digits ``'0'`` to ``'9'``."""

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Class names of Fashion-MNIST, indexed by label."""

SYSTEM_DATA_ROOT = Path("/usr/share/datasets")
"""Folder where system packages install datasets (searched last)."""

DOWNLOAD_TIMEOUT = 60.0
"""Seconds a download may wait for the server before giving up."""

DATA_ENV = "COURSE_LIB_DATA"
CACHE_ENV = "COURSE_LIB_CACHE"

NUM_CLASSES = 10


class DatasetError(OSError):
    """A dataset could not be loaded. Base class of the errors below."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The dataset files are nowhere to be found and could not be downloaded."""


class DatasetCorruptError(DatasetError, ValueError):
    """A dataset file is damaged, truncated or not the expected file."""


class DatasetWarning(UserWarning):
    """A damaged dataset file was skipped and the search went on."""


# ---------------------------------------------------------------------------
# What the datasets are made of
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    key: str  # "train_images", "train_labels", "test_images" or "test_labels"
    filename: str  # name of the gzipped file
    sha256: str  # of the decompressed bytes
    count: int  # number of images or labels

    @property
    def is_images(self) -> bool:
        return self.key.endswith("images")

    @property
    def raw_name(self) -> str:
        """Name of the decompressed file."""
        return self.filename[: -len(".gz")]


@dataclass(frozen=True)
class _Dataset:
    name: str  # folder name
    title: str  # name for people
    mirrors: tuple[str, ...]
    parts: tuple[_Part, ...]
    apt_package: str | None = None


def _parts(hashes: dict[str, str]) -> tuple[_Part, ...]:
    return (
        _Part("train_images", "train-images-idx3-ubyte.gz", hashes["train_images"], 60000),
        _Part("train_labels", "train-labels-idx1-ubyte.gz", hashes["train_labels"], 60000),
        _Part("test_images", "t10k-images-idx3-ubyte.gz", hashes["test_images"], 10000),
        _Part("test_labels", "t10k-labels-idx1-ubyte.gz", hashes["test_labels"], 10000),
    )


_MNIST = _Dataset(
    name="mnist",
    title="MNIST",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",),
    parts=_parts(
        {
            "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        }
    ),
)

_FASHION_MNIST = _Dataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    parts=_parts(
        {
            "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        }
    ),
    apt_package="dataset-fashion-mnist",
)

# Every published hash, to say which file a misplaced one really is.
_KNOWN_FILES = {
    part.sha256: (dataset.title, part.filename)
    for dataset in (_MNIST, _FASHION_MNIST)
    for part in dataset.parts
}


# ---------------------------------------------------------------------------
# Where to look
# ---------------------------------------------------------------------------


def cache_dir() -> Path:
    """Return the per-user cache folder of course_lib.

    It is ``$COURSE_LIB_CACHE`` when that variable is set, otherwise the
    platform's cache folder (for example ``~/.cache/course_lib`` on Linux).
    Downloaded files are kept in ``<cache>/mnist/`` and ``<cache>/fashion-mnist/``.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("course_lib"))


@dataclass(frozen=True)
class _Location:
    folder: Path | None  # None: nothing to look in (the variable is unset)
    label: str  # how the place is named in messages
    strict: bool  # a bad file here is an error rather than a warning
    is_cache: bool = False

    def candidate(self, part: _Part) -> Path | None:
        """The first of ``<file>.gz`` and ``<file>`` present here, if any."""
        if self.folder is None:
            return None
        for name in (part.filename, part.raw_name):
            path = self.folder / name
            if path.is_file():
                return path
        return None

    def describe(self) -> str:
        """The place as the list of places searched names it, in the language in use."""
        if self.folder is None:
            return _("${variable} (not set)", variable=DATA_ENV)
        place = {"cache folder": _("cache folder"),
                 "system datasets": _("system datasets")}.get(self.label, self.label)
        if self.folder.is_dir():
            return _("{folder}  [{place}]", folder=self.folder, place=place)
        return _("{folder} (no such folder)  [{place}]", folder=self.folder, place=place)


def _locations(dataset: _Dataset, data_dir) -> list[_Location]:
    places = []
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise DatasetNotFoundError(
                _("data_dir {folder!r} is not a folder. Pass the folder that holds the four "
                  "{title} files (or a folder with a '{name}/' subfolder), or leave data_dir out "
                  "to use the usual places.", folder=str(root), title=dataset.title,
                  name=dataset.name)
            )
        sub = root / dataset.name
        places.append(_Location(sub if sub.is_dir() else root, "data_dir", strict=True))

    env = os.environ.get(DATA_ENV)
    if env:
        env_root = Path(env).expanduser()
        if not env_root.is_dir():
            warnings.warn(
                _("${variable} is set to {value!r}, which is not a folder; it is ignored.",
                  variable=DATA_ENV, value=env),
                DatasetWarning,
                stacklevel=4,
            )
        places.append(_Location(env_root / dataset.name, f"${DATA_ENV}", strict=True))
    else:
        places.append(_Location(None, f"${DATA_ENV} (not set)", strict=True))

    places.append(
        _Location(cache_dir() / dataset.name, "cache folder", strict=False, is_cache=True)
    )
    places.append(_Location(SYSTEM_DATA_ROOT / dataset.name, "system datasets", strict=False))
    return places


def _read_part(path: Path, dataset: _Dataset, part: _Part, location: _Location) -> np.ndarray:
    """Read and check one file; raise :class:`DatasetCorruptError` if it is unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(
            _("Cannot read the {title} file {path}: {error}. Check that it is readable, or "
              "remove it so that the files are looked for elsewhere.", title=dataset.title,
              path=path, error=exc)
        ) from exc
    try:
        return decode_idx(raw, dataset.title, part, _KNOWN_FILES)
    except Unusable as exc:
        if exc.other_dataset is not None and exc.other_dataset != dataset.title:
            hint = _("The folder {folder} holds {other}'s files: use the folder of {title} "
                     "('{name}/') instead.", folder=path.parent, other=exc.other_dataset,
                     title=dataset.title, name=dataset.name)
        else:
            hint = _fix_hint(dataset, part, location)
        raise DatasetCorruptError(
            _("The {title} file {path} cannot be used: {reason}. {hint}", title=dataset.title,
              path=path, reason=exc, hint=hint)
        ) from None


def _fix_hint(dataset: _Dataset, part: _Part, location: _Location) -> str:
    source = dataset.mirrors[0] + part.filename
    if location.is_cache:
        return _("It was moved aside; a good copy is looked for elsewhere or downloaded again.")
    if location.label == "system datasets" and dataset.apt_package:
        return _("Reinstall it with 'sudo apt install --reinstall {package}', or delete it.",
                 package=dataset.apt_package)
    return _("To fix this, replace it with the official file ({source}), or delete it so that "
             "the usual places are searched (a fresh copy is downloaded if needed).",
             source=source)


# ---------------------------------------------------------------------------
# Downloading
# ---------------------------------------------------------------------------


def _download(url: str, dest: Path) -> None:
    """Copy ``url`` into the file ``dest``, showing a progress bar.

    Raises :class:`OSError` (``urllib.error.URLError`` included) when the
    server cannot be reached or the transfer stops early. The loader calls it
    through the module, so tests can replace it.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "course_lib"})
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        with open(dest, "wb") as out, tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=url.rsplit("/", 1)[-1],
        ) as bar:
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise OSError(_("the connection closed after {received} of {total} bytes",
                        received=received, total=total))


def _fetch(dataset: _Dataset, part: _Part, folder: Path, log: list[str], unreachable: set):
    """Download ``part`` into ``folder`` from the first mirror that serves a good copy.

    The bytes go to a temporary file in ``folder``; only once they pass every
    check is that file renamed to its final name, so an interrupted download
    leaves nothing behind. Returns the decoded array or ``None``, adding the
    reason of every failure to ``log``. Mirrors that could not be reached are
    added to ``unreachable`` and not tried again for the other files.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.append(_("cannot create the cache folder {folder} to download into: {error}",
                     folder=folder, error=exc))
        return None
    for mirror in dataset.mirrors:
        if mirror in unreachable:
            continue
        url = mirror + part.filename
        try:
            handle, name = tempfile.mkstemp(
                dir=folder, prefix=f".{part.filename}.", suffix=".part"
            )
        except OSError as exc:
            log.append(_("cannot write into the cache folder {folder}: {error}", folder=folder,
                         error=exc))
            return None
        os.close(handle)
        tmp = Path(name)
        try:
            try:
                _download(url, tmp)
                raw = tmp.read_bytes()
            except (OSError, ValueError, http.client.HTTPException) as exc:
                log.append(_("{url}: download failed ({error})", url=url, error=exc))
                unreachable.add(mirror)
                continue
            try:
                array = decode_idx(raw, dataset.title, part, _KNOWN_FILES)
            except Unusable as exc:
                log.append(_("{url}: the downloaded file was rejected ({reason})", url=url,
                             reason=exc))
                continue
            final = folder / part.filename
            os.chmod(tmp, 0o644)  # mkstemp makes it private to its owner
            os.replace(tmp, final)
            return array
        finally:
            tmp.unlink(missing_ok=True)
    return None


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _read_first_good(dataset: _Dataset, part: _Part, places: list[_Location]):
    """Read ``part`` from the first place holding a good copy; None if there is none.

    A bad file in a folder the user chose is an error; elsewhere it is skipped
    with a warning (and moved aside to ``<file>.corrupt`` in the cache folder).
    """
    for place in places:
        path = place.candidate(part)
        if path is None:
            continue
        try:
            return _read_part(path, dataset, part, place)
        except DatasetCorruptError as exc:
            if place.strict:
                raise
            message = str(exc)
            if place.is_cache:
                aside = path.with_name(path.name + ".corrupt")
                try:
                    os.replace(path, aside)
                    message = _("{message} (now {name})", message=message, name=aside.name)
                except OSError:
                    pass
            warnings.warn(message, DatasetWarning, stacklevel=4)
    return None


def _load_uint8(dataset: _Dataset, data_dir, download: bool) -> dict[str, np.ndarray]:
    """Find, check and decode the four files (downloading the missing ones if allowed).

    Returns read-only uint8 arrays keyed by part (``"train_images"``, ...).
    """
    places = _locations(dataset, data_dir)
    arrays: dict[str, np.ndarray] = {}
    missing: list[_Part] = []
    download_log: list[str] = []
    unreachable: set[str] = set()
    for part in dataset.parts:
        array = _read_first_good(dataset, part, places)
        if array is None and download and len(unreachable) < len(dataset.mirrors):
            array = _fetch(dataset, part, cache_dir() / dataset.name, download_log, unreachable)
        if array is None:
            missing.append(part)
        else:
            arrays[part.key] = array
    if missing:
        raise DatasetNotFoundError(
            _not_found_message(dataset, places, missing, download, download_log)
        )
    return arrays


def _not_found_message(dataset, places, missing, download, download_log) -> str:
    names = ", ".join(part.filename for part in missing)
    lines = [
        _("Cannot find the {title} file(s) {names} (gzipped, or decompressed without '.gz').",
          title=dataset.title, names=names),
        _("Looked in:"),
    ]
    lines += [f"  - {place.describe()}" for place in places]
    if not download:
        lines.append(_("Downloading was turned off (download=False)."))
    elif download_log:
        lines.append(_("Downloading failed:"))
        lines += [f"  - {entry}" for entry in download_log]
    lines.append(_("To fix this, do one of:"))
    fixes = [
        _("set the environment variable {variable} to a folder holding '{name}/' with the four "
          "files;", variable=DATA_ENV, name=dataset.name),
        _("pass data_dir='path/to/{name}' to {function}();", name=dataset.name,
          function=f"load_{dataset.name.replace('-', '_')}"),
    ]
    if dataset.apt_package:
        fixes.append(_("on Debian or Ubuntu: sudo apt install {package};",
                       package=dataset.apt_package))
    fixes.append(_("connect to the internet once: the files are then downloaded into {folder} "
                   "(from {mirror}).", folder=cache_dir() / dataset.name,
                   mirror=dataset.mirrors[0]))
    lines += [f"  - {fix}" for fix in fixes]
    return "\n".join(lines)


def _convert(arrays, normalize: bool, flatten: bool, one_hot_label: bool):
    def images(raw: np.ndarray) -> np.ndarray:
        x = raw.astype(np.float32)  # always a new array
        if normalize:
            x /= 255.0
        if flatten:
            return x.reshape(len(x), IMAGE_SIDE * IMAGE_SIDE)
        return x.reshape(len(x), 1, IMAGE_SIDE, IMAGE_SIDE)

    def labels(raw: np.ndarray) -> np.ndarray:
        if one_hot_label:
            out = np.zeros((len(raw), NUM_CLASSES), dtype=np.float32)
            out[np.arange(len(raw)), raw] = 1.0
            return out
        return raw.astype(np.int64)

    return (
        (images(arrays["train_images"]), labels(arrays["train_labels"])),
        (images(arrays["test_images"]), labels(arrays["test_labels"])),
    )


_LOAD_DOC = """Load {title}: 60 000 training and 10 000 test images of 28x28 pixels.

    Parameters
    ----------
    normalize : bool
        If True, pixels are float32 values in [0, 1]; otherwise float32
        values from 0 to 255.
    flatten : bool
        If True, images have shape ``(N, 784)``; otherwise ``(N, 1, 28, 28)``
        (one channel), the layout convolution layers expect.
    one_hot_label : bool
        If True, labels are float32 one-hot rows of shape ``(N, 10)``;
        otherwise int64 class indices of shape ``(N,)``.{classes}
    data_dir : str or path-like, optional
        A folder to search first: the folder holding the four files, or one
        holding a ``{name}/`` subfolder. Must exist. Then come
        ``$COURSE_LIB_DATA/{name}/``, the cache folder, the system folder
        ``/usr/share/datasets/{name}/`` and, as a last resort, a download.
    download : bool
        Set to False to forbid downloading missing files.

    Returns
    -------
    (x_train, t_train), (x_test, t_test)
        New arrays on every call.

    Raises
    ------
    DatasetNotFoundError
        When the files are nowhere and cannot be downloaded; the message
        lists every place searched and how to provide the files.
    DatasetCorruptError
        When a file in ``data_dir`` or ``$COURSE_LIB_DATA`` is damaged or is
        not the expected file.
    """


def load_mnist(normalize=True, flatten=True, one_hot_label=False, data_dir=None, *, download=True):
    arrays = _load_uint8(_MNIST, data_dir, download)
    return _convert(arrays, normalize, flatten, one_hot_label)


def load_fashion_mnist(
    normalize=True, flatten=True, one_hot_label=False, data_dir=None, *, download=True
):
    arrays = _load_uint8(_FASHION_MNIST, data_dir, download)
    return _convert(arrays, normalize, flatten, one_hot_label)


load_mnist.__doc__ = _LOAD_DOC.format(
    title="MNIST, the handwritten digits",
    name="mnist",
    classes="\n        The class names are in ``MNIST_CLASSES``.",
)
load_fashion_mnist.__doc__ = _LOAD_DOC.format(
    title="Fashion-MNIST, Zalando's pictures of clothes",
    name="fashion-mnist",
    classes="\n        The class names are in ``FASHION_MNIST_CLASSES``.",
)

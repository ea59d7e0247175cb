"""A trained network in one file: its weights and a description of its layers.

``save_params`` stores only the weights: to use them you must first build the
same network in code.  A *model file* also says what the network is, so that
it can be rebuilt without any code from whoever trained it::

    >>> from course_lib.model_file import save_model, load_model
    >>> save_model(network, "fashion_mnist_model.npz", metadata={"validation_accuracy": 0.912})
    >>> network = load_model("fashion_mnist_model.npz")      # a Sequential, in evaluation mode

The file is an ordinary ``.npz`` archive (never a pickle).  It holds the
weights under the network's keys (``W1``, ``b1``, ...; batch-norm running
statistics too) and one text array, ``__model__``, holding JSON::

    {"format": "course_lib.model/1", "input_shape": [1, 28, 28], "dtype": "float32",
     "layers": [{"type": "Convolution", "filters": 32, "filter_h": 5, "filter_w": 5,
                 "stride": 1, "pad": 2},
                {"type": "Relu"},
                {"type": "Pooling", "pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0, "mode": "max"},
                {"type": "Affine", "units": 10}],
     "metadata": {"validation_accuracy": 0.912}}

Only the layer types in ``LAYER_TYPES`` can be described; a layer class
written elsewhere (a notebook's own ``LeakyRelu``, say) cannot, because the
file holds no code.  Loading reads the description as data, checks every
number and every array, and builds the network from course_lib's own layers:
nothing in the file is ever executed.  Anything wrong gives a ``ValueError``
that says what and where.

``build_model(layers, input_shape)`` builds a fresh, He-initialised network
from the same kind of description, so an architecture can be written as a
list of small dictionaries (the sizes of the weights follow from the input
shape)::

    >>> build_model([{"type": "Convolution", "filters": 16, "filter_h": 3, "filter_w": 3, "pad": 1},
    ...              {"type": "Relu"}, {"type": "Affine", "units": 10}], input_shape=(1, 28, 28))
"""
import json
import math
import os
import zipfile

import numpy as np

from . import backend
from . import layers as _layers
from .functional import conv_output_size
from .i18n import _
from .networks import Sequential, init_std, param_slots, state_problems, write_npz_atomically

__all__ = ["LAYER_TYPES", "FORMAT", "MAX_FILE_BYTES", "save_model", "load_model", "read_model_file",
           "describe", "build_model", "goal_credit"]

FORMAT = "course_lib.model/1"
DESCRIPTION_KEY = "__model__"
MAX_FILE_BYTES = 200 * 2 ** 20        # larger files are refused (a course network is a few MB)
MAX_PARAMETERS = 20_000_000           # numbers in all weights together
MAX_DIM = 4096                        # any one size in a description
DTYPES = ("float16", "float32", "float64")

# For each layer type: its hyperparameters, each with (kind, smallest, largest, default).
LAYER_TYPES = {
    "Convolution": {"filters": ("int", 1, 1024, None), "filter_h": ("int", 1, 64, None),
                    "filter_w": ("int", 1, 64, None), "stride": ("int", 1, 64, 1),
                    "pad": ("int", 0, 64, 0)},
    "Pooling": {"pool_h": ("int", 1, 64, None), "pool_w": ("int", 1, 64, None),
                "stride": ("int", 1, 64, None),
                "pad": ("int", 0, 64, 0), "mode": ("choice", ("max", "avg"), None, "max")},
    "Affine": {"units": ("int", 1, 65536, None)},
    "Relu": {},
    "Dropout": {"ratio": ("float", 0.0, 0.99, 0.5)},
    "BatchNormalization": {"momentum": ("float", 0.0, 1.0, 0.9),
                           "eps": ("float", 1e-12, 1.0, 1e-6)},
}


# ---------------------------------------------------------------------------
# Describing a network
# ---------------------------------------------------------------------------

def _layer_type(layer, position):
    """The name in ``LAYER_TYPES`` of ``layer``'s class, or a ValueError saying why it has none."""
    cls = type(layer)
    for name in LAYER_TYPES:
        if any(cls is c for c in backend.course_classes(name)):
            return name
    raise ValueError(_(
        "layer {position} ({name}, defined in {where}) cannot be saved in a model file: a model "
        "file describes its layers by name and holds no code, so only course_lib's own layers are "
        "allowed: {allowed}. Build the network you save from these (e.g. course_lib.layers.Relu "
        "instead of a layer class of your own)", position=position, name=cls.__name__,
        where=f"{cls.__module__}.{cls.__qualname__}", allowed=", ".join(LAYER_TYPES)))


def describe(network):
    """The description of ``network``'s layers: a list of dicts (see the module's docstring)."""
    if not isinstance(network, Sequential):
        raise ValueError(_("only a course_lib Sequential network (SimpleConvNet, DeepConvNet, "
                           "Sequential) can be described, got {type}",
                           type=type(network).__name__))
    if not any(type(network.last_layer) is c for c in backend.course_classes("SoftmaxWithLoss")):
        raise ValueError(_("the network's loss layer is {type}; a model file assumes "
                           "course_lib's SoftmaxWithLoss", type=type(network.last_layer).__name__))
    out = []
    for i, layer in enumerate(network.layers):
        kind = _layer_type(layer, i)
        if kind == "Convolution":
            FN, FH, FW = layer.W.shape[0], layer.W.shape[2], layer.W.shape[3]
            d = {"filters": FN, "filter_h": FH, "filter_w": FW, "stride": layer.stride,
                 "pad": layer.pad}
        elif kind == "Pooling":
            d = {"pool_h": layer.pool_h, "pool_w": layer.pool_w, "stride": layer.stride,
                 "pad": layer.pad,
                 "mode": layer.mode}
        elif kind == "Affine":
            d = {"units": layer.W.shape[1]}
        elif kind == "Dropout":
            d = {"ratio": layer.dropout_ratio}
        elif kind == "BatchNormalization":
            d = {"momentum": layer.momentum, "eps": layer.eps}
        else:
            d = {}
        out.append({"type": kind, **{k: (int(v) if isinstance(v, (int, np.integer)) else
                                         float(v) if isinstance(v, (float, np.floating)) else v)
                                     for k, v in d.items()}})
    return out


def _arrays(network):
    return {key: np.asarray(getattr(layer, name))
            for kind in ("param", "buffer") for key, layer, name
            in param_slots(network.layers, kind)}


def _check_metadata(metadata, where):
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or len(metadata) > 50:
        raise ValueError(_("{where}: metadata must be a dict of at most 50 entries, got {type}",
                           where=where, type=type(metadata).__name__))
    clean = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or len(key) > 100:
            raise ValueError(_("{where}: metadata keys must be short strings, got {key!r}",
                               where=where, key=key))
        if isinstance(value, (bool, type(None), str)):
            if isinstance(value, str) and len(value) > 2000:
                raise ValueError(_("{where}: metadata {key!r} is a string of {length} characters "
                                   "(at most 2000)", where=where, key=key, length=len(value)))
            clean[key] = value
        elif isinstance(value, (int, np.integer)):
            clean[key] = int(value)
        elif isinstance(value, (float, np.floating)) and math.isfinite(value):
            clean[key] = float(value)
        else:
            raise ValueError(_("{where}: metadata {key!r} must be a finite number, a string, "
                               "True/False or None, got {value!r}", where=where, key=key,
                               value=value))
    return clean


def save_model(network, path, metadata=None, input_shape=(1, 28, 28)):
    """Write ``network`` (weights + description) to the ``.npz`` file ``path``, atomically.

    ``metadata``: a small dict of numbers and strings stored alongside (for
    example ``{"validation_accuracy": 0.912}``).  ``input_shape``: ``(C, H, W)``
    of one input image.  The file is checked by loading it back before it
    replaces an existing file at ``path``; on any problem nothing is written.
    """
    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise ValueError(_("a model file is an .npz file; got {path!r} (pickle files are never "
                           "used: loading one can run code)", path=path))
    description = {"format": FORMAT, "input_shape": [int(s) for s in input_shape],
                   "dtype": np.dtype(network.dtype).name, "layers": describe(network),
                   "metadata": _check_metadata(metadata, "save_model")}
    arrays = _arrays(network)
    dtypes = {a.dtype.name for a in arrays.values()}
    if len(dtypes) > 1:
        raise ValueError(_("the network's arrays have several dtypes {dtypes}; convert them to "
                           "one with network.astype(np.float32) before saving",
                           dtypes=sorted(dtypes)))
    if dtypes:
        description["dtype"] = dtypes.pop()
    # The description must rebuild exactly this network: find out now, not when someone loads it.
    _validated(description, dict(arrays), path, fast=False)
    arrays[DESCRIPTION_KEY] = np.array(json.dumps(description))
    write_npz_atomically(path, arrays, check=lambda tmp: read_model_file(tmp, fast=False))
    return path


# ---------------------------------------------------------------------------
# Reading a description: plain data, every value checked
# ---------------------------------------------------------------------------

def _number(value, spec, what):
    kind, low, high = spec[:3]
    if kind == "choice":
        if value not in low:
            raise ValueError(_("{what} must be one of {choices}, got {value!r}", what=what,
                               choices=list(low), value=value))
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(_("{what} must be a number, got {value!r}", what=what, value=value))
    if kind == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(_("{what} must be a whole number, got {value!r}", what=what,
                                   value=value))
            value = int(value)
    elif not math.isfinite(value):
        raise ValueError(_("{what} must be a finite number, got {value!r}", what=what,
                           value=value))
    if not low <= value <= high:
        raise ValueError(_("{what} must lie between {low} and {high}, got {value!r}", what=what,
                           low=low, high=high, value=value))
    return value if kind == "int" else float(value)


def _layer_spec(entry, i, defaults):
    """A checked copy of one layer's description."""
    if not isinstance(entry, dict):
        raise ValueError(_("layer {i} must be a dict such as {{'type': 'Relu'}}, got {entry!r}",
                           i=i, entry=entry))
    kind = entry.get("type")
    if kind not in LAYER_TYPES:
        raise ValueError(_("layer {i} has type {kind!r}, which is not allowed in a model file; "
                           "the allowed types are {allowed}", i=i, kind=kind,
                           allowed=", ".join(LAYER_TYPES)))
    specs = LAYER_TYPES[kind]
    unknown = sorted(set(entry) - set(specs) - {"type"})
    if unknown:
        if not specs:
            raise ValueError(_("layer {i} ({kind}) has unknown settings {unknown}; it takes none",
                               i=i, kind=kind, unknown=unknown))
        raise ValueError(_("layer {i} ({kind}) has unknown settings {unknown}; it takes "
                           "{settings}", i=i, kind=kind, unknown=unknown, settings=sorted(specs)))
    out = {"type": kind}
    for name, spec in specs.items():
        if name in entry:
            out[name] = _number(entry[name], spec, _("layer {i} ({kind}) {name}", i=i, kind=kind,
                                                     name=name))
        elif defaults and spec[3] is not None:
            out[name] = spec[3]
        elif kind == "Pooling" and name == "stride" and defaults:
            out[name] = out["pool_h"]
        else:
            raise ValueError(_("layer {i} ({kind}) needs the setting {name!r}", i=i, kind=kind,
                               name=name))
    return out


def _shapes(layer_specs, input_shape):
    """Every layer's parameter shapes and the output shape; ValueError if they do not fit."""
    shape = tuple(input_shape)
    plan = []
    total = 0
    for i, d in enumerate(layer_specs):
        kind = d["type"]
        where = _("layer {i} ({kind})", i=i, kind=kind)
        try:
            if kind == "Convolution":
                if len(shape) != 3:
                    raise ValueError(_("needs an image input (C, H, W), but the layer before "
                                       "gives shape {shape}", shape=shape))
                C, H, W = shape
                plan.append({"W": (d["filters"], C, d["filter_h"], d["filter_w"]),
                             "b": (d["filters"],)})
                shape = (d["filters"],
                         conv_output_size(H, d["filter_h"], d["stride"], d["pad"], "height"),
                         conv_output_size(W, d["filter_w"], d["stride"], d["pad"], "width"))
            elif kind == "Pooling":
                if len(shape) != 3:
                    raise ValueError(_("needs an image input (C, H, W), but the layer before "
                                       "gives shape {shape}", shape=shape))
                C, H, W = shape
                plan.append({})
                shape = (C, conv_output_size(H, d["pool_h"], d["stride"], d["pad"], "height"),
                         conv_output_size(W, d["pool_w"], d["stride"], d["pad"], "width"))
            elif kind == "Affine":
                fan_in = int(np.prod(shape))
                plan.append({"W": (fan_in, d["units"]), "b": (d["units"],)})
                shape = (d["units"],)
            elif kind == "BatchNormalization":
                plan.append({"gamma": (shape[0],), "beta": (shape[0],)})
            else:
                plan.append({})
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        total += sum(int(np.prod(s)) for s in plan[-1].values())
        if total > MAX_PARAMETERS:
            raise ValueError(_("the described network has more than {limit:,} parameters (at "
                               "{where}); a model file of this course holds far fewer",
                               limit=MAX_PARAMETERS, where=where))
    return plan, shape


def _new_layer(d, shapes, rng, dtype, fast):
    """A course_lib layer for the checked description ``d`` (He-initialised weights)."""
    kind = d["type"]
    if kind == "Convolution":
        FN, C, FH, FW = shapes["W"]
        W = (rng.standard_normal(shapes["W"]) * init_std(C * FH * FW, "he")).astype(dtype)
        return backend.layer_class("Convolution", fast)(W, np.zeros(FN, dtype), stride=d["stride"],
                                                        pad=d["pad"])
    if kind == "Pooling":
        return backend.layer_class("Pooling", fast)(d["pool_h"], d["pool_w"], stride=d["stride"],
                                                    pad=d["pad"], mode=d["mode"])
    if kind == "Affine":
        fan_in, M = shapes["W"]
        W = (rng.standard_normal(shapes["W"]) * init_std(fan_in, "he")).astype(dtype)
        return _layers.Affine(W, np.zeros(M, dtype))
    if kind == "Relu":
        return _layers.Relu()
    if kind == "Dropout":
        return _layers.Dropout(d["ratio"])
    if kind == "BatchNormalization":
        D = shapes["gamma"][0]
        return _layers.BatchNormalization(np.ones(D, dtype), np.zeros(D, dtype),
                                          momentum=d["momentum"],
                                          eps=d["eps"])
    raise AssertionError(kind)  # unreachable: the kinds were checked


def _input_shape(value, where):
    if (not isinstance(value, (list, tuple)) or len(value) != 3
            or not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= MAX_DIM for s
                       in value)):
        raise ValueError(_("{where}: input_shape must be three whole numbers (C, H, W) between 1 "
                           "and {largest}, got {value!r}", where=where, largest=MAX_DIM,
                           value=value))
    return tuple(value)


def _network(specs, plan, rng, dtype, fast, seed=None):
    layers = [_new_layer(d, shapes, rng, dtype, fast) for d, shapes in zip(specs, plan)]
    return Sequential(layers, loss_layer=backend.layer_class("SoftmaxWithLoss", fast)(), seed=seed)


def build_model(layers, input_shape=(1, 28, 28), seed=0, dtype=np.float32, fast=True):
    """A fresh network from a description: a list of dicts like ``{"type": "Affine", "units": 10}``.

    Settings left out take their defaults (Convolution: stride 1, pad 0;
    Pooling: stride = pool_h, max; Dropout: ratio 0.5).  Weights are drawn
    with He initialisation from ``seed``, biases are 0.  Returns a
    ``Sequential`` of course_lib layers, in training mode (``fast=True``: the
    fast convolution and pooling layers of ``course_lib.fast``, which compute
    the same values as the reference ones).
    """
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(_("layers must be a non-empty list of dicts, got {layers!r}",
                           layers=layers))
    specs = [_layer_spec(entry, i, defaults=True) for i, entry in enumerate(layers)]
    input_shape = _input_shape(list(input_shape), "build_model")
    plan, out_shape = _shapes(specs, input_shape)
    _check_scores(out_shape, "build_model")
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    return _network(specs, plan, rng, dtype, fast, seed=seed)


def _check_scores(out_shape, where):
    if len(out_shape) != 1:
        raise ValueError(_("{where}: the network must end with scores (an Affine layer's "
                           "output), but its output has shape {shape}", where=where,
                           shape=out_shape))


def _validated(description, arrays, source, fast=True):
    """Check a description and its arrays; return the network they make (evaluation mode)."""
    if not isinstance(description, dict):
        raise ValueError(_("{source}: the model description must be a JSON object, got {type}",
                           source=source, type=type(description).__name__))
    if description.get("format") != FORMAT:
        raise ValueError(_("{source}: unknown model file format {found!r} (expected "
                           "{expected!r})", source=source, found=description.get("format"),
                           expected=FORMAT))
    unknown = sorted(set(description) - {"format", "input_shape", "dtype", "layers", "metadata"})
    if unknown:
        raise ValueError(_("{source}: unknown entries {unknown} in the model description",
                           source=source, unknown=unknown))
    input_shape = _input_shape(description.get("input_shape"), source)
    dtype = description.get("dtype")
    if dtype not in DTYPES:
        raise ValueError(_("{source}: dtype must be one of {dtypes}, got {dtype!r}",
                           source=source, dtypes=list(DTYPES), dtype=dtype))
    layer_list = description.get("layers")
    if not isinstance(layer_list, list) or not 1 <= len(layer_list) <= 200:
        raise ValueError(_("{source}: 'layers' must be a list of 1 to 200 layer descriptions",
                           source=source))
    try:
        specs = [_layer_spec(entry, i, defaults=False) for i, entry in enumerate(layer_list)]
        plan, out_shape = _shapes(specs, input_shape)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    _check_scores(out_shape, source)
    _check_metadata(description.get("metadata"), source)
    rng = np.random.default_rng(0)
    network = _network(specs, plan, rng, np.dtype(dtype), fast)
    for key, a in arrays.items():
        if a.dtype.name != dtype:
            raise ValueError(_("{source}: {key} holds {found} numbers but the description says "
                               "{dtype}", source=source, key=key, found=a.dtype, dtype=dtype))
    _set_arrays(network, arrays, source)
    return network.eval()


def _set_arrays(network, arrays, source):
    """Put ``arrays`` into ``network`` after checking all of them: names, shapes, finite values."""
    current = _arrays(network)
    missing, extra, problems = state_problems(current, arrays)
    problems = (([_("arrays missing: {keys}", keys=missing)] if missing else [])
                + ([_("arrays the described network does not have: {keys}", keys=extra)]
                   if extra else []) + problems)
    if problems:
        raise ValueError(_("{source}: the weights do not fit the description: {problems}",
                           source=source, problems="; ".join(problems)))
    for kind in ("param", "buffer"):
        for key, layer, name in param_slots(network.layers, kind):
            setattr(layer, name, np.array(arrays[key], dtype=current[key].dtype))


def _checked_archive(path, max_bytes):
    """``path`` as a string, after checking that it names an .npz archive of allowed size."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(_("no model file at {path!r}; it is written by "
                                  "course_lib.model_file.save_model(network, {name!r})",
                                  path=path, name=os.path.basename(path)))
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ValueError(_("{path}: the file has {size:,} bytes, more than the {limit:,} a model "
                           "file may have", path=path, size=size, limit=max_bytes))
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:1] == b"\x80":
        raise ValueError(_("{path}: this is a pickle file; model files are .npz archives, "
                           "because unpickling can run any code its author put in it", path=path))
    if head != b"PK\x03\x04":
        raise ValueError(_("{path}: not an .npz archive (it does not start like a zip file); "
                           "write model files with course_lib.model_file.save_model", path=path))
    return path


def read_model_file(path, max_bytes=MAX_FILE_BYTES, fast=True):
    """``(description, arrays, network)`` of a model file, all checked; ValueError on any problem.

    ``fast``: build the network from the fast layers (default) or the reference ones.
    """
    path = _checked_archive(path, max_bytes)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            unpacked = sum(info.file_size for info in infos)
            names = [info.filename for info in infos]
        if unpacked > max_bytes:
            raise ValueError(_("{path}: the archive unpacks to {size:,} bytes, more than "
                               "{limit:,}", path=path, size=unpacked, limit=max_bytes))
        bad = [n for n in names if not n.endswith(".npy")]
        if bad:
            raise ValueError(_("{path}: the archive holds files that are not arrays: {names}",
                               path=path, names=bad))
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as err:
        if "pickle" in str(err).lower() or "object arrays" in str(err).lower():
            raise ValueError(_("{path}: an array in the file would need pickle to load (an "
                               "object array); model files hold only numbers and one JSON text",
                               path=path)) from None
        if str(err).startswith(path):
            raise
        raise ValueError(_("{path}: not a readable .npz archive ({error})", path=path,
                           error=err)) from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as err:
        raise ValueError(_("{path}: not a readable .npz archive ({error})", path=path,
                           error=f"{type(err).__name__}: {err}")) from None
    text = arrays.pop(DESCRIPTION_KEY, None)
    if text is None:
        raise ValueError(_("{path}: no model description ({key!r}) in the file; it holds only "
                           "weights (perhaps saved with network.save_params). Save it with "
                           "course_lib.model_file.save_model(network, path)", path=path,
                           key=DESCRIPTION_KEY))
    if text.ndim != 0 or text.dtype.kind != "U":
        raise ValueError(_("{path}: {key!r} must be one text (JSON), got an array of {dtype} and "
                           "shape {shape}", path=path, key=DESCRIPTION_KEY, dtype=text.dtype,
                           shape=text.shape))
    try:
        description = json.loads(str(text))
    except json.JSONDecodeError as err:
        raise ValueError(_("{path}: the model description is not valid JSON ({error})",
                           path=path, error=err)) from None
    network = _validated(description, arrays, path, fast)
    return description, arrays, network


def load_model(path, max_bytes=MAX_FILE_BYTES, fast=True):
    """The network in the model file ``path``, built of course_lib's layers, in evaluation mode.

    The description is read as data and checked (allowed layer types, sizes
    that fit together), then every array (present, nothing extra, the right
    shape, finite floating-point numbers); anything wrong raises a
    ``ValueError`` naming the problem.  The file's metadata is in
    ``network.model_metadata``.  ``fast=False`` builds it from the reference
    layers of ``course_lib.layers`` (see ``course_lib.backend``).
    """
    description, _arrays_read, network = read_model_file(path, max_bytes, fast)
    network.model_metadata = dict(description.get("metadata") or {})
    network.input_shape = tuple(description["input_shape"])
    return network


def goal_credit(accuracy, zero_at=0.85, goal=0.90):
    """Fraction of the points for a test accuracy: 0 up to ``zero_at``, 1 from ``goal``, linear
    between."""
    if not zero_at < goal:
        raise ValueError(_("zero_at ({zero_at}) must be below goal ({goal})", zero_at=zero_at,
                           goal=goal))
    return float(min(max((accuracy - zero_at) / (goal - zero_at), 0.0), 1.0))


def read_description(path, max_bytes=MAX_FILE_BYTES):
    """The checked layer descriptions and input shape of a model file, without its weights.

    Returns ``(specs, input_shape)``; nothing is built and no weight array is read, so
    this is cheap whatever the file describes.  ValueError on any problem.
    """
    path = _checked_archive(path, max_bytes)
    try:
        with np.load(path, allow_pickle=False) as data:
            if DESCRIPTION_KEY not in data.files:
                raise ValueError(_("{path}: no model description ({key!r}) in the file",
                                   path=path, key=DESCRIPTION_KEY))
            text = data[DESCRIPTION_KEY]
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(_("{path}: not a readable .npz archive ({error})", path=path,
                           error=type(err).__name__)) from None
    if text.ndim != 0 or text.dtype.kind != "U" or text.size * text.itemsize > 1_000_000:
        raise ValueError(_("{path}: {key!r} must be one JSON text", path=path,
                           key=DESCRIPTION_KEY))
    try:
        description = json.loads(str(text))
        layer_list = description["layers"]
        input_shape = _input_shape(description.get("input_shape"), path)
        if not isinstance(layer_list, list) or not 1 <= len(layer_list) <= 200:
            raise ValueError(_("'layers' must be a list of 1 to 200 layer descriptions"))
        specs = [_layer_spec(entry, i, defaults=False) for i, entry in enumerate(layer_list)]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(_("{path}: the model description cannot be used ({error})", path=path,
                           error=err)) from None
    return specs, input_shape


def model_cost(specs, input_shape):
    """``(multiply_adds, activations)`` of one image through the described layers.

    ``multiply_adds``: the products of the convolutions and affine layers, plus one
    operation per compared or scaled number elsewhere; ``activations``: the numbers
    every layer outputs for one image, added up (what a batch needs in memory per
    image).  Computed from the description alone, before any array exists.
    """
    _shapes(specs, input_shape)                   # raises when the layers do not fit
    shape, macs, activations = tuple(input_shape), 0, int(np.prod(input_shape))
    for d in specs:
        kind, size_in = d["type"], int(np.prod(shape))
        if kind == "Convolution":
            C, H, W = shape
            shape = (d["filters"], conv_output_size(H, d["filter_h"], d["stride"], d["pad"]),
                     conv_output_size(W, d["filter_w"], d["stride"], d["pad"]))
            macs += int(np.prod(shape)) * C * d["filter_h"] * d["filter_w"]
        elif kind == "Pooling":
            C, H, W = shape
            shape = (C, conv_output_size(H, d["pool_h"], d["stride"], d["pad"]),
                     conv_output_size(W, d["pool_w"], d["stride"], d["pad"]))
            macs += int(np.prod(shape)) * d["pool_h"] * d["pool_w"]
        elif kind == "Affine":
            shape = (d["units"],)
            macs += size_in * d["units"]
        else:
            macs += size_in
        activations += int(np.prod(shape))
    return macs, activations

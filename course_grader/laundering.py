"""Static signs, in a student's own code, of handing in the course's implementation as their own.

``scan({cell id: source})`` reads every cell with :mod:`ast` (nothing is run) and returns
:class:`Signal` objects, each with the cell, the line, what was found and how serious it
is (``high``: only there to reach or unlock the course's implementations; ``medium``:
unusual in an answer, worth a look).  What it looks for:

- imports of the course_lib modules and names that hold what students must write
  (``course_lib.functional``, ``.naive``, ``.fast``, ``Convolution``/``Pooling``/``im2col``
  /``col2im`` from ``course_lib.layers``) and of the grader (``course_grader``);
- dynamic imports and loaders (``importlib``, ``__import__``, ``runpy``, ``exec``/``eval``),
  ``sys.modules`` and ``sys.path``;
- module and attribute names built from pieces: string concatenation, ``join``,
  f-strings, ``format``, ``replace``, slicing and ``chr`` are folded to constants (through
  simple assignments) and checked, and ``getattr`` with a computed name;
- copying or reading the installed package (``shutil.copytree``, ``__file__``, ``open``,
  ``inspect.getsource``);
- replacing the grader's tripwires or the notebook's checks (``forbid_calls``,
  ``__code__``, the notebook's checks, attributes of NumPy, ``sys.settrace``).
"""
import ast
from dataclasses import dataclass

COURSE_MODULES = ("course_lib.functional", "course_lib.naive", "course_lib.fast")
COURSE_NAMES = frozenset({"Convolution", "Pooling", "im2col", "col2im", "windows_nhwc",
                          "col2im_nhwc", "conv_forward_naive", "conv_backward_naive",
                          "pool_forward_naive", "pool_backward_naive", "functional", "naive",
                          "fast", "DeepConvNet", "SimpleConvNet", "build_model", "load_model"})
CHECK_NAMES = ("course_versions_off", "check_class_means", "check_leaky_relu_forward",
               "check_leaky_relu_backward", "check_im2col", "check_col2im",
               "check_convolution_forward", "check_convolution_backward",
               "check_max_pool_forward", "check_max_pool_backward", "check_build_network",
               "check_most_confused", "check_model_file")       # the notebook's own checks
TRIPWIRES = frozenset({"forbid_calls", "__code__", "settrace", "gettrace", "setprofile",
                       *CHECK_NAMES})
STRONG_WORDS = ("course_lib", "course_grader", "forbid_calls", "__code__", "course_versions_off",
                "site-packages")
WORDS = STRONG_WORDS + ("functional", "naive", "Convolution", "Pooling", "im2col", "col2im")
LOADERS = {"import_module", "__import__", "spec_from_file_location", "module_from_spec",
           "SourceFileLoader", "run_path", "run_module", "load_source", "reload", "exec", "eval",
           "compile", "exec_module"}
FILE_MODULES = ("shutil", "inspect", "os", "glob", "pathlib")
SOURCE_READERS = ("copytree", "getsource", "getsourcefile", "read_text", "read_bytes")
READERS = {"copytree", "copy", "copy2", "copyfile", "getsource", "getsourcefile", "getfile",
           "read_text", "read_bytes", "open", "walk", "listdir", "glob", "rglob", "iterdir"}


@dataclass(frozen=True)
class Signal:
    """One finding: ``cell``, ``line`` (1-based), ``severity`` ('high' or 'medium'), ``text``
    (what was found) and ``code`` (the line)."""
    cell: str
    line: int
    severity: str
    text: str
    code: str


def scan(cells):
    """Signals in ``{cell id: source}`` (one student's cells, read together: a module imported
    in one cell and used in another is followed), by cell and line, each (cell, line, text) once."""
    trees, found = {}, []
    for cell, source in cells.items():
        try:
            trees[cell] = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None) or 1
            found.append(Signal(cell, line, "medium", "cannot be read as Python", ""))
    try:
        scanner = _Scanner(trees)
    except (RecursionError, MemoryError):          # nested beyond reason: read cell by cell
        scanner = None
    for cell, tree in trees.items():
        try:
            found += (scanner or _Scanner({cell: tree})).visit(cell, cells[cell], tree)
        except (RecursionError, MemoryError):
            found.append(Signal(cell, 1, "medium", "nested too deeply to be read", ""))
    seen, unique = set(), []
    for s in found:
        if (s.cell, s.line, s.text) not in seen:
            seen.add((s.cell, s.line, s.text))
            unique.append(s)
    return unique


def _dotted(node):
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id] + parts[::-1])
    return None


def _literal_int(node):
    """The integer a slice bound spells (``3``, ``-1``), else None."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    return value if type(value) is int else None


def _callee(node):
    """The last name of what a call calls (``f`` in ``a.b.f(...)`` and in ``g().f(...)``)."""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


class _Scanner:
    """Binds names to modules and strings over all cells first, then visits each cell."""

    def __init__(self, trees):
        self.modules = {}            # name -> the module it is bound to
        self.strings = {}            # name -> the constant string assigned to it
        bindings = [node for tree in trees.values() for node in ast.walk(tree)
                    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign))]
        for _ in range(2):           # a binding may use one made later in the source
            for node in bindings:
                self.bind(node)

    # ----- names bound to modules and strings -----------------------------
    def bind(self, node):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self.modules[a.asname] = a.name
                else:
                    self.modules[a.name.split(".")[0]] = a.name.split(".")[0]
                    self.modules[a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                self.modules[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
            text = self.fold(value)
            module = self.module_of(value)
            if text is not None:
                self.strings[name] = text
            elif module:
                self.modules[name] = module

    def resolve(self, dotted):
        """The module path a dotted name stands for, through the bindings ('' if none)."""
        parts = (dotted or "").split(".")
        for n in range(len(parts), 0, -1):
            head = ".".join(parts[:n])
            if head in self.modules:
                return ".".join([self.modules[head]] + parts[n:])
        return ""

    def module_of(self, node):
        """The module an expression evaluates to: a bound name, an import call, a getattr on one."""
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.resolve(_dotted(node))
        if isinstance(node, ast.Call) and node.args:
            last = _callee(node)
            if last in ("import_module", "__import__"):
                return self.fold(node.args[0]) or ""
            if last == "getattr" and len(node.args) >= 2:
                base, attr = self.module_of(node.args[0]), self.fold(node.args[1])
                return f"{base}.{attr}" if base and attr else ""
        return ""

    # ----- folding strings ------------------------------------------------
    def fold(self, node):
        """The constant string ``node`` evaluates to, when it is built from constants only."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self.strings.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = [self.fold(v.value if isinstance(v, ast.FormattedValue) else v)
                     for v in node.values]
            return None if None in parts else "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = self.fold(node.left), self.fold(node.right)
            return a + b if a is not None and b is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            a, n = self.fold(node.left), node.right
            if a is not None and isinstance(n, ast.Constant) and type(n.value) is int \
                    and 0 <= n.value < 100:
                return a * n.value
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            a = self.fold(node.value)
            bounds = [getattr(node.slice, k) for k in ("lower", "upper", "step")]
            values = [None if b is None else _literal_int(b) for b in bounds]
            if a is not None and all(v is not None or b is None for v, b in zip(values, bounds)) \
                    and values[2] != 0:
                return a[slice(*values)]
        if isinstance(node, ast.Call):
            return self._fold_call(node)
        return None

    def _fold_call(self, node):
        func, args = node.func, node.args
        if isinstance(func, ast.Name) and func.id == "chr" and len(args) == 1 and \
                isinstance(args[0], ast.Constant) and isinstance(args[0].value, int):
            return chr(args[0].value) if 0 <= args[0].value < 0x110000 else None
        if isinstance(func, ast.Name) and func.id == "str" and len(args) == 1:
            return self.fold(args[0])
        if not isinstance(func, ast.Attribute):
            return None
        base = self.fold(func.value)
        if func.attr == "join" and base is not None and len(args) == 1:
            items = self._fold_items(args[0])
            return None if items is None else base.join(items)
        if base is None:
            return None
        folded = [self.fold(a) for a in args]
        if None in folded:
            return None
        if func.attr in ("lower", "upper", "strip", "lstrip", "rstrip", "title") and not args:
            return getattr(base, func.attr)()
        if func.attr == "replace" and len(folded) == 2:
            return base.replace(*folded)
        if func.attr == "format":
            try:
                return base.format(*folded)
            except (IndexError, KeyError, ValueError):
                return None
        return None

    def _fold_items(self, node):
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.fold(e) for e in node.elts]
            return None if None in items else items
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "map" \
                and len(node.args) == 2 and getattr(node.args[0], "id", "") == "chr" \
                and isinstance(node.args[1], (ast.List, ast.Tuple)):
            codes = [e.value for e in node.args[1].elts if isinstance(e, ast.Constant)]
            if len(codes) == len(node.args[1].elts) and all(isinstance(c, int) and 0 <= c < 0x110000
                                                             for c in codes):
                return [chr(c) for c in codes]
        return None

    def built_word(self, node):
        """A tell-tale word spelt by a string built from pieces (not one literal), else None."""
        if isinstance(node, ast.Constant):
            return None
        value = self.fold(node)
        if value is None:
            return None
        return next((w for w in STRONG_WORDS if w.lower() in value.lower()), None)

    # ----- the signals ----------------------------------------------------
    def visit(self, cell, source, tree):
        """The signals in one cell's parsed ``tree``, in line order."""
        self.cell, self.lines, self.found = cell, source.splitlines(), []
        for node in ast.walk(tree):
            method = getattr(self, "visit_" + type(node).__name__, None)
            if method:
                method(node)
        return sorted(self.found, key=lambda s: s.line)

    def add(self, node, severity, text):
        line = getattr(node, "lineno", 1)
        code = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        self.found.append(Signal(self.cell, line, severity, text, code[:200]))

    def _imported(self, node, name):
        if name.startswith("course_grader"):
            self.add(node, "high", f"imports the grader's module {name}")
        elif any(name == m or name.startswith(m + ".") for m in COURSE_MODULES):
            self.add(node, "high", f"imports {name}, which holds what the assignment asks for")
        elif name.startswith("course_lib") and name.rsplit(".", 1)[-1] in COURSE_NAMES:
            self.add(node, "high", f"imports {name}: the course's implementation")
        elif name.split(".")[0] in ("importlib", "runpy", "imp", "ctypes", "shutil", "inspect"):
            self.add(node, "medium", f"imports {name}")

    def visit_Import(self, node):
        for a in node.names:
            self._imported(node, a.name)

    def visit_ImportFrom(self, node):
        for a in node.names:
            if a.name == "*" and (node.module or "").startswith(("course_lib", "course_grader")):
                self.add(node, "high", f"imports everything from {node.module}")
            self._imported(node, f"{node.module or ''}.{a.name}".lstrip("."))

    def visit_Call(self, node):
        last = _callee(node)
        bare = isinstance(node.func, ast.Name)
        word = self.built_word(node)
        if word:
            self.add(node, "high", f"builds {word!r} from pieces")
        if last in LOADERS and (bare or last not in ("exec", "eval", "compile", "__import__")):
            target = self.fold(node.args[0]) if node.args else None
            serious = target is None or any(w.lower() in target.lower() for w in WORDS)
            if last not in ("compile", "reload") or serious:
                what = f" of {target!r}" if target else ""
                self.add(node, "high" if serious else "medium",
                         f"loads code dynamically ({last}{what})")
        elif last in ("getattr", "setattr", "delattr", "hasattr") and bare and len(node.args) >= 2:
            self._getattr(node, last)
        elif last in READERS:
            owner = self.resolve(_dotted(getattr(node.func, "value", None))).split(".")[0]
            if (bare and last == "open") or owner in FILE_MODULES \
                    or last in SOURCE_READERS:
                serious = last in SOURCE_READERS[:3]
                self.add(node, "high" if serious else "medium", f"reads or copies files ({last})")
        elif last in ("settrace", "setprofile", "gettrace"):
            self.add(node, "high", f"calls {last}: the grader counts lines with a trace function")

    def _getattr(self, node, how):
        attr = self.fold(node.args[1])
        owner = self.module_of(node.args[0])
        if attr is None:
            self.add(node, "medium", f"{how} with a computed attribute name")
        elif attr in TRIPWIRES:
            self.add(node, "high", f"{how}(..., {attr!r})")
        elif attr in COURSE_NAMES and (owner.startswith("course")
                                       or not isinstance(node.args[1], ast.Constant)):
            built = "" if isinstance(node.args[1], ast.Constant) else " (a name built from pieces)"
            self.add(node, "high", f"{how}(..., {attr!r}){built}")

    def visit_Attribute(self, node):
        base = _dotted(node.value)
        module = self.resolve(base)
        store = isinstance(node.ctx, (ast.Store, ast.Del))
        if node.attr in ("__file__", "__path__", "__spec__", "__loader__"):
            self.add(node, "high" if module.startswith("course") else "medium",
                     f"looks up where a module's files are ({base}.{node.attr})")
        elif module.startswith("course_lib") and node.attr in COURSE_NAMES:
            self.add(node, "high", f"uses {module}.{node.attr}: the course's implementation")
        elif module == "sys" and node.attr in ("modules", "path", "meta_path", "path_hooks"):
            self.add(node, "medium" if node.attr == "path" else "high", f"uses sys.{node.attr}")
        elif node.attr in TRIPWIRES and store:
            self.add(node, "high", f"replaces {base}.{node.attr}")
        elif store and module.split(".")[0] in ("numpy", "course_lib", "course_grader", "builtins",
                                                 "sys"):
            self.add(node, "high", f"replaces {base}.{node.attr} in the module {module}")

    def visit_Assign(self, node):
        for t in node.targets:
            if isinstance(t, ast.Name) and t.id in (*CHECK_NAMES, "__builtins__"):
                self.add(node, "high", f"redefines {t.id}")

    def visit_FunctionDef(self, node):
        if node.name in CHECK_NAMES:
            self.add(node, "high", f"redefines {node.name}, one of the notebook's checks")

    def visit_Subscript(self, node):
        if isinstance(node.slice, ast.Slice):
            return
        key = self.fold(node.slice)
        if key and any(w in key for w in ("course_lib", "course_grader")):
            self.add(node, "high", f"looks up {key!r} by name")

    def visit_BinOp(self, node):
        word = self.built_word(node)
        if word:
            self.add(node, "high", f"builds {word!r} from pieces")

    def visit_JoinedStr(self, node):
        self.visit_BinOp(node)

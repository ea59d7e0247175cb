"""tools/student_release.py: the student copy of the course holds no solutions, hidden tests or grader."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_release  # noqa: E402

BLOCK = re.compile(r"BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)\n[^\n]*END \1", re.DOTALL)


def _cells(path):
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]]
    return [path.read_text(encoding="utf-8")]


def _text_files(folder):
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        yield path


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    dest = tmp_path_factory.mktemp("out") / "course-student"
    student_release.write_release(dest)
    return dest


def test_release_holds_the_course_and_nothing_of_the_instructor(release):
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for needed in ("README.md", "pyproject.toml", "environment.yml", "Makefile", "course_lib/__init__.py",
                   "course_lib/model_file.py", "assignments/fashion_mnist/fashion_mnist.ipynb"):
        assert needed in files
    assert any(f.startswith("course_lib/weights/") and f.endswith(".npz") for f in files)
    chapters = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert chapters and all(f"notebooks/{name}" in files for name in chapters)
    for f in files:
        assert not f.startswith(("solutions/", "course_grader/", "tests/", "tools/", "notebooks/build/")), f
        assert f not in ("nbgrader_config.py", "course_lib/grading.py"), f
        assert not (f.startswith("assignments/") and f.endswith(".npz")), f"{f}: a trained model is an answer"
        assert "trusted_checks" not in f, f


def test_no_solution_or_hidden_test_line_is_released(release):
    # Every line inside an instructor version's solution or hidden-test block, except short lines and
    # lines the course publishes anyway (outside the blocks, or in course_lib's source).
    inside, outside = set(), set()
    for path in (ROOT / "solutions").rglob("*.ipynb"):
        for source in _cells(path):
            blocks = [m.group(2) for m in BLOCK.finditer(source)]
            for block in blocks:
                inside |= {line.strip() for line in block.splitlines()}
            rest = BLOCK.sub("", source)
            outside |= {line.strip() for line in rest.splitlines()}
    library = set()
    for path in (release / "course_lib").rglob("*.py"):
        library |= {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    secrets = {line for line in inside - outside - library if len(line) >= student_release.MIN_LINE}
    assert len(secrets) > 30, "the instructor versions should hold solutions to look for"
    for path in _text_files(release):
        lines = {line.strip() for text in _cells(path) for line in text.splitlines()}
        rel = path.relative_to(release)
        assert not secrets & lines, f"{rel} contains solution text: {sorted(secrets & lines)[:3]}"
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert not any(marker in line for line in lines), f"{rel} contains {marker!r}"


def test_released_assignment_is_the_student_version(release):
    nb = json.loads((release / "assignments/fashion_mnist/fashion_mnist.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert any("YOUR CODE HERE" in s for s in sources)
    assert not any("Model answer" in s or "Rubric" in s for s in sources)
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert graded, "the student version keeps its (visible) test cells"


def test_released_course_lib_imports_from_the_copy(release):
    code = ("import importlib, pkgutil, sys; sys.path.insert(0, sys.argv[1]); import course_lib; "
            "names = [m.name for m in pkgutil.walk_packages(course_lib.__path__, 'course_lib.')]; "
            "mods = [importlib.import_module(n) for n in names if n != 'course_lib.grading']; "
            "print(course_lib.__file__); print('\\n'.join(m.__file__ for m in mods))")
    out = subprocess.run([sys.executable, "-c", code, str(release)], cwd=release, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    paths = out.stdout.split()
    assert len(paths) > 5 and all(p.startswith(str(release)) for p in paths), paths
    weights = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); from course_lib import pretrained; "
         "print(pretrained.weights_path('deep_convnet_mnist'))", str(release)],
        capture_output=True, text=True, timeout=120)
    assert weights.returncode == 0, weights.stderr
    assert Path(weights.stdout.strip()).is_file() and weights.stdout.startswith(str(release))


def test_refuses_a_folder_inside_the_repository(tmp_path):
    dest = ROOT / "student-copy-test"
    with pytest.raises(student_release.ReleaseError, match="inside the repository"):
        student_release.write_release(dest)
    assert not dest.exists()
    with pytest.raises(student_release.ReleaseError, match="contains the repository"):
        student_release.write_release(ROOT.parent)


def test_refuses_a_non_empty_folder_and_leaves_it_alone(tmp_path, capsys):
    dest = tmp_path / "old"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    assert student_release.main([str(dest)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert student_release.main([str(empty)]) == 0
    assert (empty / "course_lib" / "__init__.py").is_file()


def test_a_failed_check_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(student_release, "leaks", lambda folder, secrets: [("x.ipynb", "return 42")])
    dest = tmp_path / "copy"
    with pytest.raises(student_release.ReleaseError, match="nothing was written"):
        student_release.write_release(dest)
    assert list(tmp_path.iterdir()) == [], "no copy and no temporary folder are left behind"


def _notebook(*sources):
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
                                  "execution_count": None} for s in sources],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_the_check_catches_a_leaked_solution(tmp_path):
    """A student version that still holds a solution line (not regenerated) is refused."""
    repo = tmp_path / "repo"
    for rel, text in {"README.md": "course", "pyproject.toml": "", "course_lib/__init__.py": "",
                      "solutions/hw/hw.ipynb": _notebook(
                          "def f(x):\n    ### BEGIN SOLUTION\n    return np.tensordot(x, x, axes=2)\n"
                          "    ### END SOLUTION"),
                      "assignments/hw/hw.ipynb": _notebook("def f(x):\n    return np.tensordot(x, x, axes=2)")
                      }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    with pytest.raises(student_release.ReleaseError, match="tensordot"):
        student_release.write_release(tmp_path / "out", root=repo)
    assert not (tmp_path / "out").exists()
    (repo / "assignments/hw/hw.ipynb").write_text(_notebook("def f(x):\n    # YOUR CODE HERE\n    raise "
                                                            "NotImplementedError()"))
    (repo / "assignments/hw/hw_model.npz").write_bytes(b"PK trained weights")   # generated by mistake
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    student_release.write_release(tmp_path / "out", root=repo)
    assert (tmp_path / "out" / "assignments/hw/hw.ipynb").is_file()
    assert not (tmp_path / "out" / "assignments/hw/hw_model.npz").exists()
    assert not (tmp_path / "out" / "solutions").exists()

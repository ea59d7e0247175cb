"""pyproject.toml and environment.yml describe the same environment; the Makefile's commands."""
import json
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(requirement):
    # environment markers: environment.yml is for Linux too
    requirement = requirement.split(";")[0]
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def conda_requirements():
    """Requirements of environment.yml: conda's and those it installs with pip (which go
    into the same dict, so a package that conda does not have can come from PyPI)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps, pip = {}, []
    for d in env["dependencies"]:
        if isinstance(d, dict):
            pip += d.get("pip", [])
        else:
            name, spec = _split(d)
            deps[name] = spec
    for d in pip:
        if not d.startswith("-"):
            name, spec = _split(d)
            deps[name] = spec
    return deps, pip


def test_every_pyproject_dependency_is_in_environment_yml_with_the_same_bounds():
    deps, _ = conda_requirements()
    for name, spec in pyproject_requirements().items():
        assert name in deps, f"{name} is in pyproject.toml but not in environment.yml"
        assert deps[name] == spec, (f"{name}: pyproject.toml says {spec!r}, environment.yml says "
                                    f"{deps[name]!r}")


def test_environment_yml_adds_nothing_but_python_and_pip_and_installs_the_package():
    deps, pip = conda_requirements()
    extra = set(deps) - set(pyproject_requirements()) - {"python", "pip"}
    assert not extra, f"environment.yml has dependencies pyproject.toml lacks: {sorted(extra)}"
    assert "-e ." in pip
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert deps["python"] == requires


def test_python_3_10_is_refused_and_the_readme_says_so():
    from packaging.specifiers import SpecifierSet

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    spec = SpecifierSet(requires)
    # nbgrader 0.9.6, tomllib and NumPy 2.3 need 3.11: pip must refuse an older Python up front
    assert "3.10.12" not in spec and "3.11.0" in spec and "3.13.1" in spec
    stated = re.search(r"Python (\d+\.\d+) or newer", (ROOT / "README.md").read_text())
    assert stated, "README.md should say which Python it needs ('Python 3.x or newer')"
    assert requires == f">={stated.group(1)}"


def _make_dry_run(target, tmp_path, **variables):
    """The commands `make <target>` would run on a fresh checkout (nothing is executed)."""
    args = [f"{k}={v}" for k, v in {"VENV": tmp_path / "venv", **variables}.items()]
    done = subprocess.run(["make", "--dry-run", "--always-make", target, *args], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout


def test_make_lab_says_where_each_edition_is(tmp_path):
    out = _make_dry_run("lab", tmp_path)
    said = " ".join(line for line in out.splitlines() if line.startswith("echo"))
    assert "notebooks/ko/" in said and "README.ko.md" in said
    for path in ("notebooks/ko", "assignments/ko/fashion_mnist", "assignments/fashion_mnist",
                 "README.ko.md"):
        assert path in said and (ROOT / path).exists(), path


def test_make_lab_installs_only_what_students_need(tmp_path):
    out = _make_dry_run("lab", tmp_path)
    installs = [line for line in out.splitlines() if "pip install" in line and "--upgrade "
                                                                               "pip" not in line]
    assert installs == [f"{tmp_path / 'venv'}/bin/python -m pip install -e ."]
    assert "jupyter lab" in out


def test_make_test_fast_runs_the_library_tests_without_grading_or_notebooks(tmp_path):
    out = _make_dry_run("test-fast", tmp_path)
    pytest_line = [line for line in out.splitlines() if "-m pytest" in line]
    assert len(pytest_line) == 1 and '-m "not grading"' in pytest_line[0]
    assert "nbval" not in out and "notebooks" not in pytest_line[0]


def test_make_test_runs_the_tests_and_every_notebook_in_one_run(tmp_path):
    out = _make_dry_run("test", tmp_path, SOLUTION_CHAPTERS="solutions/chapters/01.ipynb")
    joined = out.replace("\\\n", " ")                     # a command continued over lines
    (line,) = [line for line in joined.splitlines() if "-m pytest" in line]
    assert "COURSE_LIB_QUICK=1" in line and " tests " in line and "nbval_sanitize.cfg" in line
    assert "--nbval solutions/chapters/01.ipynb notebooks/" in line and "--nbval-lax" not in line
    # the assignment's instructor versions run beside the student chapters
    assert "solutions/fashion_mnist/fashion_mnist.ipynb" in line
    assert '".[dev,instructor]"' in out


def test_notebooks_committed_unrun_are_run_but_not_compared():
    """make test runs every notebook strictly: that compares only cells that ran when saved, so
    the student chapters and the assignment must be committed unrun (no execution count)."""
    paths = [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("notebooks/*/*.ipynb"),
             *ROOT.glob("solutions/*fashion_mnist/*.ipynb"),
             *ROOT.glob("solutions/*/fashion_mnist/*.ipynb")]
    assert len(paths) >= 14
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        ran = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
               and (c.get("execution_count") is not None or c.get("outputs"))]
        assert not ran, f"{path.relative_to(ROOT)}: cells {ran} ran when it was saved"


def test_makefile_guesses_no_data_folder_outside_the_repository():
    assert "../" not in (ROOT / "Makefile").read_text()


def test_no_module_of_the_library_or_the_grader_is_over_600_lines():
    """Modules are split by job, not left to grow: a maintainer reads one in a sitting."""
    root = Path(__file__).resolve().parents[1]
    long = {str(p.relative_to(root)): n for package in ("course_lib", "course_grader")
            for p in (root / package).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 600}
    assert not long, long


def test_split_modules_keep_their_public_names():
    from course_lib import augment, datasets, widgets
    for module in (augment, widgets):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, (module.__name__, missing)
    for name in ("load_mnist", "load_fashion_mnist", "cache_dir", "DatasetNotFoundError",
                 "FASHION_MNIST_CLASSES"):
        assert hasattr(datasets, name), name

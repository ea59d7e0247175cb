"""pyproject.toml and environment.yml describe the same environment."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(requirement):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps, pip = {}, []
    for d in env["dependencies"]:
        if isinstance(d, dict):
            pip += d.get("pip", [])
        else:
            name, spec = _split(d)
            deps[name] = spec
    return deps, pip


def test_every_pyproject_dependency_is_in_environment_yml_with_the_same_bounds():
    deps, _ = conda_requirements()
    for name, spec in pyproject_requirements().items():
        assert name in deps, f"{name} is in pyproject.toml but not in environment.yml"
        assert deps[name] == spec, f"{name}: pyproject.toml says {spec!r}, environment.yml says {deps[name]!r}"


def test_environment_yml_adds_nothing_but_python_and_pip_and_installs_the_package():
    deps, pip = conda_requirements()
    extra = set(deps) - set(pyproject_requirements()) - {"python", "pip"}
    assert not extra, f"environment.yml has dependencies pyproject.toml lacks: {sorted(extra)}"
    assert "-e ." in pip
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert deps["python"] == requires

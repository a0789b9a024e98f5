"""setup.py declares what the code imports, with floors that the APIs it uses need."""
import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from allencv.optional_dependencies import EXTRA_OF_MODULE

REPO_ROOT = Path(__file__).parent.parent
#: The newest API of each package the code uses, and the release that added it.
NEEDED_FLOORS = {
    "torchvision": ("tv_tensors.KeyPoints", "0.23"),
    "torch": ("torch.serialization.add_safe_globals; and torchvision 0.23's own floor", "2.8"),
}
#: Imported but installed apart: allennlp pins torch<1.13, so the Makefile installs it with --no-deps.
INSTALLED_APART = {"allennlp"}


def setup_arguments() -> dict:
    """The literal `install_requires` and `extras_require` (and its `EXTRAS` table) of setup.py."""
    tree = ast.parse((REPO_ROOT / "setup.py").read_text())
    extras = next(
        ast.literal_eval(node.value) for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXTRAS"
    )
    extras["all"] = sorted({requirement for requirements in extras.values() for requirement in requirements})
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup")
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    assert isinstance(keywords["extras_require"], ast.Name) and keywords["extras_require"].id == "EXTRAS"
    return {"install_requires": ast.literal_eval(keywords["install_requires"]), "extras_require": extras}


def normalise(name: str) -> str:
    return name.lower().replace("_", "-")


def imported_top_levels() -> dict:
    """Every third-party top-level module imported under allencv/ (also through `import_optional`), with a file."""
    found = {}
    for path in sorted((REPO_ROOT / "allencv").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_optional":
                names = [node.args[0].value]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "allencv":
                    found.setdefault(top, path.relative_to(REPO_ROOT))
    return found


def test_every_imported_package_is_declared():
    arguments = setup_arguments()
    declared = {normalise(Requirement(line).name) for line in arguments["install_requires"]}
    declared |= {normalise(Requirement(line).name) for lines in arguments["extras_require"].values() for line in lines}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: str(path) for module, path in imported_top_levels().items()
        if module not in INSTALLED_APART and not {normalise(name) for name in distributions[module]} & declared
    }
    assert not undeclared, f"imported but not declared in setup.py: {undeclared}"


def test_optional_packages_are_in_the_extra_their_error_names():
    extras = setup_arguments()["extras_require"]
    distributions = importlib.metadata.packages_distributions()
    for module, extra in EXTRA_OF_MODULE.items():
        names = {normalise(Requirement(line).name) for line in extras[extra]}
        assert {normalise(name) for name in distributions[module]} & names, (module, extra)
    # ... and nothing optional is imported at a module's top, outside a function (see test_import.py).
    install_requires = {normalise(Requirement(line).name) for line in setup_arguments()["install_requires"]}
    assert not install_requires & {normalise(name) for module in EXTRA_OF_MODULE for name in distributions[module]}


@pytest.mark.parametrize("package", sorted(NEEDED_FLOORS))
def test_floors_cover_the_apis_used_and_the_installed_versions(package):
    requirement = next(
        Requirement(line) for line in setup_arguments()["install_requires"] if Requirement(line).name == package
    )
    floors = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
    api, needed = NEEDED_FLOORS[package]
    assert floors and min(floors) >= Version(needed), f"{package} needs >={needed} for {api}, setup.py says {requirement}"
    installed = importlib.metadata.version(package)
    assert requirement.specifier.contains(installed, prereleases=True), f"{package} {installed} does not meet {requirement}"


def test_the_floor_apis_exist_in_the_installed_versions():
    import torch
    from torchvision import tv_tensors

    assert hasattr(tv_tensors, "KeyPoints") and hasattr(torch.serialization, "add_safe_globals")

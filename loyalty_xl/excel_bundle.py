"""The Excel functions as one self-contained Python file, generated from the package's sources.

xlwings Lite keeps a workbook's Python code in its ``main.py`` and installs packages listed in
``requirements.txt``; an xlwings Server loads custom functions from ``app/custom_functions/``.
Neither needs loyalty_xl to be published: :func:`bundle` embeds the source text of
``loyalty_xl.udfs`` and of every loyalty_xl module it imports (found by reading the imports,
top-level and inside functions, so a new KPI module is included as soon as udfs uses it), and a
small import hook serves them as the real modules ``loyalty_xl``, ``loyalty_xl.kpis``, ... Then
``from loyalty_xl.udfs import *`` puts the decorated Excel functions into the file's namespace,
where xlwings' ``custom_functions_meta`` finds them (it scans a module's members for
``__xlfunc__``).

The header names the package version and a SHA-256 hash of the embedded sources; a test
regenerates the committed ``workbook_templates/xlwings_lite/main.py`` and fails when it differs.
Third-party imports of the embedded modules become the requirements (pandas and scipy are
imported only inside the functions that need them; Pyodide ships both).

``python -m loyalty_xl.excel_bundle`` rewrites the committed file.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "loyalty_xl"
ENTRY = "loyalty_xl.udfs"
PACKAGE_DIR = Path(__file__).resolve().parent
COMMITTED_LITE = PACKAGE_DIR.parent / "workbook_templates" / "xlwings_lite" / "main.py"
# Requirement names of import names that differ (import name -> distribution on PyPI/Pyodide).
DISTRIBUTIONS = {"sklearn": "scikit-learn", "dateutil": "python-dateutil", "yaml": "pyyaml"}


@dataclass(frozen=True)
class Requirement:
    """A package the bundle imports; ``lazy`` when only inside functions."""

    name: str
    lazy: bool
    modules: tuple[str, ...]

    def line(self) -> str:
        if not self.lazy:
            return self.name
        return f"{self.name}  # imported only when needed, by {', '.join(self.modules)}"


@dataclass
class Bundle:
    """The embedded modules (name -> source), which are packages, and the requirements."""

    sources: dict[str, str]
    packages: set[str]
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """SHA-256 of the embedded modules' names and sources."""
        h = hashlib.sha256()
        for name in sorted(self.sources):
            for part in (name, "package" if name in self.packages else "module",
                         self.sources[name]):
                data = part.encode("utf-8")
                h.update(len(data).to_bytes(8, "big"))
                h.update(data)
        return h.hexdigest()


def _module_file(name: str, root: Path) -> tuple[Path, bool] | None:
    """The source file of module ``name`` under ``root`` (the loyalty_xl folder), and whether
    it is a package; None when ``name`` is not a module of the package."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py", True
    if base.with_suffix(".py").is_file() and len(parts) > 1:
        return base.with_suffix(".py"), False
    return None


def _imports(tree: ast.Module, name: str, is_package: bool):
    """Yield (imported module name, lazy) for every import in a module; ``from a import b``
    yields both ``a`` and ``a.b`` (b may be a submodule)."""
    top_level = {id(node) for node in tree.body}
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        lazy = id(node) not in top_level
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, lazy
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            if module == "__future__":
                continue
            yield module, lazy
            for alias in node.names:
                yield f"{module}.{alias.name}", lazy


def collect(root: Path = PACKAGE_DIR, entry: str = ENTRY) -> Bundle:
    """Read ``entry`` and, following imports, every loyalty_xl module it needs, from ``root``."""
    root = Path(root)
    sources, packages = {}, set()
    third_party: dict[str, dict[str, bool]] = {}  # distribution -> {module: lazy}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        found = _module_file(name, root)
        if found is None:
            raise ValueError(f"{name} is not a module of {root}")
        path, is_package = found
        # Importing a.b.c runs a and a.b first.
        todo += [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        source = path.read_text(encoding="utf-8")
        sources[name] = source
        if is_package:
            packages.add(name)
        for module, lazy in _imports(ast.parse(source, str(path)), name, is_package):
            top = module.split(".")[0]
            if top == PACKAGE:
                if _module_file(module, root) is not None:
                    todo.append(module)
            elif top not in sys.stdlib_module_names:
                users = third_party.setdefault(DISTRIBUTIONS.get(top, top), {})
                users[name] = users.get(name, True) and lazy
    requirements = []
    for dist in sorted(third_party, key=lambda d: (d != "xlwings", d)):
        users = third_party[dist]
        lazy = all(users.values())
        requirements.append(Requirement(dist, lazy, tuple(sorted(users))))
    return Bundle(dict(sorted(sources.items())), packages, requirements)


def _literal(text: str) -> str:
    """``text`` as a readable triple-quoted Python literal (checked to round-trip)."""
    body = text.replace("\\", "\\\\").replace("'''", "\\'\\'\\'")
    if body.endswith("'"):
        body = body[:-1] + "\\'"
    literal = "'''" + body + "'''"
    if ast.literal_eval(literal) != text:  # pragma: no cover - a guard, not expected
        raise AssertionError("source did not survive embedding")
    return literal


LOADER = '''
import importlib.abc as _abc
import importlib.util as _util
import sys as _sys


class _LoyaltyXLBundle(_abc.MetaPathFinder, _abc.Loader):
    """Serves the embedded sources as the modules loyalty_xl, loyalty_xl.kpis, ..."""

    loyalty_xl_bundle = True

    def __init__(self, sources, packages, digest):
        self.sources, self.packages, self.digest = sources, packages, digest

    def find_spec(self, name, path=None, target=None):
        if name not in self.sources:
            return None
        origin = "<loyalty_xl bundle>/" + name.replace(".", "/") + (
            "/__init__.py" if name in self.packages else ".py")
        return _util.spec_from_loader(name, self, origin=origin,
                                      is_package=name in self.packages)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = compile(self.sources[module.__name__], module.__spec__.origin, "exec")
        exec(code, module.__dict__)

    def get_source(self, name):
        return self.sources[name]


def _install(finder):
    # Lite runs this file again after every edit: the newest bundle comes first, and modules
    # loaded from another bundle (or from an installed loyalty_xl) are dropped.
    loaded = _sys.modules.get("loyalty_xl")
    same = getattr(getattr(loaded, "__loader__", None), "sources", None) == finder.sources
    _sys.meta_path[:] = [f for f in _sys.meta_path if not getattr(f, "loyalty_xl_bundle", 0)]
    _sys.meta_path.insert(0, finder)
    if not same:
        for name in [n for n in _sys.modules if n == "loyalty_xl" or n.startswith("loyalty_xl.")]:
            del _sys.modules[name]


_install(_LoyaltyXLBundle(_SOURCES, _PACKAGES, _DIGEST))
'''


def version(root: Path = PACKAGE_DIR) -> str:
    """The package version, read from the sources being bundled."""
    tree = ast.parse((Path(root) / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError("loyalty_xl/__init__.py sets no __version__")


def _header(purpose: list[str], bundle: Bundle | None, ver: str, requirements: list[str]):
    lines = [f"# loyalty_xl {ver}: the customer-loyalty KPI functions for Excel (=NPS, =CSAT,",
             "# =CHURN_RATE, =CLV, ...).", *purpose]
    if bundle is not None:
        lines += ["#",
                  "# Generated by `loyalty-xl excel` from the package's own sources: do not edit,",
                  "# regenerate. It needs no loyalty_xl install: the modules below are embedded",
                  "# and served to `import` by a small loader.",
                  f"# loyalty_xl version: {ver}",
                  f"# Source hash (sha256): {bundle.digest}",
                  *_wrapped("Embedded modules", list(bundle.sources))]
    lines += _wrapped("Requirements", requirements)
    return "\n".join(lines) + "\n"


def _wrapped(label: str, items: list[str]) -> list[str]:
    import textwrap

    return textwrap.wrap(f"{label}: {', '.join(items)}", 88, initial_indent="# ",
                         subsequent_indent="#   ", break_on_hyphens=False)


def requirement_names(bundle: Bundle) -> list[str]:
    return [r.name + (" (only some functions)" if r.lazy else "") for r in bundle.requirements]


def render(purpose: list[str], *, root: Path = PACKAGE_DIR, from_pypi: bool = False) -> str:
    """The module text: ``purpose`` comment lines, then the bundle (or a plain import)."""
    ver = version(root)
    if from_pypi:
        return (_header(purpose, None, ver, ["xlwings", f"loyalty-xl=={ver}"]) + "\n"
                "from loyalty_xl.udfs import *  # noqa: F401,F403\n"
                "from loyalty_xl.udfs import __all__  # noqa: F401\n")
    bundle = collect(root)
    parts = [_header(purpose, bundle, ver, requirement_names(bundle)),
             '"""loyalty_xl Excel functions, self-contained (see the comments above)."""\n',
             "_SOURCES = {}"]
    for name, source in bundle.sources.items():
        parts.append(f"\n_SOURCES[{name!r}] = {_literal(source)}")
    parts.append(f"\n_PACKAGES = {sorted(bundle.packages)!r}")
    parts.append(f"_DIGEST = {bundle.digest!r}")
    parts.append(LOADER)
    parts.append("from loyalty_xl.udfs import *  # noqa: E402,F401,F403  (the Excel functions)\n"
                 "from loyalty_xl.udfs import __all__  # noqa: E402,F401\n")
    return "\n".join(parts)


LITE_PURPOSE = ["#",
                "# xlwings Lite: paste this whole file into the main.py tab of the xlwings Lite",
                "# add-in, and the requirements below into its requirements.txt tab. The",
                "# functions register when the add-in has run the file."]
SERVER_PURPOSE = ["#",
                  "# xlwings Server: save as app/custom_functions/loyalty_kpis.py, add",
                  "# `from .loyalty_kpis import *` to app/custom_functions/__init__.py, add the",
                  "# requirements below to the server's requirements and restart it."]


def lite_main(*, root: Path = PACKAGE_DIR, from_pypi: bool = False) -> str:
    """The main.py for xlwings Lite."""
    return render(LITE_PURPOSE, root=root, from_pypi=from_pypi)


def server_module(*, root: Path = PACKAGE_DIR, from_pypi: bool = False) -> str:
    """The custom-functions module for xlwings Server."""
    return render(SERVER_PURPOSE, root=root, from_pypi=from_pypi)


def _specifiers() -> dict[str, str]:
    """Version bounds of loyalty-xl's own dependencies (from its installed metadata)."""
    import re
    from importlib import metadata

    try:
        requires = metadata.requires("loyalty-xl") or []
    except metadata.PackageNotFoundError:
        return {}
    out = {}
    for line in requires:
        if ";" in line:  # extras and markers: not the core dependencies
            continue
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", line)
        if match:
            out[match.group(1).lower()] = match.group(2).strip()
    return out


def requirements_txt(*, root: Path = PACKAGE_DIR, from_pypi: bool = False) -> str:
    """The requirements.txt for xlwings Lite (or an xlwings Server running the bundle)."""
    ver = version(root)
    lines = ["# xlwings Lite: paste this into the requirements.txt tab.",
             f"# Generated by loyalty-xl {ver}."]
    if from_pypi:
        return "\n".join(lines + ["xlwings", f"loyalty-xl=={ver}"]) + "\n"
    lines += ["# numpy, pandas and scipy come from Pyodide's own repository: don't pin them.",
              "# xlwings is what xlwings Lite itself runs on."]
    bounds = _specifiers()
    for requirement in collect(root).requirements:
        bound = bounds.get(requirement.name, "") if requirement.name == "xlwings" else ""
        lines.append(requirement.line().replace(requirement.name, requirement.name + bound, 1))
    return "\n".join(lines) + "\n"


def embedded_digest(text: str) -> str | None:
    """The source hash written in a generated file's header."""
    for line in text.splitlines():
        if line.startswith("# Source hash (sha256): "):
            return line.rsplit(" ", 1)[1]
    return None


def main() -> None:
    COMMITTED_LITE.parent.mkdir(parents=True, exist_ok=True)
    COMMITTED_LITE.write_text(lite_main(), encoding="utf-8")
    print(f"wrote {COMMITTED_LITE}")


if __name__ == "__main__":
    main()

"""Load a mutant in place of its original file, whatever name the file is imported under.

Standard library only: with ``dgmcheck mutate --run`` this very file is copied as
``sitecustomize.py`` into a folder put first on ``PYTHONPATH``, so every Python process the user's
command starts (pytest, its xdist workers, a script) installs the finder at startup, before any
import of the user's code — with no change to the user's environment and without dgmcheck being
importable by that Python. The sitecustomize the folder shadows, if any, is run right after.
``--verify`` imports this module and calls :func:`install` itself.

:class:`MutantFinder` matches by *file*, not by module name: it asks the finders behind it for the
spec, and when the spec's origin is the mutated file it hands back a spec whose loader executes the
mutant instead. So ``impl/flow_matching.py`` is replaced whether it is imported as
``dgmcheck.impl.flow_matching`` (an editable install's mapping), ``impl.flow_matching`` or by a
relative import. The module keeps the original ``__file__`` (data files next to it still load).

The probe: the mutated expression is wrapped in ``__dgmcheck_reached__(...)`` (the identity),
defined in the module's globals; the first evaluation records that the mutant was reached (the
``reached`` mark), and loading the module records ``loaded``. With ``--run`` the marks are files
in ``DGMCHECK_MUTANT_MARKS`` (any process of the command may reach the mutant).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

PROBE = "__dgmcheck_reached__"
ENV_TARGET, ENV_SOURCE, ENV_MARKS = "DGMCHECK_MUTANT_TARGET", "DGMCHECK_MUTANT_SOURCE", "DGMCHECK_MUTANT_MARKS"


def same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


class MutantLoader(importlib.abc.Loader):
    """Executes ``code`` (source text or an ``ast.Module``) as the module, the probe in its globals;
    ``on_load(module)`` runs after the body (the recorder's instrumentation)."""

    def __init__(self, code: Any, filename: str, mark: Callable[[str], None],
                 on_load: Callable[[ModuleType], None] | None = None) -> None:
        self.code, self.filename, self.mark, self.on_load = code, filename, mark, on_load
        self._reached = False

    def probe(self, value: Any) -> Any:
        if not self._reached:
            self._reached = True
            self.mark("reached")
        return value

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__[PROBE] = self.probe
        self.mark("loaded")
        exec(compile(self.code, self.filename, "exec", dont_inherit=True), module.__dict__)
        if self.on_load is not None:
            self.on_load(module)


class MutantFinder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: the spec of any module whose file is ``target`` gets a
    :class:`MutantLoader`; every other import goes on as the finders behind it decide."""

    def __init__(self, target: str, loader: MutantLoader) -> None:
        self.target, self.loader = target, loader
        self._busy = threading.local()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.on = False
        if spec is None or not spec.origin or not os.path.isfile(spec.origin) or not same_file(spec.origin,
                                                                                                self.target):
            return spec
        package = spec.submodule_search_locations is not None
        mutant = importlib.machinery.ModuleSpec(fullname, self.loader, origin=spec.origin, is_package=package)
        if package:
            mutant.submodule_search_locations = list(spec.submodule_search_locations or [])
        mutant.has_location = True
        return mutant


def install(target: str, code: Any, filename: str, mark: Callable[[str], None],
            on_load: Callable[[ModuleType], None] | None = None) -> MutantFinder:
    """Put a finder for ``target`` first on ``sys.meta_path`` and return it."""
    finder = MutantFinder(target, MutantLoader(code, filename, mark, on_load))
    sys.meta_path.insert(0, finder)
    return finder


def _file_marks(folder: str) -> Callable[[str], None]:
    def mark(name: str) -> None:
        try:
            with open(os.path.join(folder, name), "a", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")
        except OSError:  # a mark is evidence, never a reason to break the user's command
            pass

    return mark


def install_from_environ() -> MutantFinder | None:
    """:func:`install` from ``DGMCHECK_MUTANT_*`` (the ``--run`` child processes); None when unset."""
    target, source = os.environ.get(ENV_TARGET), os.environ.get(ENV_SOURCE)
    if not target or not source:
        return None
    with open(source, encoding="utf-8") as f:
        code = f.read()
    return install(target, code, source, _file_marks(os.environ.get(ENV_MARKS, os.path.dirname(source))))


def _run_shadowed_sitecustomize() -> None:
    """Run the ``sitecustomize`` that this copy shadows on ``sys.path``, if there is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if not same_file(p or ".", here)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


if __name__ == "sitecustomize":  # the copy dgmcheck mutate --run puts first on PYTHONPATH
    install_from_environ()
    _run_shadowed_sitecustomize()

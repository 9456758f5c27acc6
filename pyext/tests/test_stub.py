"""The hand-written type stubs of the private extension (``stapes/_native.pyi``) describe the module as built: the
same functions, classes, methods and properties, and the same parameter names, so a change on the Rust side that is
not carried into the stub fails here."""

import ast
import inspect
from pathlib import Path

import stapes._native as native

# The stub as written in the source tree (the one to keep right), else as installed beside the module.
STUB = Path(__file__).resolve().parents[1] / "python" / "stapes" / "_native.pyi"
if not STUB.is_file():
    STUB = Path(native.__file__).with_name("_native.pyi")


def _stub():
    return ast.parse(STUB.read_text())


def _public(obj, base=()):
    inherited = {k for b in base for k in dir(b)}
    return {k for k in dir(obj) if not k.startswith("_") and k not in inherited}


def _params(fn: ast.FunctionDef) -> list[str]:
    args = fn.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg != "self"]


def test_the_stub_names_exactly_what_the_module_exports():
    tree = _stub()
    declared = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    declared |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    exported = _public(native) | {"__version__"}
    assert declared == exported, f"only in the stub: {declared - exported}; only in the module: {exported - declared}"


def test_every_class_has_the_members_and_every_function_the_parameters_of_the_module():
    for node in _stub().body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(native, node.name)
            base = (Exception,) if issubclass(cls, BaseException) else ()
            members = {n.name for n in node.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
            if not base:  # an exception's annotated fields are set on each instance when it is raised
                members |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
            assert members == _public(cls, base), f"{node.name}: stub {sorted(members)}, module {sorted(_public(cls, base))}"
            for fn in node.body:
                if isinstance(fn, ast.FunctionDef) and not any(
                    isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list
                ):
                    target = cls if fn.name == "__init__" else getattr(cls, fn.name)
                    _same_parameters(f"{node.name}.{fn.name}", fn, target)
        elif isinstance(node, ast.FunctionDef):
            _same_parameters(node.name, node, getattr(native, node.name))


def _same_parameters(name: str, fn: ast.FunctionDef, obj) -> None:
    try:
        real = [p for p in inspect.signature(obj).parameters if p != "self"]
    except (TypeError, ValueError):
        return  # no text signature to compare with
    assert _params(fn) == real, f"{name}: stub parameters {_params(fn)}, module {real}"

"""The type stub (`__init__.pyi`) says what the compiled functions take: the same keywords, in the
same order, with the same defaults (the Rust signature, its text_signature and the stub are
written by hand, three times)."""

import ast
import inspect
from pathlib import Path

import pytest

import pystimpack as sp

STUB = Path(sp.__file__).with_name("__init__.pyi")


def stub_functions():
    tree = ast.parse(STUB.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("name", ["check", "pack", "probe", "probe_many", "analyze_ratings"])
def test_the_stub_matches_the_compiled_signature(name):
    stub = stub_functions()[name].args
    stub_params = [(a.arg, None) for a in stub.posonlyargs + stub.args]
    defaults = [ast.literal_eval(d) for d in stub.defaults]
    for i, d in enumerate(defaults, start=len(stub_params) - len(defaults)):
        stub_params[i] = (stub_params[i][0], d)
    stub_params += [
        (a.arg, None if d is None else ast.literal_eval(d)) for a, d in zip(stub.kwonlyargs, stub.kw_defaults)
    ]
    real = [
        (p.name, None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(getattr(sp, name)).parameters.values()
    ]
    # A stub's () for a sequence default is the runtime's [] or () alike.
    norm = lambda ps: [(n, () if d == [] else d) for n, d in ps]  # noqa: E731
    assert norm(real) == norm(stub_params)

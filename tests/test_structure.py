"""The package's structure: imports run one way (no circle), and the shared layers name no tool.

Both rules are in CONTRIBUTING.md; these tests keep them true as modules are added.
"""

from __future__ import annotations

import ast
from pathlib import Path

from support import TOOL_NAMES

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "glow_models_mcp"

#: Modules every tool goes through: they read a tool's ToolSpec and must not name a tool themselves.
SHARED = (
    "arguments",
    "errors",
    "exceptions",
    "lookup",
    "protocol",
    "results",
    "schemas",
    "sections",
    "settings",
    "shaping",
    "state",
    "upstream",
    "views",
)


def _imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports (relative imports, the package's own style)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(alias.name for alias in node.names if (PACKAGE / f"{alias.name}.py").exists())
        graph[path.stem] = deps - {path.stem}
    return graph


def test_imports_have_no_circle() -> None:
    graph = _imports()
    assert {"tools", "server", "state", "upstream"} <= set(graph)
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import circle: " + " -> ".join((*path, module))
        if module in done:
            return
        for dep in sorted(graph.get(module, ())):
            visit(dep, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_data_flows_one_way() -> None:
    """tool call -> arguments -> lookup -> upstream -> results: the lower layers never import the upper."""
    graph = _imports()
    upper = {"tools", "resources", "server", "http_app", "stdio", "cli", "demo", "doctor"}
    for module in SHARED:
        assert not graph[module] & upper, (module, graph[module] & upper)
    for leaf in ("exceptions", "schemas", "sections", "shaping", "results", "uris", "settings"):
        assert not graph[leaf], (leaf, graph[leaf])


def _strings(tree: ast.AST) -> list[str]:
    """The string literals of a module's code: what it can branch on or say (docstrings left out)."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.add(id(value))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_shared_layers_name_no_tool() -> None:
    for module in SHARED:
        strings = _strings(ast.parse((PACKAGE / f"{module}.py").read_text()))
        named = sorted({name for name in TOOL_NAMES for text in strings if name in text})
        assert not named, f"{module}.py names {named}: put that behaviour or text on the tool's ToolSpec"

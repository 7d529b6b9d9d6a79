"""The documentation cannot drift from the code: README.md, docs/api.md and the OpenAPI
document name the same routes, docs/api.md's error table names exactly the codes the code
base can emit, and no tracked file points outside the repository."""

import ast
import re
import subprocess
from pathlib import Path

import httpx
from pydantic import BaseModel

from tickets.api.problems import HTTP_CODES

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "tickets"
METHODS = "GET|POST|PUT|PATCH|DELETE"
ROUTE_ROW = re.compile(rf"^\|\s*({METHODS})\s*\|\s*`(/[^`]*)`", re.M)
ROUTE_MENTION = re.compile(rf"`({METHODS}) (/[^`?\s]*)")
CODE_ROW = re.compile(r"^\|\s*(\d{3})\s*\|\s*`([a-z_]+\.[a-z_]+)`", re.M)
CODE_MENTION = re.compile(r"`([a-z_]+\.[a-z_]+)`")
TODO_BLOCK = re.compile(r"<!--.*?-->", re.S)
# Calls whose string arguments are problem codes: problem(status, "code", ...) and
# InvalidToken(message, "code"); InvalidToken's default code is collected with them.
CODE_ARGUMENT_CALLS = {"problem", "InvalidToken", "BodyRefused"}
A_CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _text(name: str) -> str:
    """A document without its HTML comments (the lead's TODO blocks are not contract)."""
    return TODO_BLOCK.sub("", (ROOT / name).read_text())


def _shape(path: str) -> str:
    """A path with its parameters unnamed: /tickets/{id} and /tickets/{ticket_id} agree."""
    return re.sub(r"\{[^}]*\}", "{}", path)


async def _openapi_routes(client: httpx.AsyncClient) -> set[tuple[str, str]]:
    paths = (await client.get("/openapi.json")).json()["paths"]
    return {(m.upper(), _shape(p)) for p, ops in paths.items() for m in ops}


def _class_codes(tree: ast.Module) -> dict[str, str]:
    codes: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                target = item.target if isinstance(item, ast.AnnAssign) else None
                if isinstance(item, ast.Assign) and len(item.targets) == 1:
                    target = item.targets[0]
                value = getattr(item, "value", None)
                if (
                    isinstance(target, ast.Name)
                    and target.id == "code"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    codes[node.name] = value.value
    return codes


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def emitted_codes() -> set[str]:
    """Every code a response can carry: the code of each error class that has no
    subclass or that the code base constructs somewhere (so abstract bases such as
    DomainError do not count, PermissionDenied does), the literal codes passed to
    problem() and InvalidToken(), InvalidToken's default, and api/problems.py's table
    of codes for plain HTTP errors."""
    trees = [
        ast.parse(path.read_text())
        for path in SOURCE.rglob("*.py")
        if "bench" not in path.relative_to(SOURCE).parts
    ]
    class_codes: dict[str, str] = {}
    bases: set[str] = set()
    for tree in trees:
        class_codes.update(_class_codes(tree))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases |= {b.id for b in node.bases if isinstance(b, ast.Name)}
    codes = set(HTTP_CODES.values())
    codes |= {code for name, code in class_codes.items() if name not in bases}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                for default in node.args.defaults:
                    if isinstance(default, ast.Constant) and A_CODE.match(str(default.value)):
                        codes.add(default.value)
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            if name in class_codes:
                codes.add(class_codes[name])
            if name in CODE_ARGUMENT_CALLS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and A_CODE.match(str(arg.value)):
                        codes.add(arg.value)
    return codes


def test_the_code_scan_finds_what_it_should() -> None:
    codes = emitted_codes()
    assert {"ticket.self_decision", "auth.token_expired", "service.not_ready"} <= codes
    assert "domain.error" not in codes  # an abstract base, never raised


async def test_api_md_lists_exactly_the_routes_of_the_openapi(
    client: httpx.AsyncClient,
) -> None:
    documented = {(m, _shape(p)) for m, p in ROUTE_ROW.findall(_text("docs/api.md"))}
    served = await _openapi_routes(client)
    assert documented - served == set(), "docs/api.md lists routes the app does not serve"
    assert served - documented == set(), "the app serves routes docs/api.md does not list"


async def test_readme_names_only_served_routes(client: httpx.AsyncClient) -> None:
    named = {(m, _shape(p)) for m, p in ROUTE_MENTION.findall(_text("README.md"))}
    named |= {(m, _shape(p)) for m, p in ROUTE_ROW.findall(_text("README.md"))}
    assert named, "README.md names no route"
    assert named - await _openapi_routes(client) == set()


def test_api_md_lists_exactly_the_error_codes_of_the_code() -> None:
    documented = {code for _, code in CODE_ROW.findall(_text("docs/api.md"))}
    emitted = emitted_codes()
    assert emitted - documented == set(), "codes the app can answer with, missing in api.md"
    assert documented - emitted == set(), "codes in api.md that nothing in the code emits"


def test_readme_names_only_real_error_codes() -> None:
    readme = _text("README.md")
    mentioned = {c for c in CODE_MENTION.findall(readme) if c.split(".")[0] in _code_prefixes()}
    assert mentioned - emitted_codes() == set()


def _code_prefixes() -> set[str]:
    return {code.split(".")[0] for code in emitted_codes()}


def test_no_tracked_file_points_outside_the_repository() -> None:
    forbidden = [b"../" + b"shared", b"DESIGN.md " + "§".encode()]
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    offenders = []
    for name in filter(None, listed.decode().split("\0")):
        path = ROOT / name
        if path.is_file():
            content = path.read_bytes()
            offenders += [f"{name}: {f.decode()}" for f in forbidden if f in content]
    assert offenders == []


def test_every_cited_test_exists() -> None:
    """docs/design.md proves each guarantee by naming tests; each name must exist."""
    cited = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for document in documents:
        for path, name in cited.findall(_text(str(document.relative_to(ROOT)))):
            source = ROOT / path
            if not source.is_file():
                missing.append(f"{document.name}: {path}")
            elif name and not re.search(rf"^(async )?def {name}\b", source.read_text(), re.M):
                missing.append(f"{document.name}: {path}::{name}")
    assert missing == []


def test_every_setting_is_documented() -> None:
    """.env.example and the configuration table of docs/operations.md name every setting,
    the table each in a row of its own with the default config.py gives it."""
    from tickets.config import Settings

    names = {f"TICKETS_{field.upper()}" for field in Settings.model_fields}
    example = (ROOT / ".env.example").read_text()
    assert {n for n in names if f"# {n}=" not in example} == set(), ".env.example"
    rows = dict(re.findall(r"^\| `(TICKETS_\w+)` \| .* \| (.+) \|$", _settings_table(), re.M))
    assert names - rows.keys() == set(), "docs/operations.md#configuration lacks a row"
    assert rows.keys() - names == set(), "docs/operations.md#configuration names no setting"
    wrong = {
        name: (rows[name], expected)
        for name, expected in _plain_defaults(Settings).items()
        if f"`{expected}`" not in rows[name]
    }
    assert wrong == {}, "a default in docs/operations.md is not config.py's"


def _settings_table() -> str:
    """The table of docs/operations.md's Configuration section: variable, meaning, default."""
    section = _text("docs/operations.md").split("\n## Configuration\n", 1)[1]
    table = section[section.index("| variable | meaning | default |") :]
    return table.split("\n\n", 1)[0]


def _plain_defaults(settings: type[BaseModel]) -> dict[str, str]:
    """Each setting with a plain default (not None, not computed), as .env would spell it."""
    defaults = {}
    for field, info in settings.model_fields.items():
        value = info.default
        if value is None or info.default_factory is not None:
            continue
        if isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        defaults[f"TICKETS_{field.upper()}"] = text
    return defaults


def test_mermaid_labels_do_not_end_statements_early() -> None:
    """Mermaid reads ';' as the end of a statement, so a label with one renders without
    error but cut short, its rest drawn as stray boxes; `make diagrams` cannot see that."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    cut = [
        f"{document.name}: {line.strip()}"
        for document in documents
        for block in re.findall(r"```mermaid\n(.*?)```", document.read_text(), re.S)
        for line in block.splitlines()
        if ";" in line
    ]
    assert cut == []

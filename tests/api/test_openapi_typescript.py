"""A TypeScript frontend's view: openapi-typescript types from the document pass `tsc --strict`."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from gamecoll.config import PROJECT_ROOT
from tests.conftest import LiveApp, unavailable

TOOLS = Path(
    os.environ.get("OPENAPI_TS_BIN")
    or PROJECT_ROOT / "tools" / "openapi-typescript" / "node_modules" / ".bin"
)

# What a frontend writes with the generated types: each line must type-check as it is.
USAGE = """\
import type { components, operations, paths } from "./gamecoll-api";

type Schemas = components["schemas"];
type Item = Schemas["Item"];
type ItemPage = Schemas["ItemPage"];
type ApiError = Schemas["Error"];

const user: Schemas["User"] = {
  id: "5b4f6c4e-8d1c-4b8e-9b7a-2f6f1d1f0c11",
  email: "ada@example.com",
  email_verified: false,
  username: null,
  gpu_endpoint: "http://192.168.1.20:8000",
  created_at: "2026-12-01T10:00:00+00:00",
};
const tokens: Schemas["TokenResponse"] = {
  access_token: "a",
  refresh_token: "r",
  token_type: "bearer",
  expires_in: 900,
  refresh_expires_in: 2592000,
  csrf_token: "c",
  user,
};
const page: ItemPage = { items: [], next_cursor: null };
const failure: ApiError = { error: { code: "validation_error", message: "limit: ..." } };
const query: paths["/collection/items"]["get"]["parameters"]["query"] = { limit: 10 };
const created: operations["createItem"]["responses"][201]["content"]["application/json"] =
  {} as Item;
type Thumbnail =
  operations["getItemThumbnail"]["responses"][200]["content"]["image/webp"];
const thumbnail: Thumbnail = "binary";
type LoggedOut = operations["logout"]["responses"][204]["content"];
const loggedOut: LoggedOut = undefined as never;
const login: operations["login"]["requestBody"] = {
  content: {
    "application/json": { email: "ada@example.com", password: "correct horse" },
    "application/x-www-form-urlencoded": { username: "ada", password: "correct horse" },
  },
};
export { tokens, page, failure, query, created, thumbnail, loggedOut, login };
"""


async def run(*command: str, cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    text = output.decode(errors="replace")
    assert process.returncode == 0, f"{' '.join(command)}:\n{text}"
    return text


async def test_typescript_types_from_the_document_compile_strictly(
    live: LiveApp, tmp_path: Path
) -> None:
    generator, compiler = TOOLS / "openapi-typescript", TOOLS / "tsc"
    if not (generator.exists() and compiler.exists()):
        unavailable(f"openapi-typescript or tsc missing in {TOOLS}: run `make api-tools`")
    async with live.client() as http:
        document = (await http.get("/openapi.json")).json()
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    report = await run(str(generator), "openapi.json", "-o", "gamecoll-api.ts", cwd=tmp_path)
    assert "warn" not in report.lower() and "error" not in report.lower(), report
    types = (tmp_path / "gamecoll-api.ts").read_text()
    assert "getItemThumbnail: {" in types and '"image/webp": string;' in types
    (tmp_path / "usage.ts").write_text(USAGE)
    await run(
        str(compiler),
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "esnext",
        "--moduleResolution",
        "bundler",
        "gamecoll-api.ts",
        "usage.ts",
        cwd=tmp_path,
    )

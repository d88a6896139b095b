"""The console and the API docs are served by the gateway with every asset local: no
page names another host, so they work on a private or offline network."""

from __future__ import annotations

import re

import httpx

from gateway.app import create_app
from gateway.pages import CONSOLE_DIR
from gateway.settings import GatewaySettings
from tests.unit.gateway.support import serving

# src="..." / href="..." in HTML, and ES module specifiers in JS.
HTML_REFS = re.compile(r"""(?:src|href)=["']([^"'#]+)["']""")
JS_IMPORTS = re.compile(r"""^\s*import\s[^"']*["']([^"']+)["'];?\s*$""", re.MULTILINE)


def external(refs: list[str]) -> list[str]:
    return [r for r in refs if re.match(r"^(https?:)?//", r)]


async def test_root_redirects_to_the_console(settings: GatewaySettings) -> None:
    async with serving(create_app(settings)) as client:
        reply = await client.get("/")
        assert reply.status_code in (302, 307) and reply.headers["location"] == "/console/"


async def test_console_page_is_served_with_scripts_from_the_gateway_only(
    settings: GatewaySettings,
) -> None:
    async with serving(create_app(settings)) as client:
        page = await client.get("/console/")
        assert page.status_code == 200 and "<main" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        refs = HTML_REFS.findall(page.text)
        assert external(refs) == []
        for ref in refs:
            if ref.startswith("data:") or ref.startswith("/docs"):
                continue
            asset = await client.get(httpx.URL("/console/").join(ref))
            assert asset.status_code == 200, ref


async def test_every_console_module_import_resolves(settings: GatewaySettings) -> None:
    """A mistyped import path would leave the console blank: every module it imports
    is served (and none comes from another host)."""
    async with serving(create_app(settings)) as client:
        for module in sorted(CONSOLE_DIR.rglob("*.js")):
            url = httpx.URL("/console/" + module.relative_to(CONSOLE_DIR).as_posix())
            assert (await client.get(url)).status_code == 200
            for specifier in JS_IMPORTS.findall(module.read_text()):
                assert specifier.startswith("."), f"{module.name} imports {specifier}"
                assert (await client.get(url.join(specifier))).status_code == 200, specifier


async def test_docs_and_redoc_load_their_assets_from_the_gateway(
    settings: GatewaySettings,
) -> None:
    async with serving(create_app(settings)) as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            refs = HTML_REFS.findall(html)
            assert refs and external(refs) == [], (page, refs)
            assert "fonts.googleapis" not in html
            for ref in refs:
                asset = await client.get(ref)
                assert asset.status_code == 200 and len(asset.content) > 1000, ref

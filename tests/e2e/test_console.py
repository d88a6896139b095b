"""The web console (``/console/``) in headless Chromium against the real mesh, as a user
would use it: sign in with an API key, create a photo avatar by dropping a fixture face
on the form, make a video of it, play it to the end, download it, find the charge in
the ledger; the layout at 375 and 1920 px; and ``/docs`` rendering while every request
off this machine fails. Screenshots of each step go to ``bench-results/console/``.

Debian's ``chromium`` and ``chromium-driver`` (installed by ``make setup``) are driven
through Selenium; nothing is downloaded at run time.
"""

from __future__ import annotations

import base64
import itertools
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from avatarmesh.settings import REPO_ROOT
from tests.e2e.conftest import FIXTURES, Mesh

pytestmark = pytest.mark.e2e

SHOTS = REPO_ROOT / "bench-results" / "console"
FACE = FIXTURES / "faces" / "woman_lowres_226px_smiling.png"
BACKGROUND = FIXTURES / "noface" / "object_coffee_cup.png"
SCRIPT = "Hello from the console."
POLL_INTERVAL_S = 2.0
# Requests that leave this machine go to a closed port: the page sees the network as down.
OFFLINE_ARGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
)
# Every form control must have a name a screen reader can say.
UNLABELLED_CONTROLS_JS = """
return [...document.querySelectorAll('input, select, textarea, button, video, audio')]
  .filter((el) => !el.closest('[hidden]'))
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
      && !el.getAttribute('aria-labelledby') && !(el.textContent || '').trim())
  .map((el) => el.outerHTML.slice(0, 120));
"""
MATCHING_FOCUS_JS = """
const selectors = ["a.skip", "#nav a[href='#/avatars']", "#nav a[href='#/account']",
  "input[name=mode]", "input[name=name]", "input[name=file]", "textarea[name=description]",
  "form.create button[type=submit]", "li.avatar a.button"];
return selectors.filter((s) => document.activeElement.matches(s));
"""
POLL_STARTS_JS = """
return performance.getEntriesByType('resource')
  .filter((e) => new URL(e.name).pathname === arguments[0])
  .map((e) => e.startTime);
"""
DROP_FILE_JS = """
const [target, b64, name, type] = arguments;
const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const data = new DataTransfer();
data.items.add(new File([bytes], name, { type }));
for (const kind of ['dragenter', 'dragover', 'drop']) {
  const init = { bubbles: true, cancelable: true, dataTransfer: data };
  target.dispatchEvent(new DragEvent(kind, init));
}
"""


def chromium(downloads: Path, *, offline: bool = False) -> webdriver.Chrome:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("chromium and chromium-driver are missing: `make setup` installs them")
    options = Options()
    options.binary_location = str(shutil.which("chromium"))
    for arg in (
        "--headless=new",
        "--no-sandbox",  # runs as root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--mute-audio",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,900",
        *(OFFLINE_ARGS if offline else ()),
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    driver.set_script_timeout(30)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return driver


class Console:
    """The browser on the console, with waits and numbered screenshots."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, prefix: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.prefix = prefix
        self.shots = 0

    def shot(self, name: str, of: WebElement | None = None) -> Path:
        if of is not None:
            self.js("arguments[0].scrollIntoView({block: 'center'})", of)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = SHOTS / f"{self.prefix}-{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def until(self, what: Callable[[webdriver.Chrome], Any], timeout: float = 30) -> Any:
        # A view re-renders as it loads: an element read a moment ago may be gone.
        wait = WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.25,
            ignored_exceptions=[StaleElementReferenceException],
        )
        return wait.until(what)

    def find(self, css: str, timeout: float = 30) -> WebElement:
        return self.until(lambda d: d.find_element(By.CSS_SELECTOR, css), timeout)

    def click(self, css: str, within: WebElement | None = None, timeout: float = 30) -> None:
        """Click the element, found again if a poll re-rendered it in the meantime."""

        def clicked(driver: webdriver.Chrome) -> bool:
            (within or driver).find_element(By.CSS_SELECTOR, css).click()
            return True

        self.until(clicked, timeout)

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def field_error(self, control: WebElement) -> str:
        error = self.driver.find_element(By.ID, f"{control.get_attribute('id')}-error")
        return error.text

    def images_loaded(self, css: str) -> bool:
        return bool(
            self.js(
                "const imgs = [...document.querySelectorAll(arguments[0])];"
                "return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);",
                css,
            )
        )


@pytest.fixture
def console(mesh: Mesh, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Console]:
    """The browser; after the test, no script error may have been logged."""
    driver = chromium(tmp_path)
    prefix = request.node.name.removeprefix("test_console_").split("_")[0]
    try:
        yield Console(driver, mesh.base_url, prefix)
        logs = driver.get_log("browser")
        errors = [entry["message"] for entry in logs if entry.get("source") == "javascript"]
        assert errors == [], errors
    finally:
        driver.quit()


def new_key(mesh: Mesh, owner: str) -> str:
    reply = httpx.post(
        f"{mesh.base_url}/admin/v1/api-keys", json={"owner_id": owner}, headers=mesh.admin
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["key"])


def sign_in(c: Console, key: str) -> None:
    c.driver.get(c.base_url + "/")
    box = c.find("input[name=api_key]")
    assert c.driver.current_url == c.base_url + "/console/"
    box.send_keys("sk_not_a_key")
    c.find("form button[type=submit]").click()
    c.until(lambda d: "UNAUTHORIZED" in c.field_error(box))
    c.shot("sign-in-refused")
    box.clear()
    box.send_keys(key)
    c.find("form button[type=submit]").click()
    c.find(".avatar img")
    assert c.js("return sessionStorage.getItem('avatarmesh.apiKey')") == key
    assert key not in c.driver.current_url


def create_photo_avatar(c: Console, name: str) -> str:
    c.until(lambda d: c.images_loaded(".avatar img"))
    c.shot("avatars")
    c.find("input[name=name]").send_keys(name)
    # Dropped on the form as a user drags it from a file manager.
    c.js(
        DROP_FILE_JS,
        c.find(".dropzone"),
        base64.b64encode(FACE.read_bytes()).decode(),
        FACE.name,
        "image/png",
    )
    assert FACE.name in c.find(".dropzone").text
    c.find("form.create button[type=submit]").click()
    c.until(lambda d: c.find("#upload-progress").get_attribute("value") == "1")
    # Yours come first; it may even be ready already on an idle machine.
    card = c.until(
        lambda d: d.find_element(By.XPATH, f"//li[contains(@class, 'avatar')][h3='{name}']")
    )
    avatar_id = str(card.get_attribute("data-id"))
    c.shot("avatar-creating", of=card)
    card = c.find(f"li.avatar[data-id={avatar_id}][data-status=ready]", timeout=180)
    c.until(lambda d: c.images_loaded(f"li.avatar[data-id={avatar_id}] img"))
    c.shot("avatar-ready", of=card)
    return avatar_id


def make_video(c: Console, avatar_id: str) -> str:
    c.find(f"li.avatar[data-id={avatar_id}] a.button").click()
    script = c.find("textarea[name=text]")
    assert (
        Select(c.find("select[name=avatar_id]")).first_selected_option.get_attribute("value")
        == avatar_id
    )
    script.send_keys(SCRIPT)
    counter = c.find("#script-counter").text
    assert counter.startswith(f"{len(SCRIPT)} / 600 characters") and "$0.10" in counter
    Select(c.find("select[name=resolution]")).select_by_value("512")
    c.shot("video-form")
    c.find("form button.primary").click()
    card = c.find("li.video[data-status]")
    video_id = str(card.get_attribute("data-id"))
    c.until(lambda d: card.get_attribute("data-status") in ("processing", "completed"), 60)
    c.shot("video-rendering", of=card)
    c.find(f"li.video[data-id={video_id}][data-status=completed] video", timeout=120)
    return video_id


def play_to_the_end(c: Console, video_id: str) -> None:
    player = c.find(f"li.video[data-id={video_id}] video")
    c.js("arguments[0].muted = true; arguments[0].play();", player)
    c.until(lambda d: c.js("return arguments[0].ended", player), 60)
    assert c.js("return arguments[0].duration", player) > 0.5
    c.shot("video-played", of=player)


def download(c: Console, video_id: str, downloads: Path, video_url: str) -> None:
    c.find(f"li.video[data-id={video_id}] .actions button").click()
    saved = downloads / f"{video_id}.mp4"
    c.until(lambda d: saved.exists() and saved.stat().st_size > 0, 30)
    assert saved.read_bytes() == httpx.get(video_url).content


def see_charge_in_ledger(c: Console, video: dict[str, Any]) -> None:
    c.find("#nav a[href='#/account']").click()
    c.find("#ledger tbody tr[data-kind=capture]")
    charged = f"-${video['actual_cost_usd']:.3f}"
    captures = c.driver.find_elements(By.CSS_SELECTOR, "#ledger tr[data-kind=capture]")
    rows = [row.text for row in captures]
    assert any(video["id"] in row and charged in row for row in rows), (charged, rows)
    c.shot("account-ledger")


def hear_the_cloned_voice(c: Console, avatar_name: str) -> None:
    c.find("#nav a[href='#/voices']").click()
    voice = Select(c.find("select[name=voice_id]"))
    assert "your avatar's voice" in voice.first_selected_option.text
    c.find("textarea[name=text]").send_keys(f"I am {avatar_name}.")
    c.find("form button[type=submit]").click()
    player = c.find("#voice-player")
    c.until(lambda d: c.js("return arguments[0].ended || arguments[0].currentTime > 0", player))


def delete_with_confirmation(c: Console, avatar_id: str) -> None:
    c.find("#nav a[href='#/avatars']").click()
    delete = c.find(f"li.avatar[data-id={avatar_id}] button.danger")
    delete.click()
    c.driver.switch_to.alert.dismiss()  # "Cancel": nothing happens
    assert c.driver.find_elements(By.CSS_SELECTOR, f"li.avatar[data-id={avatar_id}]")
    delete.click()
    c.driver.switch_to.alert.accept()
    c.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"li.avatar[data-id={avatar_id}]"))


def assert_polls_paced(c: Console, path: str) -> None:
    starts = sorted(c.js(POLL_STARTS_JS, path))
    assert starts, f"{path} was never polled"
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= POLL_INTERVAL_S * 1000 - 50 for gap in gaps), gaps


def test_console_makes_a_video_from_a_dropped_photo_and_plays_downloads_and_bills_it(
    mesh: Mesh, console: Console, tmp_path: Path
) -> None:
    owner = f"own_console_{uuid.uuid4().hex[:8]}"
    mesh.fund(owner, 10)
    key = new_key(mesh, owner)
    c = console
    sign_in(c, key)
    c.js("performance.setResourceTimingBufferSize(5000)")
    avatar_id = create_photo_avatar(c, "Console Face")
    video_id = make_video(c, avatar_id)
    play_to_the_end(c, video_id)
    api = httpx.Client(base_url=mesh.base_url, headers={"Authorization": f"Bearer {key}"})
    video = api.get(f"/api/v1/avatar-videos/{video_id}").json()
    download(c, video_id, tmp_path, video["video_url"])
    assert_polls_paced(c, f"/api/v1/avatars/{avatar_id}")
    assert_polls_paced(c, f"/api/v1/avatar-videos/{video_id}")
    assert c.js(UNLABELLED_CONTROLS_JS) == []
    see_charge_in_ledger(c, video)
    assert c.js(UNLABELLED_CONTROLS_JS) == []
    hear_the_cloned_voice(c, "Console Face")
    sweep_layouts(c, ("videos", "account"))  # with a video and a ledger to show
    delete_with_confirmation(c, avatar_id)


def tab_through(c: Console, presses: int) -> set[str]:
    """The selectors (of those asked about) that keyboard focus lands on."""
    c.js("document.activeElement.blur(); window.scrollTo(0, 0)")
    reached: set[str] = set()
    for _ in range(presses):
        ActionChains(c.driver).send_keys(Keys.TAB).perform()
        reached.update(c.js(MATCHING_FOCUS_JS) or [])
    return reached


def test_console_fits_375_and_1920_px_wide_and_is_keyboard_reachable(
    mesh: Mesh, console: Console
) -> None:
    c = console
    key = new_key(mesh, f"own_console_{uuid.uuid4().hex[:8]}")
    c.driver.get(c.base_url + "/console/")
    c.find("input[name=api_key]").send_keys(key)
    c.find("form button[type=submit]").click()
    c.until(lambda d: c.images_loaded(".avatar img"))
    reached = tab_through(c, 40)
    for control in (
        "a.skip",
        "#nav a[href='#/avatars']",
        "#nav a[href='#/account']",
        "input[name=mode]",
        "input[name=name]",
        "input[name=file]",
        "textarea[name=description]",
        "form.create button[type=submit]",
        "li.avatar a.button",
    ):
        assert control in reached, f"Tab never reaches {control}"
    sweep_layouts(c, ("avatars", "videos", "studio", "voices", "account"))


def sweep_layouts(c: Console, views: tuple[str, ...]) -> None:
    """Each view at 375 and 1920 px: no sideways scrolling, no unlabelled control."""
    for width, height in ((375, 812), (1920, 1080)):
        c.driver.set_window_size(width, height)
        for view in views:
            c.driver.get(f"{c.base_url}/console/#/{view}")
            c.until(lambda d, view=view: c.find("main h1").text.lower() == view)
            c.find("main section, main form")
            time.sleep(0.5)  # the view's lists arrive after its heading
            overflow = c.js(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            c.shot(f"{view}-{width}px")
            assert overflow <= 0, f"{view} at {width} px scrolls sideways by {overflow} px"
            assert c.js(UNLABELLED_CONTROLS_JS) == [], view
    c.driver.set_window_size(1280, 900)


def test_docs_render_with_the_network_blocked(mesh: Mesh, tmp_path: Path) -> None:
    driver = chromium(tmp_path, offline=True)
    c = Console(driver, mesh.base_url, "docs")
    try:
        driver.get(mesh.base_url + "/docs")
        outside = c.js(
            "return await fetch('https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css')"
            ".then(() => 'reached', () => 'blocked');"
        )
        assert outside == "blocked", "the browser reached the internet: not an offline test"
        c.until(lambda d: "avatarmesh" in c.find(".swagger-ui .info .title").text)
        c.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 20)
        c.shot("docs-offline")
        driver.get(mesh.base_url + "/redoc")
        c.until(lambda d: "avatarmesh" in c.find("h1").text)
        c.shot("redoc-offline")
    except WebDriverException:
        c.shot("docs-offline-failed")
        raise
    finally:
        driver.quit()


def submit_empty_script(c: Console) -> None:
    c.find("#nav a[href='#/videos']").click()
    script = c.find("textarea[name=text]")
    c.find("form button.primary").click()
    c.until(lambda d: "VALIDATION_ERROR" in c.field_error(script))
    assert c.field_error(script).startswith("String should have at least 1 character")
    assert script.get_attribute("aria-invalid") == "true"
    assert c.driver.switch_to.active_element == script
    c.shot("error-next-to-field", of=script)


def cancel_a_video(c: Console) -> None:
    script = c.find("textarea[name=text]")
    script.send_keys(" ".join(["This sentence is long enough to keep the renderer busy."] * 10))
    c.find("form button.primary").click()
    card = c.find("li.video[data-status]")
    c.click("button.danger", within=card)
    c.until(lambda d: card.get_attribute("data-status") == "cancelled")
    assert "hold was released" in card.text
    c.shot("video-cancelled", of=card)


def speak_my_recording(c: Console) -> None:
    c.find("#nav a[href='#/videos']").click()
    c.find("input[name=speech][value=audio]").click()
    recording = c.find("input[name=recording]")
    recording.send_keys(str(FIXTURES / "speech" / "en_long_60s_16k.wav"))
    c.until(lambda d: "Recording: 60" in c.find("#script-counter").text, 60)
    c.find("form button.primary").click()
    c.until(lambda d: "VALIDATION_ERROR" in c.field_error(recording))
    c.shot("recording-too-long", of=recording)
    recording.send_keys(str(FIXTURES / "speech" / "en_5s.wav"))
    c.until(lambda d: "Recording: 5" in c.find("#script-counter").text, 60)
    Select(c.find("select[name=resolution]")).select_by_value("512")
    c.find("form button.primary").click()
    c.find("li.video[data-status=completed] video", timeout=120)


def listen_to_voices(c: Console) -> None:
    c.find("#nav a[href='#/voices']").click()
    c.find("tbody tr button").click()
    player = c.find("#voice-player")
    c.until(lambda d: c.js("return arguments[0].currentTime > 0", player))
    text = c.find("textarea[name=text]")
    text.send_keys("Hello there.")
    c.find("form button[type=submit]").click()
    c.until(lambda d: c.js("return arguments[0].ended || arguments[0].currentTime > 0", player))
    c.shot("voices")


def make_a_pose(c: Console) -> None:
    c.find("#nav a[href='#/avatars']").click()
    c.find("li.avatar[data-status=ready] .actions button").click()
    c.find("#poses textarea[name=prompt]").send_keys("head turned slightly left")
    c.find("#poses input[name=name]").send_keys("Left")
    c.find("#poses form button[type=submit]").click()
    c.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#poses li.pose")) >= 2, 90)
    c.find("#poses li.pose:last-child button").click()
    c.until(lambda d: c.images_loaded("#poses .preview img"))
    c.shot("pose-preview", of=c.find("#poses .preview"))


def add_a_webhook_endpoint(c: Console) -> None:
    c.find("#nav a[href='#/account']").click()
    url = c.find("input[name=url]")
    url.send_keys("ftp://example.com/hook")
    c.find("input[name=url]").find_element(By.XPATH, "./ancestor::form//button").click()
    c.until(lambda d: "VALIDATION_ERROR" in c.field_error(url))
    url.clear()
    url.send_keys("http://127.0.0.1:9/hook")
    url.find_element(By.XPATH, "./ancestor::form//button").click()
    c.until(lambda d: "shown only now" in d.page_source)
    assert "http://127.0.0.1:9/hook" in c.find("ul[aria-label='Webhook endpoints']").text
    c.shot("webhook-endpoint", of=url)


def manage_api_keys(c: Console, admin_key: str, owner: str) -> None:
    admin = c.find("input[name=admin_key]")
    admin.send_keys("sk_not_the_admin_key")
    admin.find_element(By.XPATH, "./ancestor::form//button").click()
    c.until(lambda d: "UNAUTHORIZED" in c.field_error(admin))
    admin.clear()
    admin.send_keys(admin_key)
    admin.find_element(By.XPATH, "./ancestor::form//button").click()
    c.find("input[name=owner_id]").send_keys(owner)
    c.find("input[name=owner_id]").find_element(By.XPATH, "./ancestor::form//button").click()
    c.until(lambda d: "New key (shown only now): sk_" in d.page_source)
    keys = c.find("section[aria-labelledby=keys-title] table")
    assert sum(owner in row.text for row in keys.find_elements(By.CSS_SELECTOR, "tr")) >= 2
    c.shot("api-keys", of=keys)


def test_console_puts_errors_by_their_field_and_cancels_listens_poses_and_hooks(
    mesh: Mesh, console: Console
) -> None:
    owner = f"own_console_{uuid.uuid4().hex[:8]}"
    mesh.fund(owner, 10)
    c = console
    c.driver.get(c.base_url + "/console/")
    c.find("input[name=api_key]").send_keys(new_key(mesh, owner))
    c.find("form button[type=submit]").click()
    c.find(".avatar img")
    submit_empty_script(c)
    cancel_a_video(c)
    speak_my_recording(c)
    listen_to_voices(c)
    make_a_pose(c)
    add_a_webhook_endpoint(c)
    manage_api_keys(c, mesh.admin["Authorization"].removeprefix("Bearer "), owner)


def test_console_studio_makes_a_two_scene_video_with_an_image_background(
    mesh: Mesh, console: Console
) -> None:
    owner = f"own_console_{uuid.uuid4().hex[:8]}"
    mesh.fund(owner, 10)
    c = console
    c.driver.get(c.base_url + "/console/#/studio")
    key = new_key(mesh, owner)
    c.find("input[name=api_key]").send_keys(key)
    c.find("form button[type=submit]").click()
    c.until(lambda d: c.find("main h1").text == "Studio")
    c.find("ul.videos li")  # the view has finished loading
    Select(c.find("select[name=dimension]")).select_by_value("640x360")
    c.find("input[name=caption]").click()
    c.find("fieldset.scene textarea").send_keys("First scene.")
    c.find("button.add-scene").click()
    second = c.driver.find_elements(By.CSS_SELECTOR, "fieldset.scene")[1]
    second.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(BACKGROUND))
    voice = Select(second.find_element(By.CSS_SELECTOR, "select[name=voice_id]"))
    voice.select_by_index(1)  # the first built-in voice instead of the presenter's
    c.find("form button.primary").click()
    script = second.find_element(By.CSS_SELECTOR, "textarea")
    c.until(lambda d: "VALIDATION_ERROR" in c.field_error(script))
    assert c.field_error(script).startswith("Required (1-5000 characters)")
    c.shot("scene-error", of=script)
    script.send_keys("Second scene, on a picture.")
    c.find("form button.primary").click()
    card = c.find("li.video[data-status]")
    c.until(lambda d: card.get_attribute("data-status") == "completed", 180)
    player = card.find_element(By.CSS_SELECTOR, "video")
    assert "2 scenes" in card.text and "captions burned in" in card.text
    c.until(lambda d: c.js("return arguments[0].poster.length > 0", player))
    c.shot("studio-done", of=card)
    c.js("arguments[0].muted = true; arguments[0].play();", player)
    c.until(lambda d: c.js("return arguments[0].ended", player), 60)
    api = httpx.Client(base_url=mesh.base_url, headers={"Authorization": f"Bearer {key}"})
    scenes = api.get(f"/api/v1/videos/{card.get_attribute('data-id')}").json()["scenes"]
    assert [scene["background"] for scene in scenes] == ["color", "image"], scenes

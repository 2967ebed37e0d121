"""Headless Chromium (Debian's `chromium` package): prints the 通报 to PDF, and drives a page for tests.

Chromium is run offline on purpose: every host name resolves to nothing and the proxy is a dead
port, so a report that tried to fetch anything would show it, never silently depend on a network.
`DevTools` speaks the DevTools protocol over `--remote-debugging-pipe` (file descriptors 3 and 4,
messages ending in NUL), so no websocket library and no open port are needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_ENV = "ZFJD_CHROMIUM"
INSTALL_HINT = "请运行 .ci/install-browser.sh（或 apt-get install chromium fonts-noto-cjk）"
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing answers there
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND",
    f"--proxy-server={DEAD_PROXY}",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
)
BASE_FLAGS = ("--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars")
PDF_TIMEOUT_SECONDS = 180


class ChromiumMissing(RuntimeError):
    """Headless Chromium is needed (PDF, browser tests) and not installed."""


def find_chromium() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        if shutil.which(configured) or Path(configured).is_file():
            return configured
        raise ChromiumMissing(f"环境变量 {CHROMIUM_ENV} 指向的 Chromium 不存在：{configured}。{INSTALL_HINT}")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing(f"未找到 Chromium 浏览器，无法生成 PDF 或在浏览器中检查报告。{INSTALL_HINT}")


LOOPBACK_RESOLVER_RULE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def chromium_command(*extra: str, profile: Path, loopback: bool = False) -> list[str]:
    """`loopback`: pages may reach 127.0.0.1 (a local web application under test), still nothing else."""
    flags = [LOOPBACK_RESOLVER_RULE if loopback and flag.startswith("--host-resolver-rules") else flag
             for flag in OFFLINE_FLAGS]
    return [find_chromium(), *BASE_FLAGS, *flags, f"--user-data-dir={profile}", *extra]


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Prints the HTML page to an A4 PDF without the browser's header and footer."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zfjd-chromium-") as profile:
        temporary = pdf_path.with_name(pdf_path.name + ".tmp.pdf")
        command = chromium_command(
            f"--print-to-pdf={temporary}", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
            html_path.as_uri(), profile=Path(profile),
        )
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"Chromium 生成 PDF 超时（{PDF_TIMEOUT_SECONDS} 秒）：{html_path}") from exc
        if done.returncode != 0 or not temporary.exists() or temporary.stat().st_size == 0:
            temporary.unlink(missing_ok=True)
            tail = "\n".join((done.stderr or "").strip().splitlines()[-5:])
            raise RuntimeError(f"Chromium 未能生成 PDF（退出码 {done.returncode}）：{html_path}\n{tail}")
        temporary.replace(pdf_path)
    return pdf_path


class DevTools:
    """A headless Chromium page driven over the DevTools protocol (pipe transport).

    Records every network request the page makes (`requests`), so a test can prove there were none
    besides the file itself."""

    def __init__(self, width: int = 1200, height: int = 900, *, loopback: bool = False) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="zfjd-devtools-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        self._process = subprocess.Popen(
            chromium_command("--remote-debugging-pipe", f"--window-size={width},{height}", "about:blank",
                             profile=Path(self._profile.name), loopback=loopback),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # Chromium reads commands on fd 3 and writes replies on fd 4: the child moves the pipe ends
            # there, and those two numbers are kept open when the other descriptors are closed.
            pass_fds=(3, 4),
            preexec_fn=lambda: _move_fds(to_browser_read, from_browser_write),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.requests: list[str] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "DOM", "CSS"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        # The browser may already be gone; closing must not hide the caller's own error.
        with contextlib.suppress(Exception):
            self.call("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    def _send(self, message: dict) -> None:
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")

    def _receive(self, timeout: float) -> dict:
        import select

        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium 未在规定时间内响应")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium 已退出")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed = json.loads(message)
        if "method" in parsed:
            self.events.append(parsed)
            if parsed["method"] == "Network.requestWillBeSent":
                self.requests.append(parsed["params"]["request"]["url"])
        return parsed

    def call(self, method: str, *, session: bool = False, timeout: float = 60, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        while True:
            reply = self._receive(timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        for event in self.events:
            if event["method"] == method:
                return event
        while True:
            event = self._receive(timeout)
            if event.get("method") == method:
                return event

    def open(self, path: Path) -> None:
        """Loads a file; `events` and `requests` then hold this page's alone."""
        self.events.clear()
        self.requests.clear()
        self.call("Page.navigate", session=True, url=Path(path).resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        # Fonts are loaded lazily; wait for them so layout and screenshots show the final glyphs.
        self.evaluate("document.fonts.ready.then(() => true)")

    def navigate(self, url: str) -> None:
        """Loads a URL (a local web application); `events` and `requests` then hold this page's alone."""
        self.events.clear()
        self.requests.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"页面脚本出错：{result['exceptionDetails']}")
        return result["result"].get("value")

    def fonts_used(self, selector: str) -> list[dict]:
        """The platform fonts Chromium actually drew the element's text with (family, glyph count)."""
        root = self.call("DOM.getDocument", session=True, depth=0)["root"]["nodeId"]
        node = self.call("DOM.querySelector", session=True, nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise LookupError(f"页面中没有 {selector}")
        return self.call("CSS.getPlatformFontsForNode", session=True, nodeId=node)["fonts"]

    def screenshot(self, path: Path, *, full_page: bool = True, clip: dict | None = None) -> Path:
        params: dict = {"format": "png", "captureBeyondViewport": full_page}
        if clip:
            params["clip"] = {**clip, "scale": 1}
            params["captureBeyondViewport"] = True  # a clip may reach below the first screen
        elif full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)


def _move_fds(read_end: int, write_end: int) -> None:
    """In the child: put the pipe ends where Chromium expects them (3 = commands in, 4 = replies out)."""
    # Move them out of the way first, in case one of them already is 3 or 4.
    read_copy, write_copy = os.dup(read_end), os.dup(write_end)
    os.dup2(read_copy, 3)
    os.dup2(write_copy, 4)

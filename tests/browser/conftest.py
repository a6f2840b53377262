"""Browser tests: the real app server in a subprocess, driven by Debian's Chromium (Playwright).

One server for the whole session (`planet_server`): its own SQLite file, the demo data
(`flask seed-demo`), an SMTP catcher process and, when it starts, a localstripe process with our
webhook registered. CSRF and rate limits stay on (the login/sign-up limits are raised so a suite
of logins from 127.0.0.1 is not throttled).

Every page a test visits can be saved with `shot(page, "step")` as a full-page screenshot in
screenshots/<test name>/<step>.png (git-ignored), so anyone can look at what users see.

Chromium missing, or the server not starting: skipped with the reason, unless
PLANET_REQUIRE_SERVICES=1 (CI), which fails instead. Playwright's own browser download is never
used; the browser is /usr/bin/chromium (apt package `chromium`, fonts-noto-cjk for Chinese).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PLANET_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "screenshots"
REQUIRE_SERVICES = os.environ.get("PLANET_REQUIRE_SERVICES") == "1"
WEBHOOK_SECRET = "whsec_planet_browser"
DEMO_PASSWORD = "planet-demo-2026"  # planet/demo.py PASSWORD
NEW_PASSWORD = "a-long-browser-passphrase-42"
DEMO = {
    "owner": "owner@demo.planet",
    "admin": "admin@demo.planet",
    "guest": "guest@demo.planet",
    "member": "member@demo.planet",
    "visitor": "visitor@demo.planet",
}
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _unavailable(message: str):
    if REQUIRE_SERVICES:
        pytest.fail(message + " (PLANET_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            requests.get(url, timeout=1)
            return True
        except requests.RequestException:
            time.sleep(0.1)
    return False


def _wait_port(port: int, process: subprocess.Popen, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


@dataclass
class PlanetServer:
    """What the `planet_server` fixture yields."""

    url: str
    var_dir: Path
    mail_dir: Path
    stripe_url: str | None  # None when localstripe did not start (payment journeys skip)
    stripe_problem: str = ""
    processes: list = field(default_factory=list)
    mail_port: int = 0
    """The SMTP catcher's port (a CLI run against the server's database mails through it)."""

    def mails_to(self, address: str) -> list[str]:
        """Raw text of every caught message addressed to `address`, oldest first."""
        found = []
        for path in sorted(self.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            text = path.read_text(errors="replace")
            if address.lower() in text.lower():
                found.append(text)
        return found


def _has_migrations() -> bool:
    return any((ROOT / "migrations" / "versions").glob("*.py"))


# The schema (Alembic migrations when there are any, else create_all) and the demo data, in one
# process: importing the app costs seconds on a busy machine.
SETUP = """
import sys
from planet import create_app
from planet.extensions import db
app = create_app()
with app.app_context():
    if sys.argv[1] == "migrations":
        from flask_migrate import upgrade
        upgrade()
    else:
        db.create_all()
    db.session.remove()
result = app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
print(result.output)
sys.exit(result.exit_code)
"""


@pytest.fixture(scope="session")
def planet_server(tmp_path_factory):
    """Start localstripe, an SMTP catcher and the app (flask run) on free ports."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    base = tmp_path_factory.mktemp("planet-server")
    var_dir = base / "var"
    mail_dir = var_dir / "mail"
    mail_dir.mkdir(parents=True)
    logs = base / "logs"
    logs.mkdir()
    processes: list[tuple[subprocess.Popen, object]] = []

    def spawn(name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append((process, log))
        return process

    def stop_all() -> None:
        for process, _log in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()

    def fail(message: str, log_name: str):
        stop_all()
        log_file = logs / f"{log_name}.log"
        tail = log_file.read_text(errors="replace")[-3000:] if log_file.exists() else ""
        _unavailable(f"{message}\n{tail}")

    # SMTP catcher: every mail the app sends lands in mail_dir as an .eml file.
    mail_port = free_port()
    catcher = spawn(
        "mailcatcher",
        [sys.executable, "-m", "planet.devtools.mailcatcher", "--port", str(mail_port)]
        + ["--dir", str(mail_dir)],
    )
    if not _wait_port(mail_port, catcher):
        fail("the SMTP catcher did not start", "mailcatcher")

    # localstripe (a separate GPL-3.0 process); payments journeys skip when it is missing.
    stripe_url = None
    stripe_problem = ""
    localstripe = Path(sys.executable).with_name("localstripe")
    if localstripe.exists():
        stripe_port = free_port()
        stripe_process = spawn(
            "localstripe", [str(localstripe), "--port", str(stripe_port), "--from-scratch"]
        )
        candidate = f"http://127.0.0.1:{stripe_port}"
        if _wait_http(candidate + "/js.stripe.com/v3/", stripe_process):
            stripe_url = candidate
        else:
            stripe_problem = "localstripe did not answer"
    else:
        stripe_problem = f"localstripe is not installed ({localstripe})"

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "PLANET_", "STRIPE_", "MAIL_", "CELERY_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI"}
    }
    env.update(
        FLASK_APP="planet",
        PYTHONPATH=str(ROOT),
        PLANET_ENV="development",
        PLANET_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'planet.db'}",
        BASE_URL=url,
        SECRET_KEY="browser-tests-secret-key-0123456789abcdef",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        MAIL_CATCHER_DIR=str(mail_dir),
        # Rate limits stay on; the suite logs in many times from one address.
        LOGIN_RATE_LIMIT="1000 per minute",
        SIGNUP_RATE_LIMIT="1000 per minute",
        RATELIMIT_STORAGE_URI="memory://",
        # No broker: tasks (webhook processing, mail) run eagerly in the web process.
        CELERY_ALWAYS_EAGER="1",
        STRIPE_API_BASE=stripe_url or "http://127.0.0.1:9",
        STRIPE_JS_URL=(stripe_url or "http://127.0.0.1:9") + "/js.stripe.com/v3/",
        STRIPE_SECRET_KEY="sk_test_planet_browser",
        STRIPE_PUBLISHABLE_KEY="pk_test_planet_browser",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PYTHONUNBUFFERED="1",
    )

    # The server imports the app while the database is built and seeded (it answers /healthz
    # without the database); tests start once both are ready.
    schema = "migrations" if _has_migrations() else "create_all"
    setup = spawn("setup", [sys.executable, "-c", SETUP, schema], env)
    server = spawn(
        "web",
        [sys.executable, "-m", "flask", "run", "--port", str(port), "--no-reload", "--no-debugger"]
        + ["--with-threads"],
        env,
    )
    try:
        setup.wait(timeout=300)
    except subprocess.TimeoutExpired:
        fail("building the database and the demo data took over 5 minutes", "setup")
    if setup.returncode != 0:
        fail(f"building the database ({schema}) and the demo data failed", "setup")
    if not _wait_http(url + "/healthz", server, seconds=60):
        fail("the app server did not start", "web")

    if stripe_url:
        response = requests.post(
            f"{stripe_url}/_config/webhooks/planet-browser",
            data={"url": url + "/webhooks/stripe", "secret": WEBHOOK_SECRET},
            timeout=10,
        )
        if response.status_code >= 300:
            stripe_problem = f"could not register the webhook: {response.status_code}"
            stripe_url = None

    yield PlanetServer(
        url=url,
        var_dir=var_dir,
        mail_dir=mail_dir,
        stripe_url=stripe_url,
        stripe_problem=stripe_problem,
        processes=[p for p, _ in processes],
        mail_port=mail_port,
    )
    stop_all()
    # Keep the server log next to the screenshots for whoever looks at a failure.
    SCREENSHOTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    for name in ("web", "setup", "localstripe"):
        if (logs / f"{name}.log").exists():
            target = SCREENSHOTS / f"server-{name}{'-' + worker if worker else ''}.log"
            shutil.copy(logs / f"{name}.log", target)


@pytest.fixture(scope="module")
def chromium(planet_server):
    """Chromium for one test module. Not for the session: Playwright's sync API refuses to start
    while another instance is running in the same process, so a browser kept open across
    modules would break other folders' browser tests scheduled on the same xdist worker."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except Exception as error:  # noqa: BLE001 - any launch failure is "unavailable"
            _unavailable(f"Chromium did not start: {error}")
        yield browser
        browser.close()


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")[:120]


class Shots:
    """Full-page screenshots under screenshots/<test name>/<nn>-<step>.png."""

    def __init__(self, test_name: str):
        self.folder = SCREENSHOTS / _safe(test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.count = 0

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{_safe(step)}.png"
        # From the top: a page scrolled to an anchor would draw the sticky header mid-page.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request):
    return Shots(request.node.name)


class People:
    """Browser contexts (one per person) for a test; all closed at the end of the test."""

    def __init__(self, browser, base_url: str, states: dict):
        self.browser = browser
        self.base_url = base_url
        self.states = states  # email -> storage state of a logged-in session (session cache)
        self.contexts = []
        self.server_errors: list[str] = []  # any 5xx answer a page received
        self.script_errors: list[str] = []  # uncaught JavaScript errors

    def new(self, *, viewport=MOBILE, locale: str = "zh-CN", storage_state=None, timezone=None):
        """A person's browser; unless told otherwise they are in Shanghai, like the demo
        planets (pages show times in the browser's zone)."""
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=viewport,
            locale=locale,
            storage_state=storage_state,
            timezone_id=timezone or "Asia/Shanghai",
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on(
            "response",
            lambda response: (
                self.server_errors.append(
                    f"{response.status} {response.request.method} {response.url}"
                )
                if response.status >= 500
                else None
            ),
        )
        return page

    def log_in(self, page, email: str, password: str = DEMO_PASSWORD) -> None:
        """Log in through the real form (CSRF token included)."""
        page.goto("/accounts/login")
        page.fill('input[name="email"]', email)
        page.fill('input[name="password"]', password)
        page.locator('main form:has(input[name="password"]) [type="submit"]').first.click()
        page.wait_for_load_state()
        assert "/accounts/login" not in page.url, page.locator("main").inner_text()

    def sign_up(self, page, name: str, password: str = NEW_PASSWORD) -> str:
        """Create a new account through the sign-up form; returns its email."""
        email = f"{_safe(name).lower() or 'user'}-{uuid.uuid4().hex[:10]}@example.com"
        page.goto("/accounts/signup")
        page.fill('input[name="email"]', email)
        page.fill('input[name="display_name"]', name)
        page.fill('input[name="password"]', password)
        page.locator('main form[action$="/accounts/signup"] [type="submit"]').click()
        page.wait_for_load_state()
        assert "/accounts/signup" not in page.url, page.locator("main").inner_text()
        return email

    def as_demo(self, who: str, *, viewport=MOBILE, locale: str = "zh-CN"):
        """A page logged in as a demo person (logged in once per session, by the form)."""
        email = DEMO[who]
        if email not in self.states:
            page = self.new(viewport=viewport, locale=locale)
            self.log_in(page, email)
            self.states[email] = page.context.storage_state()
            return page
        return self.new(viewport=viewport, locale=locale, storage_state=self.states[email])

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="session")
def _login_states():
    return {}


@pytest.fixture
def people(chromium, planet_server, _login_states):
    crowd = People(chromium, planet_server.url, _login_states)
    yield crowd
    crowd.close()
    assert crowd.server_errors == [], "the server answered 5xx (see screenshots/server-web.log)"
    assert crowd.script_errors == [], "JavaScript errors on the pages"

"""CI: the production configuration, started as a clinic would run it, answers every role.

    .venv/bin/python .ci/prod_smoke.py

It creates its own PostgreSQL database (SMOKE_DATABASE, default dn_prod_smoke, dropped and
created again), empties its Redis database (SMOKE_REDIS_URL, default db 1), migrates and
seeds the demo clinic, starts a Celery worker and beat and `make serve-prod` (collectstatic
with the manifest, `check --deploy`, gunicorn) on 127.0.0.1:SMOKE_PORT with DEBUG=0, a
random SECRET_KEY and HTTPS on (requests carry X-Forwarded-Proto as the TLS proxy's do).
Then it logs in as each demo role, opens the main pages, the static files, a plan PDF, a
report PDF and an export that the worker builds, and exits 1 on any status other than the
expected one. Every process it starts is stopped on the way out, whatever happens.
Where `docker compose` exists it also runs `docker compose config` on the compose file.
"""

from __future__ import annotations

import contextlib
import html.parser
import http.client
import http.cookies
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
CELERY = ROOT / ".venv" / "bin" / "celery"

PORT = int(os.environ.get("SMOKE_PORT", "8077"))
PG = os.environ.get("SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("SMOKE_DATABASE", "dn_prod_smoke")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/1")
PASSWORD = "demo-clinic-2026"  # clinic/staff/demo.py DEMO_PASSWORD
ROLES = ("manager", "frontdesk", "therapist", "uncertified")
# Pages a role must be refused (403), beside the pages its navigation offers (200).
REFUSED = {
    "frontdesk": ("/reports/", "/staff/"),
    "therapist": ("/reports/", "/staff/"),
    "uncertified": ("/reports/", "/staff/"),
}
# One detail page of each kind linked from the pages the navigation opens.
DETAIL_LINKS = {
    "patient": re.compile(r"^/patients/[0-9a-f-]{36}/$"),
    "plan": re.compile(r"^/needling/plans/[0-9a-f-]{36}/$"),
    "session note": re.compile(r"^/needling/sessions/[0-9a-f-]{36}/$"),
    "appointment": re.compile(r"^/appointments/\d+/$"),
    "calendar day": re.compile(r"^/calendar/\d+/day/"),
    "report": re.compile(r"^/reports/[a-z-]+/$"),
    "staff member": re.compile(r"^/staff/\d+/$"),
    "location": re.compile(r"^/locations/\d+/$"),
}
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js|svg)$")

failures: list[str] = []


def step(message: str) -> None:
    print(f"\n== {message}", flush=True)


def check(ok: bool, message: str) -> bool:
    print(("  ok    " if ok else "  FAIL  ") + message, flush=True)
    if not ok:
        failures.append(message)
    return ok


# --- Processes ------------------------------------------------------------------------------


class Processes:
    """Started in their own process groups; all stopped (TERM, then KILL) on exit."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append((name, process))
        print(f"  started {name} (pid {process.pid}): {' '.join(map(str, args))}", flush=True)
        return process

    def exited(self) -> list[str]:
        return [f"{n} exited {p.returncode}" for n, p in self.running if p.poll() is not None]

    def stop(self) -> None:
        for _, process in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop on TERM: KILL", flush=True)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Children left in a group (gunicorn workers, celery pool) go with it.
        for _, process in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.running.clear()

    def tail(self, lines: int = 40) -> None:
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"\n--- last {len(text)} lines of {log.name}\n" + "\n".join(text))


def run(args: list, env: dict[str, str], timeout: int = 600) -> None:
    print(f"  $ {' '.join(map(str, args))}", flush=True)
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        raise SystemExit(f"{args[1] if len(args) > 1 else args[0]} failed")


# --- HTTP as the browser behind the TLS proxy ---------------------------------------------


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.assets: list[str] = []
        self.csrf: str | None = None
        self.in_main_nav = False
        self.nav: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "nav" and a.get("aria-label") == "Main":
            self.in_main_nav = True
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self.in_main_nav:
                self.nav.append(a["href"])
        if tag in ("link", "script", "img") and (a.get("href") or a.get("src") or "").startswith(
            "/static/"
        ):
            self.assets.append(a.get("href") or a.get("src"))
        if tag == "input" and a.get("name") == "csrfmiddlewaretoken":
            self.csrf = a.get("value")

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_main_nav = False


def parse(body: bytes) -> Links:
    parser = Links()
    parser.feed(body.decode("utf-8", "replace"))
    return parser


class Browser:
    """Cookies kept by hand: the app's cookies are Secure, and TLS ends at the proxy."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.origin = f"https://127.0.0.1:{PORT}"

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        proxy: bool = True,
        headers: dict | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        sent = {"Host": f"127.0.0.1:{PORT}", **(headers or {})}
        if proxy:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.origin
            sent["Referer"] = self.origin + path
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path: str, expect: int = 200, **kw) -> tuple[dict[str, str], bytes]:
        status, headers, body = self.request("GET", path, **kw)
        check(status == expect, f"GET {path} -> {status} (expected {expect})")
        return headers, body

    def get_page(self, path: str) -> bytes:
        """A page, following the redirect of pages that pick a default (the calendar)."""
        status, headers, body = self.request("GET", path)
        target = headers.get("location", "")
        if status == 302 and target.startswith("/") and not target.startswith("/accounts/"):
            print(f"  ({path} -> {target})")
            path, (status, headers, body) = target, self.request("GET", target)
        check(status == 200, f"GET {path} -> {status} (expected 200)")
        return body

    def login(self, username: str) -> bool:
        _, page = self.get("/accounts/login/")
        token = parse(page).csrf
        if not check(bool(token), "the login form has a CSRF token"):
            return False
        status, headers, _ = self.request(
            "POST",
            "/accounts/login/",
            form={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        return check(
            status == 302 and headers.get("location") == "/",
            f"{username} logs in -> {status} {headers.get('location')}",
        )

    def logout(self, username: str) -> None:
        _, page = self.get("/")
        token = parse(page).csrf
        status, _, _ = self.request(
            "POST", "/accounts/logout/", form={"csrfmiddlewaretoken": token}
        )
        check(status == 302, f"{username} logs out -> {status}")
        self.get("/", expect=302)


# --- The checks -----------------------------------------------------------------------------


def check_anonymous() -> None:
    step("Anonymous: health, HTTPS redirect, login page and its static files")
    browser = Browser()
    _, body = browser.get("/health/", proxy=False)
    health = json.loads(body or b"{}")
    check(health == {"status": "ok", "database": "ok", "redis": "ok"}, f"/health/ says {health}")
    headers, _ = browser.get("/accounts/login/", expect=301, proxy=False)
    check(headers.get("location", "").startswith("https://"), "plain HTTP is sent to HTTPS")
    headers, _ = browser.get("/", expect=302)
    check(headers.get("location", "").startswith("/accounts/login/"), "/ asks for a login")
    _, page = browser.get("/accounts/login/")
    assets = parse(page).assets
    check(len(assets) >= 3, f"the login page links {len(assets)} static files")
    for asset in assets:
        check(bool(HASHED.search(asset.split("?")[0])), f"{asset} is a hashed (manifest) name")
        headers, body = browser.get(asset, headers={"Accept-Encoding": "br, gzip"})
        check(len(body) > 0, f"{asset}: {len(body)} bytes")
        check("immutable" in headers.get("cache-control", ""), f"{asset} is cached for good")
        check(headers.get("content-encoding") in ("br", "gzip"), f"{asset} is sent compressed")


def check_role(username: str) -> Browser:
    step(f"{username}: navigation, detail pages, refused pages")
    browser = Browser()
    if not browser.login(username):
        return browser
    _, home = browser.get("/")
    nav = [link for link in dict.fromkeys(parse(home).nav) if link.startswith("/")]
    check(len(nav) >= 3, f"{username}'s navigation has {len(nav)} links")
    found: dict[str, str] = {}
    reports: dict[str, None] = {}
    for link in nav:
        page = browser.get_page(link)
        for href in parse(page).links:
            if DETAIL_LINKS["report"].match(href):
                reports[href] = None  # every report the role is offered
            for kind, pattern in DETAIL_LINKS.items():
                if kind not in found and pattern.match(href.split("?")[0]):
                    found[kind] = href
    found.pop("report", None)
    for kind, href in found.items():
        print(f"  ({kind})")
        browser.get(href)
    for href in reports:
        if href not in nav:
            browser.get(href)
    for path in REFUSED.get(username, ()):
        browser.get(path, expect=403)
    return browser


def check_plan_pdf(browser: Browser) -> None:
    step("therapist: the approved demo plan's PDF")
    _, page = browser.get("/needling/plans/")
    plans = [h for h in dict.fromkeys(parse(page).links) if DETAIL_LINKS["plan"].match(h)]
    for plan in plans:
        _, detail = browser.get(plan)
        pdfs = [h for h in parse(detail).links if h == plan + "pdf/"]
        if pdfs:
            headers, body = browser.get(pdfs[0])
            check(headers.get("content-type") == "application/pdf", "it is a PDF")
            check(body.startswith(b"%PDF-") and len(body) > 10_000, f"PDF of {len(body)} bytes")
            return
    check(False, f"no plan among {len(plans)} links to its PDF")


def check_reports(browser: Browser) -> None:
    step("manager: a report PDF, and an export the Celery worker builds")
    headers, body = browser.get("/reports/safety/export/pdf/")
    check(body.startswith(b"%PDF-"), f"safety report PDF ({len(body)} bytes)")
    # REPORTS_EXPORT_ASYNC_ROWS=0: every export is a background job.
    status, headers, _ = browser.request("GET", "/reports/activity/export/csv/")
    job = headers.get("location", "")
    if not check(status == 302 and job.startswith("/reports/exports/"), f"export -> job {job}"):
        return
    deadline = time.monotonic() + 120
    download = job + "download/"
    while time.monotonic() < deadline:
        status, _, page = browser.request("GET", job)
        if download in parse(page).links:
            break
        time.sleep(1)
    else:
        check(False, f"the worker did not finish {job} in 120 s")
        return
    headers, body = browser.get(download)
    check(headers.get("content-type", "").startswith("text/csv"), "the export is a CSV")
    lines = body.count(b"\n")
    check(lines >= 2, f"the CSV has {lines} lines")


def docker_compose_config() -> None:
    step("docker compose config")
    docker = shutil.which("docker")
    if (
        not docker
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0
    ):
        print("  skipped: no docker compose here (tests/clinic/test_project.py parses the file)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "docker-compose.yml", tmp)
        shutil.copy(ROOT / ".env.example", Path(tmp) / ".env")
        result = subprocess.run(
            [docker, "compose", "config", "--quiet"], cwd=tmp, capture_output=True, text=True
        )
    check(result.returncode == 0, "docker compose config " + result.stderr.strip())


# --- Main -----------------------------------------------------------------------------------


def prepare_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{PG}/{DATABASE}"


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def main() -> int:
    import redis

    docker_compose_config()
    tmp = Path(tempfile.mkdtemp(prefix="dn-prod-smoke-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "STATIC_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HTTPS="1",
        DATABASE_URL=prepare_database(),
        REDIS_URL=REDIS_URL,
        PRIVATE_STORAGE_ROOT=str(tmp / "private"),
        STATIC_ROOT=str(tmp / "staticfiles"),
        REPORTS_EXPORT_ASYNC_ROWS="0",
        WEB_WORKERS="2",
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
    processes = Processes(tmp)

    def stop(signum, _frame):
        raise SystemExit(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        step(f"Database {DATABASE}, Redis {REDIS_URL}: migrate and seed the demo clinic")
        run([PYTHON, "manage.py", "migrate", "--no-input"], env)
        run([PYTHON, "manage.py", "seed_demo"], env)
        step("Start: Celery worker and beat, then `make serve-prod` (gunicorn)")
        processes.start(
            "worker", [CELERY, "-A", "clinic", "worker", "--loglevel=INFO", "--concurrency=1"], env
        )
        processes.start(
            "beat",
            [CELERY, "-A", "clinic", "beat", "--loglevel=INFO", "--schedule", tmp / "beat"],
            env,
        )
        processes.start("web", ["make", "serve-prod", "HOST=127.0.0.1", f"PORT={PORT}"], env)
        sys.path.insert(0, str(ROOT))
        from clinic.common.healthcheck import check as health_check

        deadline, healthy, message = time.monotonic() + 300, False, ""
        while time.monotonic() < deadline and not processes.exited():
            healthy, message = health_check(port=PORT, host_header="127.0.0.1")
            if healthy:
                break
            time.sleep(2)
        if not check(healthy, f"gunicorn is up: {message or processes.exited()}"):
            return 1
        check_anonymous()
        browsers = {username: check_role(username) for username in ROLES}
        check_plan_pdf(browsers["therapist"])
        check_reports(browsers["manager"])
        for username, browser in browsers.items():
            if browser.cookies.get("sessionid"):
                browser.logout(username)
        check(not processes.exited(), f"every process still running {processes.exited()}")
    finally:
        step("Stop")
        processes.stop()
        if failures:
            processes.tail()
        if os.environ.get("SMOKE_KEEP") != "1":
            drop_database()
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"  kept {DATABASE} and {tmp}")
    step(f"{len(failures)} failures" if failures else "Production smoke: all passed")
    for failure in failures:
        print("  - " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""What every part of the console walk uses: the browser, checks, forms, axe-core, TOTP and the API.

The browser is headless Chromium driven by Selenium; the API helper (plain urllib) sets up only
what another municipality must hold before the walk can ask it, never what the walk checks.
"""
import base64, hashlib, hmac, json, os, shutil, struct, time, urllib.error, urllib.parse, urllib.request
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.support import expected_conditions
from axe_selenium_python import Axe


def individual_number(base11):
    """A valid Individual Number from 11 digits (weights 6,5,4,3,2,7,6,5,4,3,2; domain.md §2)."""
    r = sum(int(d) * w for d, w in zip(base11, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2))) % 11
    return base11 + str(0 if r <= 1 else 11 - r)


def totp(url, offset=0):
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + offset), hashlib.sha1).digest()
    o = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def gone(element):
    """Whether the page an element belonged to has been replaced (Chrome reports that in two ways)."""
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


class Walk:
    """One browser session with its checks, its axe-core runs and its screenshots."""

    def __init__(self, base, downloads):
        self.base = base
        self.shots = os.environ.get("CONSOLE_SCREENSHOTS")
        self.failures = []
        self.audited = set()
        self.downloads = downloads
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=ja"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {
            "download.default_directory": downloads, "download.prompt_for_download": False,
            "intl.accept_languages": "ja"})
        # Debian's chromium and chromedriver, named outright: Selenium Manager would look online.
        options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
        self.driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")))
        self.axe = Axe(self.driver)

    def check(self, condition, what):
        print(("ok   " if condition else "FAIL ") + what)
        if not condition:
            self.failures.append(what)

    def visit_checks(self, name):
        """axe-core on the page now shown (once per page name), and a screenshot when asked."""
        if name not in self.audited:
            self.audited.add(name)
            self.axe.inject()
            result = self.axe.run()
            serious = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
            for v in serious:
                print("  axe %s: %s: %s" % (v["id"], v["help"], " | ".join(n["html"] for n in v["nodes"])))
            self.check(not serious, "axe: no serious violation on %s" % name)
        if self.shots:
            # The whole page, from its top (up to 2,400 pixels), at the walk's width.
            os.makedirs(self.shots, exist_ok=True)
            width, height = self.driver.get_window_size()["width"], self.driver.get_window_size()["height"]
            full, inner = self.driver.execute_script("return [document.documentElement.scrollHeight, window.innerHeight]")
            self.driver.set_window_size(width, min(max(full + height - inner, height), 2400))
            self.driver.execute_script("window.scrollTo(0, 0)")
            path = os.path.join(self.shots, name + ".png")
            self.driver.save_screenshot(path)
            self.driver.set_window_size(width, height)
            from PIL import Image   # a 128-colour palette: a third of the bytes, the same to the eye
            Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)

    def get(self, path):
        self.driver.get(self.base + path)

    def fill(self, field_id, value):
        element = self.driver.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(value)

    def choose(self, name, value):
        self.driver.find_element(By.CSS_SELECTOR, 'input[name="%s"][value="%s"]' % (name, value)).click()

    def select(self, field_id, value):
        self.driver.find_element(By.CSS_SELECTOR, '#%s option[value="%s"]' % (field_id, value)).click()

    def submit(self, form_action, confirm=False):
        """Clicks the form's button (accepting its confirmation when asked) and waits for the next page."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, 'form[action="%s"] button[type=submit]' % form_action).click()
        if confirm:
            WebDriverWait(self.driver, 10).until(expected_conditions.alert_is_present())
            self.driver.switch_to.alert.accept()
        WebDriverWait(self.driver, 30).until(lambda _: gone(page))

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def table(self, css):
        """The rows of a table's body, as lists of cell texts."""
        return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in self.driver.find_elements(By.CSS_SELECTOR, css + " tbody tr")]

    def sign_in(self, user_id, password, otp=""):
        self.get("/console/sign-in")
        self.fill("userId", user_id); self.fill("password", password); self.fill("otp", otp)
        self.submit("/console/sign-in")

    def change_initial_password(self, old, new):
        self.check(self.driver.current_url.endswith("/console/password"), "an initial password leads to the password change")
        self.fill("currentPassword", old); self.fill("newPassword", new); self.fill("confirmPassword", new)
        self.submit("/console/password")

    def sign_out(self):
        self.submit("/console/sign-out")

    def quit(self):
        self.driver.quit()


class API:
    """The JSON API, for setting up another municipality's data the walk then asks for."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError("%s %s → %d %s" % (method, path, error.code, error.read().decode()[:300]))
        return json.loads(raw) if raw else None

    def sign_in(self, user_id, password, otp=None):
        body = {"userId": user_id, "password": password}
        if otp:
            body["otp"] = otp
        return self.call("POST", "/v1/sessions", body=body)["token"]

    def first_sign_in(self, user_id, initial, new, otp_url=None):
        """Signs in with a one-time password, changes it, and signs in again: a token for real work."""
        token = self.sign_in(user_id, initial, totp(otp_url) if otp_url else None)
        self.call("PUT", "/v1/users/me/password", token, {"currentPassword": initial, "newPassword": new})
        return self.sign_in(user_id, new, totp(otp_url, 1) if otp_url else None)

#!/usr/bin/env python3
"""The staff console in a real headless Chromium (Selenium), against a live `vrs serve`.

Walks the operator's part of the console as a person would: sign in with the one-time password
and TOTP, change the initial password, sign in again, provision a municipality after seeing its
official name, create its first admin; then checks that a form posted without its CSRF token is
refused and changes nothing, and that after sign-out Back shows no data. Runs axe-core on every
page visited and fails on serious or critical violations. With CONSOLE_SCREENSHOTS=DIR it saves
screenshots (1280x800) there.

Usage: console_walk.py BASE_URL DATA_DIR VRS_BIN
"""
import base64, hashlib, hmac, json, os, struct, subprocess, sys, time, urllib.parse
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.support import expected_conditions
from axe_selenium_python import Axe

base, data_dir, vrs_bin = sys.argv[1], sys.argv[2], sys.argv[3]
shots = os.environ.get("CONSOLE_SCREENSHOTS")
failures = []

def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)

def totp(url, offset=0):
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + offset), hashlib.sha1).digest()
    o = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)

options = webdriver.ChromeOptions()
for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=ja"):
    options.add_argument(flag)
driver = webdriver.Chrome(options=options)
axe = Axe(driver)
audited = set()

def visit_checks(name):
    """axe-core on the page now shown (once per page name), and a screenshot when asked."""
    if name not in audited:
        audited.add(name)
        axe.inject()
        result = axe.run()
        serious = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        for v in serious:
            print("  axe %s: %s: %s" % (v["id"], v["help"], " | ".join(n["html"] for n in v["nodes"])))
        check(not serious, "axe: no serious violation on %s" % name)
    if shots:
        os.makedirs(shots, exist_ok=True)
        driver.save_screenshot(os.path.join(shots, name + ".png"))

def fill(field_id, value):
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)

def submit(form_action):
    """Clicks the form's button and waits for the page it leads to."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, 'form[action="%s"] button[type=submit]' % form_action).click()
    WebDriverWait(driver, 20).until(expected_conditions.staleness_of(page))

try:
    created = json.loads(subprocess.check_output(
        [vrs_bin, "operator", "create", "--data-dir", data_dir, "--user-id", os.environ.get("WALK_OP", "bw.op"), "--json", "--log-level", "error"]))
    password, otp_url = created["initialPassword"], created["otpauthURL"]

    driver.get(base + "/console/")
    check(driver.current_url.endswith("/console/sign-in"), "an anonymous visit goes to the sign-in page")
    visit_checks("sign-in")
    fill("userId", os.environ.get("WALK_OP", "bw.op")); fill("password", "wrong password!"); fill("otp", totp(otp_url))
    submit("/console/sign-in")
    check("正しくありません" in driver.page_source, "a wrong password is answered on the form, in Japanese")

    fill("userId", os.environ.get("WALK_OP", "bw.op")); fill("password", password); fill("otp", totp(otp_url))
    submit("/console/sign-in")
    check(driver.current_url.endswith("/console/password"), "an initial password leads to the password change")
    visit_checks("password-change")
    fill("currentPassword", password); fill("newPassword", "bw.op short"); fill("confirmPassword", "bw.op short")
    driver.execute_script("document.getElementById('newPassword').removeAttribute('minlength')")
    submit("/console/password")
    check(driver.find_elements(By.ID, "newPassword-error"), "a password the rules refuse is named next to its field")
    new_password = "browser walk passphrase"
    fill("currentPassword", password); fill("newPassword", new_password); fill("confirmPassword", new_password)
    submit("/console/password")
    check("新しいパスワードでサインイン" in driver.page_source, "the change ends the session and asks for a new sign-in")
    fill("userId", os.environ.get("WALK_OP", "bw.op")); fill("password", new_password); fill("otp", totp(otp_url, 1))
    submit("/console/sign-in")
    check(driver.current_url.endswith("/console/"), "signed in with the new password")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    session = cookies.get("__Host-vrs_session")
    check(session is not None and session["httpOnly"] and session["secure"] and session.get("sameSite") == "Strict",
          "the session cookie is __Host-, HttpOnly, Secure and SameSite=Strict")
    visit_checks("operator-home")

    driver.get(base + "/console/municipalities")
    visit_checks("municipalities")
    fill("code", "121003")
    submit("/console/municipalities/confirm")
    check(driver.find_elements(By.ID, "code-error"), "a code with a wrong check digit is named next to its field")
    fill("code", "121002")
    submit("/console/municipalities/confirm")
    check(driver.find_element(By.ID, "confirm-name").text == "千葉市", "the official name is shown before confirming")
    visit_checks("municipality-confirm")
    submit("/console/municipalities")
    check("/console/municipalities/121002" in driver.current_url, "provisioned: the municipality's account page")
    visit_checks("municipality-accounts")

    # A form posted without its CSRF token is refused, and nothing is created.
    fill("userId", "bw.forged"); fill("displayName", "偽造 太郎")
    driver.execute_script("for (const e of document.querySelectorAll('input[name=_csrf]')) e.remove()")
    submit("/console/municipalities/121002/users")
    check("送信を受け付けませんでした" in driver.page_source, "a form without its CSRF token is refused")
    driver.get(base + "/console/municipalities/121002")
    check("bw.forged" not in driver.page_source, "the refused form changed nothing")

    fill("userId", "bw.chiba.admin"); fill("displayName", "千葉 花子")
    submit("/console/municipalities/121002/users")
    check(driver.find_element(By.ID, "initial-password").text.strip() != "", "the first admin's one-time password is shown once")
    visit_checks("password-issued")

    driver.get(base + "/console/audit")
    check("municipality.provision" in driver.page_source, "the operator audit log shows the provisioning")
    visit_checks("operator-audit")

    driver.get(base + "/console/municipalities/121002")
    submit("/console/sign-out")
    check("サインアウトしました" in driver.page_source, "signed out")
    driver.back()
    check("bw.chiba.admin" not in driver.page_source, "Back after sign-out shows no data")
    driver.get(base + "/console/municipalities/121002")
    check(driver.current_url.endswith("/console/sign-in"), "a page after sign-out asks for sign-in")

    driver.set_window_size(420, 800)
    driver.get(base + "/console/sign-in")
    wide = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
    check(not wide, "the sign-in page fits a narrow window")
finally:
    driver.quit()

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("console walk: all checks passed")

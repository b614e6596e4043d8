"""The operator's part of the walk: first sign-in with TOTP, provisioning 千葉市, its first admin."""
import json, subprocess
from selenium.webdriver.common.by import By
from walk_support import totp


def operator_part(walk, vrs_bin, data_dir, user_id):
    """Returns the one-time password of 千葉市's first admin, bw.chiba.admin."""
    created = json.loads(subprocess.check_output(
        [vrs_bin, "operator", "create", "--data-dir", data_dir, "--user-id", user_id, "--json", "--log-level", "error"]))
    password, otp_url = created["initialPassword"], created["otpauthURL"]
    driver = walk.driver

    walk.get("/console/")
    walk.check(driver.current_url.endswith("/console/sign-in"), "an anonymous visit goes to the sign-in page")
    walk.visit_checks("sign-in")
    walk.sign_in(user_id, "wrong password!", totp(otp_url))
    walk.check("正しくありません" in driver.page_source, "a wrong password is answered on the form, in Japanese")

    walk.sign_in(user_id, password, totp(otp_url))
    walk.check(driver.current_url.endswith("/console/password"), "an initial password leads to the password change")
    walk.visit_checks("password-change")
    walk.fill("currentPassword", password); walk.fill("newPassword", "bw.op short"); walk.fill("confirmPassword", "bw.op short")
    driver.execute_script("document.getElementById('newPassword').removeAttribute('minlength')")
    walk.submit("/console/password")
    walk.check(driver.find_elements(By.ID, "newPassword-error"), "a password the rules refuse is named next to its field")
    new_password = "browser walk passphrase"
    walk.change_initial_password(password, new_password)
    walk.check("新しいパスワードでサインイン" in driver.page_source, "the change ends the session and asks for a new sign-in")
    walk.sign_in(user_id, new_password, totp(otp_url, 1))
    walk.check(driver.current_url.endswith("/console/"), "signed in with the new password")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    session = cookies.get("__Host-vrs_session")
    walk.check(session is not None and session["httpOnly"] and session["secure"] and session.get("sameSite") == "Strict",
               "the session cookie is __Host-, HttpOnly, Secure and SameSite=Strict")
    walk.visit_checks("operator-home")

    walk.get("/console/municipalities")
    walk.visit_checks("municipalities")
    walk.fill("code", "121003")
    walk.submit("/console/municipalities/confirm")
    walk.check(driver.find_elements(By.ID, "code-error"), "a code with a wrong check digit is named next to its field")
    walk.fill("code", "121002")
    walk.submit("/console/municipalities/confirm")
    walk.check(walk.text("confirm-name") == "千葉市", "the official name is shown before confirming")
    walk.visit_checks("municipality-confirm")
    walk.submit("/console/municipalities")
    walk.check("/console/municipalities/121002" in driver.current_url, "provisioned: the municipality's account page")
    walk.visit_checks("municipality-accounts")

    # A form posted without its CSRF token is refused, and nothing is created.
    walk.fill("userId", "bw.forged"); walk.fill("displayName", "偽造 太郎")
    driver.execute_script("for (const e of document.querySelectorAll('input[name=_csrf]')) e.remove()")
    walk.submit("/console/municipalities/121002/users")
    walk.check("送信を受け付けませんでした" in driver.page_source, "a form without its CSRF token is refused")
    walk.get("/console/municipalities/121002")
    walk.check("bw.forged" not in driver.page_source, "the refused form changed nothing")

    walk.fill("userId", "bw.chiba.admin"); walk.fill("displayName", "千葉 花子")
    walk.submit("/console/municipalities/121002/users")
    admin_password = walk.text("initial-password").strip()
    walk.check(admin_password != "", "the first admin's one-time password is shown once")
    walk.visit_checks("password-issued")

    walk.get("/console/audit")
    walk.check("municipality.provision" in driver.page_source, "the operator audit log shows the provisioning")
    walk.visit_checks("operator-audit")

    walk.get("/console/municipalities/121002")
    walk.sign_out()
    walk.check("サインアウトしました" in driver.page_source, "signed out")
    driver.back()
    walk.check("bw.chiba.admin" not in driver.page_source, "Back after sign-out shows no data")
    walk.get("/console/municipalities/121002")
    walk.check(driver.current_url.endswith("/console/sign-in"), "a page after sign-out asks for sign-in")
    return admin_password

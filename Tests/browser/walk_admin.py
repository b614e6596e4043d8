"""The municipal admin's part of the walk: first sign-in, a staff account, a tablet issued and revoked."""
import io, urllib.error, urllib.request
from selenium.webdriver.common.by import By


def decoded_qr(element):
    """The text of the QR code an element shows, read from its pixels as a tablet's camera would."""
    from PIL import Image
    from pyzbar.pyzbar import decode
    # An element screenshot is cut at the window's edge: bring the whole code into view first.
    element.parent.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    found = decode(Image.open(io.BytesIO(element.screenshot_as_png)))
    return found[0].data.decode() if found else ""


def tablet_answer(public_base, token):
    """The public listener's status for GET /v1/tablet/device with a device token."""
    request = urllib.request.Request(public_base + "/v1/tablet/device", headers={"authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def account_row(walk, user_id):
    """The cells of the account's row in the accounts table (empty when it is not listed)."""
    return next((r for r in walk.table("main") if r and r[0] == user_id), [])


def admin_part(walk, initial_password, public_base):
    """Returns the one-time password of the staff account bw.chiba.staff."""
    driver = walk.driver
    walk.sign_in("bw.chiba.admin", initial_password)
    walk.change_initial_password(initial_password, "walk admin secret 2026")
    walk.sign_in("bw.chiba.admin", "walk admin secret 2026")
    walk.check(driver.current_url.endswith("/console/"), "the admin is signed in")
    walk.visit_checks("admin-home")

    walk.get("/console/users")
    walk.visit_checks("users")
    walk.fill("userId", "bw.chiba.staff"); walk.fill("displayName", "千葉 次郎")
    walk.submit("/console/users")
    staff_password = walk.text("initial-password").strip()
    walk.check(staff_password != "", "the staff account's one-time password is shown once")
    walk.get("/console/users")
    row = account_row(walk, "bw.chiba.staff")
    walk.check(row[2:3] == ["自治体職員"], "the new account is listed as 自治体職員")
    walk.submit("/console/users/bw.chiba.staff/lock")
    row = account_row(walk, "bw.chiba.staff")
    walk.check(len(row) > 3 and "ロック" in row[3], "the lock shows in the account's state")
    walk.submit("/console/users/bw.chiba.staff/unlock")
    row = account_row(walk, "bw.chiba.staff")
    walk.check(len(row) > 3 and "ロック" not in row[3], "unlocked again")

    walk.get("/console/devices")
    walk.visit_checks("devices")
    walk.fill("label", "集団接種会場 1")
    walk.submit("/console/devices")
    token = walk.text("device-token").strip()
    walk.check(tablet_answer(public_base, token) == 200, "the token shown once works on the tablet listener")
    walk.check(decoded_qr(driver.find_element(By.ID, "device-qr")) == token, "the QR code on the page scans to the same token")
    walk.visit_checks("device-issued")
    walk.get("/console/devices")
    walk.check("集団接種会場 1" in driver.page_source and token not in driver.page_source,
               "the list names the tablet and never shows its token again")
    device_form = driver.find_element(By.CSS_SELECTOR, 'form[action^="/console/devices/"][action$="/revoke"]').get_attribute("action")
    walk.submit(device_form.replace(walk.base, ""), confirm=True)
    walk.check(any(r[0] == "集団接種会場 1" and r[4].startswith("失効") for r in walk.table("main") if len(r) > 4),
               "the list shows the tablet as 失効")
    walk.check(tablet_answer(public_base, token) == 401, "a revoked tablet's token is refused")

    walk.get("/console/audit?action=device.")
    actions = [r[4] for r in walk.table("main") if len(r) > 4]
    walk.check("device.create" in actions and "device.revoke" in actions, "the audit log shows the tablet issued and revoked")
    walk.visit_checks("admin-audit")
    walk.sign_out()
    return staff_password

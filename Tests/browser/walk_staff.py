"""Municipal staff's part of the walk: the target file, search, 転出, 接種記録照会, the ledger and a
certificate (which the admin then revokes).

札幌市 (011002) is set up through the API first, with one resident and one dose, so that 千葉市's
inquiry for that resident, who moved in, finds the dose and copies it.
"""
import glob, json, os, subprocess, time
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from walk_admin import decoded_qr
from walk_support import individual_number, totp

MOVED_IN = individual_number("70120000001")     # lived in 札幌市, moved to 千葉市
MOVING_OUT = individual_number("70120000002")   # 千葉市 → 千代田区
STAYING = individual_number("70120000003")
HEADER = "municipality_code,address_number,individual_number,coupon_number,coupon_kind,name,name_kana,birth_date,sex"


def sapporo_resident(api, vrs_bin, data_dir):
    """Provisions 札幌市 with its admin and a staff account, registers MOVED_IN there and records a dose on the coupon."""
    created = json.loads(subprocess.check_output(
        [vrs_bin, "operator", "create", "--data-dir", data_dir, "--user-id", "bw.op2", "--json", "--log-level", "error"]))
    operator = api.first_sign_in("bw.op2", created["initialPassword"], "second operator passphrase", created["otpauthURL"])
    api.call("POST", "/v1/municipalities", operator, {"code": "011002"})
    issued = api.call("POST", "/v1/municipalities/011002/users", operator,
                      {"userId": "bw.sapporo.admin", "role": "admin", "displayName": "札幌 管理"})
    admin = api.first_sign_in("bw.sapporo.admin", issued["initialPassword"], "sapporo admin passphrase")
    issued = api.call("POST", "/v1/users", admin, {"userId": "bw.sapporo.staff", "role": "staff", "displayName": "札幌 一郎"})
    staff = api.first_sign_in("bw.sapporo.staff", issued["initialPassword"], "sapporo walk passphrase")
    api.call("POST", "/v1/persons", staff, {
        "addressNumber": "S-0001", "personalNumber": MOVED_IN, "familyName": "千葉", "givenName": "一子",
        "familyNameKana": "チバ", "givenNameKana": "イチコ", "birthDate": "1980-05-05", "sex": "F",
        "coupon": {"couponNumber": "0000000101", "kind": 1}})
    api.call("POST", "/v1/vaccinations", staff, {
        "couponCode": "1" + "1" + "011002" + "0000000101", "vaccinatedOn": "2026-10-01",
        "product": "pfizer-comirnaty", "lotNumber": "FA1234", "siteName": "札幌市役所"})


def target_file(directory, name, bad_line):
    """千葉市's target file in CP932 with CRLF, as its resident system writes it; `bad_line` spoils a check digit."""
    staying = STAYING if not bad_line else STAYING[:-1] + str((int(STAYING[-1]) + 1) % 10)
    lines = [HEADER,
             "121002,C-0001,%s,0000000001,1,千葉 一子,チバ イチコ,19800505,2" % MOVED_IN,
             "121002,C-0002,%s,0000000002,1,千葉 二郎,チバ ジロウ,19751111,1" % MOVING_OUT,
             "121002,C-0003,%s,0000000003,1,千葉 三子,チバ ミツコ,19900101,2" % staying]
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode("cp932"))
    return path


def search(walk, kind, value):
    walk.get("/console/persons")
    walk.choose("kind", kind)
    walk.fill("value", value)
    walk.submit("/console/persons/search")


def staff_part(walk, initial_password, work):
    driver = walk.driver
    walk.sign_in("bw.chiba.staff", initial_password)
    walk.change_initial_password(initial_password, "walk staff secret 2026")
    walk.sign_in("bw.chiba.staff", "walk staff secret 2026")
    walk.check(driver.current_url.endswith("/console/"), "the staff member is signed in")
    walk.visit_checks("staff-home")

    # The target file: one wrong check digit refuses the whole file, naming line and column.
    walk.get("/console/imports")
    walk.visit_checks("imports")
    driver.find_element(By.ID, "file").send_keys(target_file(work, "taisho-ng.csv", bad_line=True))
    walk.submit("/console/imports")
    rows = walk.table("table.line-errors")
    walk.check(len(rows) == 1 and rows[0][0] == "4" and rows[0][1] == "individual_number" and "チェックデジット" in rows[0][2],
               "a wrong check digit is shown as line 4, column individual_number, in Japanese")
    walk.check(STAYING[:-1] not in driver.page_source, "the refused number is not echoed on the page")
    walk.visit_checks("imports-errors")
    search(walk, "addressNumber", "C-0001")
    walk.check("該当する対象者はいません" in driver.page_source, "the refused file registered nobody")

    walk.get("/console/imports")
    driver.find_element(By.ID, "file").send_keys(target_file(work, "taisho.csv", bad_line=False))
    walk.submit("/console/imports")
    counts = {row.find_element(By.TAG_NAME, "th").text: row.find_element(By.TAG_NAME, "td").text
              for row in driver.find_elements(By.CSS_SELECTOR, "table.counts tbody tr")}
    walk.check(counts.get("新規登録") == "3" and counts.get("接種券発行") == "3", "the corrected file registers 3 people with 3 coupons")
    walk.visit_checks("imports-done")

    # Search by 個人番号: the number travels in a POST body, never in the URL or back on the page.
    search(walk, "personalNumber", MOVING_OUT)
    walk.check("/console/persons/" in driver.current_url and MOVING_OUT not in driver.current_url,
               "the person page's URL holds no Individual Number")
    walk.check(MOVING_OUT not in driver.page_source and "********" + MOVING_OUT[-4:] in driver.page_source,
               "the person page shows the number masked, never in full")
    walk.select("status", "moved_out")
    driver.execute_script("document.getElementById('effectiveDate').value = '2026-11-30'")
    walk.fill("destinationCode", "131016")
    walk.submit(driver.find_element(By.CSS_SELECTOR, 'form[action$="/status"]').get_attribute("action").replace(walk.base, ""))
    basic = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=basic]").text
    walk.check("転出" in basic and "千代田区" in basic, "the person is shown as 転出 to 千代田区")
    history = walk.table("section[aria-labelledby=history]")
    walk.check(any("異動" in r[1] and "転出" in r[2] for r in history if len(r) > 2), "the history lists the change of status")
    walk.visit_checks("person")

    # 接種記録照会: the resident who moved in from 札幌市; the dose found there is copied here.
    search(walk, "addressNumber", "C-0001")
    driver.find_element(By.CSS_SELECTOR, 'a[href^="/console/transfers?personId="]').click()
    walk.fill("previousMunicipalityCode", "011002"); walk.fill("personalNumber", MOVED_IN)
    walk.submit("/console/transfers")
    result = driver.find_element(By.CSS_SELECTOR, "section.result").text
    walk.check("記録あり" in result and "1 件" in result and "札幌市" in result, "the inquiry finds 札幌市's dose and copies it")
    walk.check(MOVED_IN not in driver.page_source, "the inquiry's answer page holds no Individual Number")
    walk.visit_checks("transfer-result")
    driver.find_element(By.LINK_TEXT, "対象者のページへ").click()
    doses = walk.table("section[aria-labelledby=doses]")
    walk.check(any("札幌市" in r[5] and r[3] == "FA1234" for r in doses if len(r) > 5), "the person page shows the copied dose, from 札幌市")

    # A batch of two: the worker answers it while the page reloads itself.
    batch = os.path.join(work, "shokai.csv")
    with open(batch, "w", encoding="utf-8") as f:
        f.write("personal_number,previous_municipality_code\r\n%s,011002\r\n%s,011002\r\n" % (MOVED_IN, STAYING))
    walk.get("/console/transfers")
    driver.find_element(By.ID, "batch-file").send_keys(batch)
    walk.submit("/console/transfers/batches")
    WebDriverWait(driver, 60, poll_frequency=1).until(lambda d: "完了" in d.find_element(By.ID, "batch-status").text)
    answers = sorted(r[2] for r in walk.table("div.batch") if len(r) > 2)
    walk.check(answers == sorted(["記録あり", "該当者なし"]), "the batch answers one found and one not found: %s" % answers)
    walk.visit_checks("batch")

    walk.get("/console/provision-records?direction=outbound")
    walk.check("札幌市" in driver.page_source and "転入者の接種記録照会" in driver.page_source,
               "the provision records list the inquiries to 札幌市 with their purpose")
    walk.visit_checks("provision-records")
    walk.get("/console/pending")
    walk.visit_checks("pending")

    # The ledger: a real download, UTF-8 with a BOM so that Excel reads it.
    walk.get("/console/exports")
    walk.visit_checks("exports")
    driver.find_element(By.CSS_SELECTOR, 'form[action="/console/exports/ledger.csv"] button[type=submit]').click()
    deadline = time.time() + 30
    files = []
    while time.time() < deadline and not files:
        files = [f for f in glob.glob(os.path.join(walk.downloads, "*.csv"))]
        time.sleep(0.3)
    content = open(files[0], "rb").read() if files else b""
    walk.check(content.startswith(b"\xef\xbb\xbf"), "the ledger downloads as UTF-8 with a BOM")
    text = content.decode("utf-8-sig", errors="replace")
    walk.check("C-0001" in text and "FA1234" in text, "the ledger holds the resident and the copied dose")
    walk.check(all(n not in text for n in (MOVED_IN, MOVING_OUT, STAYING)), "the ledger holds no Individual Number")

    # 接種証明書: a SMART Health Card of the resident's doses (the copy from 札幌市 included).
    search(walk, "addressNumber", "C-0001")
    person_page = driver.current_url.replace(walk.base, "")
    walk.submit(person_page + "/certificates")
    scanned = decoded_qr(driver.find_element(By.ID, "certificate-qr"))
    walk.check(scanned.startswith("shc:/") and len(scanned) > 500 and scanned[5:].isdigit(),
               "the certificate's QR code scans as a SMART Health Card (shc:/ and digits): %r" % scanned[:40])
    walk.check(MOVED_IN not in driver.page_source, "the certificate page holds no Individual Number")
    walk.visit_checks("certificate-issued")
    walk.get(person_page)
    rows = walk.table("section[aria-labelledby=certificates]")
    walk.check(len(rows) == 1 and rows[0][2] == "bw.chiba.staff" and rows[0][3] == "有効", "the person page lists the certificate as 有効")
    walk.check(not driver.find_elements(By.CSS_SELECTOR, 'form[action$="/revoke"]'), "staff are offered no revocation")
    walk.sign_out()
    return person_page


def admin_revokes(walk, person_page):
    """The admin revokes the certificate staff issued; the person page says 失効."""
    walk.sign_in("bw.chiba.admin", "walk admin secret 2026")
    walk.get(person_page)
    form = walk.driver.find_element(By.CSS_SELECTOR, 'section[aria-labelledby=certificates] form[action$="/revoke"]')
    walk.submit(form.get_attribute("action").replace(walk.base, ""), confirm=True)
    walk.check("接種証明書を失効させました" in walk.driver.page_source, "the admin is told the certificate was revoked")
    rows = walk.table("section[aria-labelledby=certificates]")
    walk.check(len(rows) == 1 and rows[0][3].startswith("失効"), "the person page shows the certificate as 失効")
    walk.visit_checks("person-certificate-revoked")
    walk.sign_out()

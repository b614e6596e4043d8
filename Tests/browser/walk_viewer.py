"""The statistics part of the walk: an operator sees the national chart and creates a viewer of
北海道 (prefecture 01); the viewer signs in, lands on the statistics of its prefecture (the dose
札幌市 recorded, drawn as SVG by the server), reaches no other page, and is refused 東京都."""
import json, subprocess
from selenium.webdriver.common.by import By
from walk_support import API, individual_number, totp

# 札幌市's second week: (day, dose, how many), on top of sapporo_resident's first dose of 10-01.
WEEK = [("2026-10-02", 1, 3), ("2026-10-03", 1, 5), ("2026-10-05", 1, 2), ("2026-10-05", 2, 1), ("2026-10-06", 2, 4)]


def sapporo_week(api):
    """Registers and vaccinates more 札幌市 residents through the API, so the chart has days and doses to draw."""
    staff = api.sign_in("bw.sapporo.staff", "sapporo walk passphrase")
    n = 0
    for day, dose, count in WEEK:
        for _ in range(count):
            n += 1
            coupon = "%010d" % (200 + n)
            api.call("POST", "/v1/persons", staff, {
                "addressNumber": "S-%04d" % (100 + n), "personalNumber": individual_number("7013%07d" % n), "familyName": "札幌",
                "givenName": "次郎", "familyNameKana": "サッポロ", "givenNameKana": "ジロウ", "birthDate": "1950-01-0%d" % (1 + n % 9),
                "sex": "M" if n % 2 else "F", "coupon": {"couponNumber": coupon, "kind": 1}})
            for d in range(1, dose + 1):
                api.call("POST", "/v1/vaccinations", staff, {
                    "couponCode": "1%d011002%s" % (d, coupon), "vaccinatedOn": day if d == dose else "2026-09-01",
                    "product": "pfizer-comirnaty", "lotNumber": "FA1234", "siteName": "札幌市役所"})


def viewer_part(walk, vrs_bin, data_dir):
    driver = walk.driver
    sapporo_week(API(walk.base))
    created = json.loads(subprocess.check_output(
        [vrs_bin, "operator", "create", "--data-dir", data_dir, "--user-id", "bw.op3", "--json", "--log-level", "error"]))
    walk.sign_in("bw.op3", created["initialPassword"], totp(created["otpauthURL"]))
    walk.change_initial_password(created["initialPassword"], "third operator passphrase")
    walk.sign_in("bw.op3", "third operator passphrase", totp(created["otpauthURL"], 1))

    walk.get("/console/statistics")
    first = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.dose-1")
    second = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.dose-2")
    # First doses on 09-01 (of the second-dose people), 10-01, 02, 03, 05; second doses on 10-05 and 06.
    walk.check((len(first), len(second)) == (5, 2), "the national chart has a bar for each day and dose (%d, %d)" % (len(first), len(second)))
    rows = walk.table("main table")
    walk.check(["2026-10-05", "2", "1", "3"] in rows and ["2026-09-01", "5", "0", "5"] in rows,
               "the table under the chart gives each day's counts by dose")
    walk.visit_checks("statistics")

    walk.get("/console/viewers")
    walk.visit_checks("viewers")
    walk.fill("userId", "bw.hokkaido.viewer"); walk.fill("displayName", "北海道 保健福祉部")
    walk.select("prefecture", "01")
    walk.submit("/console/viewers")
    password = walk.text("initial-password").strip()
    walk.check(password != "" and "北海道" in driver.page_source, "the viewer's one-time password is shown once, with its scope")
    walk.get("/console/viewers")
    walk.check(["bw.hokkaido.viewer", "北海道 保健福祉部", "北海道", "初期パスワード"] == walk.table("main table")[0][:4],
               "the operator's list shows the new viewer, its scope and its initial-password state")
    walk.sign_out()

    walk.sign_in("bw.hokkaido.viewer", password)
    walk.change_initial_password(password, "hokkaido viewer passphrase")
    walk.sign_in("bw.hokkaido.viewer", "hokkaido viewer passphrase")
    walk.check(driver.current_url.endswith("/console/statistics"), "a viewer's home is the statistics of its scope")
    walk.check("北海道の日別" in driver.page_source and not driver.find_elements(By.ID, "prefecture"),
               "the page names the viewer's prefecture and offers no other")
    walk.check(len(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect")) > 7,
               "the viewer of 北海道 sees 札幌市's doses in the chart")
    links = {a.get_attribute("href").split("/console")[-1] for a in driver.find_elements(By.CSS_SELECTOR, "nav.menu a")}
    walk.check(links == {"/statistics"}, "the viewer's menu offers the statistics only (%s)" % sorted(links))
    walk.visit_checks("statistics-viewer")
    walk.get("/console/persons")
    walk.check("権限がありません" in driver.page_source, "a personal page refuses the viewer")
    walk.get("/console/statistics?prefecture=13")
    walk.check("閲覧できません" in driver.page_source, "another prefecture is refused")
    walk.sign_out()

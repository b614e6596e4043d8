"""The statistics part of the walk: an operator sees the national chart and creates a viewer of
北海道 (prefecture 01); the viewer signs in, lands on the statistics of its prefecture (the dose
札幌市 recorded, drawn as SVG by the server), reaches no other page, and is refused 東京都."""
import json, subprocess
from selenium.webdriver.common.by import By
from walk_support import totp


def viewer_part(walk, vrs_bin, data_dir):
    driver = walk.driver
    created = json.loads(subprocess.check_output(
        [vrs_bin, "operator", "create", "--data-dir", data_dir, "--user-id", "bw.op3", "--json", "--log-level", "error"]))
    walk.sign_in("bw.op3", created["initialPassword"], totp(created["otpauthURL"]))
    walk.change_initial_password(created["initialPassword"], "third operator passphrase")
    walk.sign_in("bw.op3", "third operator passphrase", totp(created["otpauthURL"], 1))

    walk.get("/console/statistics")
    bars = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.dose-1")
    walk.check(len(bars) == 1, "the operator's national chart has one bar: the day 札幌市 recorded a first dose")
    walk.check(["2026-10-01", "1", "1"] in walk.table("main table"), "the table under the chart gives that day's count")
    walk.visit_checks("statistics")

    walk.get("/console/viewers")
    walk.visit_checks("viewers")
    walk.fill("userId", "bw.hokkaido.viewer"); walk.fill("displayName", "北海道 保健福祉部")
    walk.select("prefecture", "01")
    walk.submit("/console/viewers")
    password = walk.text("initial-password").strip()
    walk.check(password != "" and "北海道" in driver.page_source, "the viewer's one-time password is shown once, with its scope")
    walk.sign_out()

    walk.sign_in("bw.hokkaido.viewer", password)
    walk.change_initial_password(password, "hokkaido viewer passphrase")
    walk.sign_in("bw.hokkaido.viewer", "hokkaido viewer passphrase")
    walk.check(driver.current_url.endswith("/console/statistics"), "a viewer's home is the statistics of its scope")
    walk.check(len(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.dose-1")) == 1,
               "the viewer of 北海道 sees 札幌市's dose in the chart")
    links = {a.get_attribute("href").split("/console")[-1] for a in driver.find_elements(By.CSS_SELECTOR, "nav.menu a")}
    walk.check(links == {"/statistics"}, "the viewer's menu offers the statistics only (%s)" % sorted(links))
    walk.visit_checks("statistics-viewer")
    walk.get("/console/persons")
    walk.check("権限がありません" in driver.page_source, "a personal page refuses the viewer")
    walk.get("/console/statistics?prefecture=13")
    walk.check("閲覧できません" in driver.page_source, "another prefecture is refused")
    walk.sign_out()

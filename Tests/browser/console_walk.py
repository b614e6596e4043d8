#!/usr/bin/env python3
"""The staff console in a real headless Chromium (Selenium), against a live `vrs serve`.

Walks the console as its four kinds of users would, each in their own session:
  operator  first sign-in with TOTP and the forced password change; provisions 千葉市 after seeing
            its official name; a form without its CSRF token is refused and changes nothing;
            creates 千葉市's first admin; after sign-out, Back shows no data.
  admin     first sign-in; a staff account (created, locked, unlocked); a tablet issued (its token
            and QR code shown once, the QR read from the page's pixels) and revoked; the audit log.
  staff     a CP932 target file with one wrong check digit (refused whole, line and column shown),
            then the corrected one (counts); search by 個人番号 (never in the URL or on the page);
            転出; 接種記録照会 to 札幌市 (found, copied) and a batch; provision records; the
            ledger downloaded (UTF-8 BOM, no Individual Number); a SMART Health Card issued, its QR
            code read from the page; the admin revokes it.
  viewer    an operator sees the national statistics chart and creates a viewer of 北海道; the
            viewer lands on its prefecture's chart, reaches no personal page, and is refused 東京都.
Runs axe-core on every page visited and fails on serious or critical violations. With
CONSOLE_SCREENSHOTS=DIR it saves a screenshot of each page there (1280 wide, whole page).

Usage: console_walk.py BASE_URL PUBLIC_BASE_URL DATA_DIR VRS_BIN
"""
import os, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from walk_support import API, Walk
from walk_operator import operator_part
from walk_admin import admin_part
from walk_staff import admin_revokes, sapporo_resident, staff_part
from walk_viewer import viewer_part

base, public_base, data_dir, vrs_bin = sys.argv[1:5]
work = tempfile.mkdtemp(prefix="vrs-walk.")
walk = Walk(base, downloads=os.path.join(work, "downloads"))
try:
    admin_password = operator_part(walk, vrs_bin, data_dir, os.environ.get("WALK_OP", "bw.op"))
    sapporo_resident(API(base), vrs_bin, data_dir)
    staff_password = admin_part(walk, admin_password, public_base)
    person_page = staff_part(walk, staff_password, work)
    admin_revokes(walk, person_page)
    viewer_part(walk, vrs_bin, data_dir)

    walk.driver.set_window_size(420, 800)
    walk.get("/console/sign-in")
    wide = walk.driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1")
    walk.check(not wide, "the sign-in page fits a narrow window")
finally:
    walk.quit()

if walk.failures:
    print("%d check(s) failed" % len(walk.failures))
    sys.exit(1)
print("console walk: all checks passed")

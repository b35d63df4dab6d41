#!/usr/bin/python3
"""The dashboard in a real browser: Debian's headless Chromium, driven by
Selenium, against a real tripdeskd. A supervisor signs in (the token never in
a URL nor readable by the page), sees a case the CLI just created appear live
on the queue board, opens it with its timeline, downloads the tracker CSV; a
dashboard role sees the customer's email masked and may not export; every
page is screenshot, on a laptop and on a phone.

Usage: dashboard_test.py TRIPDESKD TRIPDESK_CLI SCREENSHOT_DIR
"""
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

TRIPDESKD, CLI, SHOTS = sys.argv[1:4]
del sys.argv[1:4]


def day(offset):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset)).strftime("%Y-%m-%d")


class Server:
    def __init__(self, work):
        self.data = os.path.join(work, "data")
        self.log = os.path.join(work, "tripdeskd.log")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [TRIPDESKD, f"--data_dir={self.data}", "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0"],
                stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):
            text = open(self.log).read()
            serving = re.search(r"serving on port (\d+)", text)
            if serving:
                self.port = int(serving.group(1))
                self.http_port = int(re.search(r"dashboard and /metrics on http://[^:]+:(\d+)/", text).group(1))
                return
            if self.process.poll() is not None:
                raise RuntimeError("tripdeskd did not start:\n" + text)
            time.sleep(0.05)
        raise RuntimeError("tripdeskd did not say where it listens")

    def token(self, role):
        with open(os.path.join(self.data, "dev", "tokens", role + ".jwt")) as f:
            return f.read().strip()

    def cli(self, *args, role="agent"):
        out = subprocess.run([CLI, f"--server=127.0.0.1:{self.port}", f"--dev_dir={self.data}/dev",
                              f"--as={role}", *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"tripdesk {' '.join(args)} failed: {out.stdout}{out.stderr}")
        return out.stdout

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def open_car(server, case_id, name, email, queue, company="Acme", days=7):
    pick = f"{day(days)}T17:00:00Z"
    drop = f"{day(days + 3)}T17:00:00Z"
    place = lambda which, at: [f"--{which}.location={'LAX' if which == 'pick_up' else 'SFO'}",
                               f"--{which}.time={at}", f"--{which}.zone=America/Los_Angeles"]
    server.cli("case", "open", f"--case_id={case_id}", "--channel=email", f"--customer.name={name}",
               f"--customer.email={email}", f"--traveller_name={name}", f"--client_company={company}",
               f"--ticket_ref=FD-{case_id}", f"--queue={queue}", "--requested_car=Intermediate SUV",
               *place("pick_up", pick), *place("drop_off", drop))
    return pick, drop


def book_to_tracker(server, case_id, pick, drop):
    """The README's car booking walkthrough, to its tracker row and fee."""
    place = lambda which, at: [f"--{which}.location={'LAX' if which == 'pick_up' else 'SFO'}",
                               f"--{which}.time={at}", f"--{which}.zone=America/Los_Angeles"]
    c = case_id
    server.cli("case", "identify_car", c, "--car_class=IFAR", "--car_model=Toyota RAV4",
               "--demo_trip_id=DEMO-7", *place("pick_up", pick), *place("drop_off", drop))
    server.cli("case", "record_il_check", c, "--available=false", "--il_search_ref=IL-991")
    server.cli("case", "decide_tech_spoc_approval", c, "--approved", role="tech_spoc")
    server.cli("case", "record_vendor_search", c, "--source=gds", "--vendor_code=ZE", "--car_class=IFAR",
               "--rate=USD 320.00")
    server.cli("case", "send_quote", c, "--amount=USD 450.00", "--approver_email=approver@acme.example")
    server.cli("case", "record_customer_response", c, "--response=accepted")
    server.cli("case", "confirm_booking", c, "--platform=options_travel", "--vendor_code=ZE",
               "--manual_reservation_code=2220947", f"--confirmation_number=K{c}Q7",
               "--corporate_discount_id=CDP-55", "--billing_number=BN-123", "--membership_details=Gold 9876")
    server.cli("case", "create_voucher", c, "--voucher_number=V-1")
    server.cli("case", "verify_booking", c, "--trip_id=TRIP-9", "--vendor_code=ZE", "--driver_name=Steven Peters")
    server.cli("case", "file_mis", c, "--billing=bill_to_client_company", "--mis_reference=MIS-4")
    server.cli("case", "send_confirmation_email", c)
    server.cli("case", "mark_all_vouchers_sent", c)
    server.cli("case", "close_ticket", c, "--notes=booked offline, vouchers sent", "--transfer_to_us_queue")
    server.cli("case", "update_tracker", c, "--tracker_ref=ROW-77")
    server.cli("case", "charge_service_fee", c)


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tripdesk-browser-")
        cls.downloads = os.path.join(cls.work, "downloads")
        os.makedirs(cls.downloads)
        os.makedirs(SHOTS, exist_ok=True)
        cls.server = Server(cls.work)
        pick, drop = open_car(cls.server, "C42", "Steven Peters", "sp@example.com", "Support")
        book_to_tracker(cls.server, "C42", pick, drop)
        open_car(cls.server, "C43", "Zoe Brandt", "zb@example.com", "Support", company="Globex", days=9)
        open_car(cls.server, "C44", "Anna Muller", "am@example.com", "Escalations", days=12)
        cls.server.cli("case", "add_note", "C43", "--text=Customer prefers an SUV; called back at 10:00")
        cls.server.cli("case", "assign", "C44", "--agent=bob", role="supervisor")
        seg = lambda n, o, d, at: ('{"airline":"AZ","flight_number":"%s","origin":"%s","destination":"%s",'
                                   '"departure":"%s"}' % (n, o, d, at))
        cls.server.cli("case", "open", "--workflow=flight_change", "--case_id=FC1", "--booking_reference=AB12CD",
                       "--customer.name=Giulia Rossi", "--customer.email=giulia@example.com", "--fare_family=CLASSIC",
                       f"--itinerary.segments={seg(2010, 'FCO', 'LIN', day(14) + 'T07:00')}",
                       f"--itinerary.segments={seg(2037, 'LIN', 'FCO', day(16) + 'T19:00')}",
                       "--itinerary.fare=EUR 180.00", "--itinerary.taxes=EUR 40.00",
                       "--ticket_numbers=0551234567890")
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1366,900"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {"download.default_directory": cls.downloads,
                                                  "download.prompt_for_download": False})
        cls.browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        cls.browser.set_page_load_timeout(30)
        cls.base = f"http://127.0.0.1:{cls.server.http_port}/"

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def wait(self, condition, seconds=10):
        return WebDriverWait(self.browser, seconds, poll_frequency=0.05).until(condition)

    def text_appears(self, text, seconds=10):
        self.wait(lambda b: text in b.find_element(By.ID, "main").text, seconds)

    def shoot(self, name):
        self.browser.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def sign_in(self, role):
        b = self.browser
        b.delete_all_cookies()
        b.get(self.base)
        self.wait(EC.visibility_of_element_located((By.ID, "token"))).send_keys(self.server.token(role))
        b.find_element(By.CSS_SELECTOR, "#signin button").click()
        self.wait(EC.visibility_of_element_located((By.ID, "nav")))
        self.text_appears("Queue board")

    def test_1_supervisor_sees_a_new_case_live_opens_it_and_downloads_the_tracker(self):
        b = self.browser
        self.sign_in("supervisor")
        self.assertNotIn(self.server.token("supervisor"), b.current_url)
        # The session cookie is HttpOnly: the page's scripts cannot read it.
        self.assertEqual(b.execute_script("return document.cookie"), "")
        self.assertEqual(b.execute_script("return sessionStorage.length + localStorage.length"), 0)
        self.assertIn("sue (supervisor)", b.find_element(By.ID, "who").text)
        self.text_appears("C43")
        self.wait(lambda b: "live on" in b.find_element(By.ID, "live").get_attribute("class"))
        # A case created by the CLI appears without a reload.
        b.execute_script("window.__notReloaded = true")
        started = time.monotonic()
        open_car(self.server, "C77", "Li Wei", "li.wei@example.com", "Support", days=20)
        self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-case="C77"]')), 10)
        print(f"live: C77 on the queue board {time.monotonic() - started:.2f} s after the CLI started",
              file=sys.stderr)
        self.assertTrue(b.execute_script("return window.__notReloaded === true"))
        self.shoot("queue-board")

        # The case page: its view, timeline (who, role), notes, deadlines.
        b.find_element(By.LINK_TEXT, "C42").click()
        self.text_appears("Timeline")
        self.text_appears("Case C42")
        self.wait(lambda b: "tech_spoc" in b.find_element(By.ID, "main").text)
        main = b.find_element(By.ID, "main").text
        self.assertIn("sp@example.com", main)  # a supervisor reads the customer's email
        self.assertIn("CarRequestReceived", main)
        self.shoot("case-page")
        b.get(self.base + "#/case/C43")
        self.text_appears("Customer prefers an SUV")

        # The tracker, filtered, and its CSV.
        b.get(self.base + f"#/tracker?fromDate={day(-1)}&toDate={day(1)}&clientCompany=Acme")
        self.text_appears("KC42Q7")
        self.shoot("tracker")
        b.find_element(By.ID, "tracker-csv").click()
        csv = os.path.join(self.downloads, "tracker.csv")
        self.wait(lambda _: os.path.exists(csv) and os.path.getsize(csv) > 0, 15)
        with open(csv) as f:
            content = f.read()
        self.assertIn("C42", content)
        self.assertIn("KC42Q7", content)

        # Every other page renders without an error.
        for name, path, expect in [("rv-availability", "#/rv", "units free"),
                                   ("fleet", "#/fleet", "None awaiting approval."),
                                   ("flight-changes", "#/changes", "FC1"),
                                   ("customer-timeline", "#/customer?customer=sp%40example.com", "C42"),
                                   ("audit", "#/audit?caseId=C42", "Verify hash chain")]:
            b.get(self.base + path)
            self.text_appears(expect)
            self.assertEqual(b.find_elements(By.CSS_SELECTOR, "#main .error"), [], name)
            self.shoot(name)

        # The auditor's tools on the page: verify the chain, replay at a revision.
        b.find_element(By.ID, "verify").click()
        self.wait(lambda b: "every record and link checks out" in b.find_element(By.ID, "main").text, 20)
        b.find_element(By.ID, "audit-revision").send_keys("3")
        b.find_element(By.ID, "replay").click()
        self.text_appears("at revision 3")
        self.shoot("audit-replay")

    def test_2_dashboard_role_sees_masked_fields_and_cannot_export(self):
        b = self.browser
        self.sign_in("dashboard")
        b.get(self.base + "#/case/C42")
        self.text_appears("Customer")
        self.wait(lambda b: "@example.com" in b.find_element(By.ID, "main").text)
        main = b.find_element(By.ID, "main").text
        self.assertNotIn("sp@example.com", main)
        self.assertIn("s***@example.com", main)
        self.assertIn("for supervisors and auditors", main)
        self.assertFalse(b.find_element(By.CSS_SELECTOR, 'a[data-view="audit"]').is_displayed())
        self.shoot("case-page-dashboard-role")
        b.get(self.base + "#/tracker")
        self.assertFalse(self.wait(EC.presence_of_element_located((By.ID, "tracker-csv"))).is_enabled())
        # A command through the API with the session is refused as over gRPC.
        b.set_script_timeout(10)
        status = b.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/api/session').then(r => r.json()).then(s => fetch(
              '/api/v1/tripdesk.v1.CaseService/SubmitCommand', {method: 'POST',
               headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrfToken},
               body: JSON.stringify({caseId: 'C43', command: {common: {addNote: {text: 'x'}}}})}))
              .then(r => done(r.status));""")
        self.assertEqual(status, 403)

    def test_3_the_queue_board_reads_on_a_phone(self):
        b = self.browser
        self.sign_in("agent")
        b.set_window_size(390, 844)
        try:
            b.get(self.base + "#/queue")
            self.text_appears("C42")
            # The page itself never scrolls sideways; wide tables scroll in their box.
            self.assertLessEqual(b.execute_script("return document.documentElement.scrollWidth"),
                                 b.execute_script("return window.innerWidth") + 1)
            self.shoot("queue-board-phone")
        finally:
            b.set_window_size(1366, 900)


if __name__ == "__main__":
    unittest.main(verbosity=2)

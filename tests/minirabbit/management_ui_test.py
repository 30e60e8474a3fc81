"""Issue 23: RabbitMQ's own management UI (the files Debian's rabbitmq-server package installs),
served by minirabbit with --management-ui and driven in headless Chromium: log in as guest, and
each tab - Overview, Connections, Channels, Exchanges, Queues - renders what a pika client made,
with no JavaScript error; a message published from a queue's page (Publish message) comes back
from Get messages and from pika's basic.get. Skipped (not failed) when Chromium, chromedriver, Selenium or the UI
files are missing; scripts/install-deps.sh installs them all, so CI runs it."""
import json
import os
import shutil
import subprocess
import unittest

import pika

import tap
from servers import Server

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    webdriver = None


def ui_directory():
    """Where Debian's rabbitmq-server put the management plugin's priv/www (found, not hard-coded)."""
    try:
        files = subprocess.run(["dpkg", "-L", "rabbitmq-server"], capture_output=True, text=True).stdout.split()
    except OSError:
        return None
    pages = [f for f in files if f.endswith("/priv/www/index.html") and "rabbitmq_management-" in f]
    return os.path.dirname(pages[0]) if pages else None


CHROMEDRIVER = shutil.which("chromedriver")
UI = ui_directory()


@unittest.skipUnless(webdriver and CHROMEDRIVER and shutil.which("chromium"), "chromium/chromedriver/selenium missing")
@unittest.skipUnless(UI, "rabbitmq-server's management UI files are not installed")
class ManagementUi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Samples every 200 ms rather than 5 s: the charts have lines within seconds (test_rate_charts...).
        cls.server = Server("MINIRABBIT_BIN", "--admin-port", "0", "--management-ui", UI,
                            "--collect-statistics-interval", "200")
        cls.amqp = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=cls.server.port))
        channel = cls.amqp.channel()
        channel.exchange_declare("ui-test-exchange", "topic")
        channel.queue_declare("ui-test-queue")
        for i in range(3):
            channel.basic_publish("", "ui-test-queue", b"message %d" % i)
        channel.queue_declare("ui-publish-queue")  # filled from the UI itself (test_publish_and_get)
        consumer_channel = cls.amqp.channel()
        consumer_channel.queue_declare("ui-consumed-queue")
        consumer_channel.basic_consume("ui-consumed-queue", lambda *a: None)
        cls.amqp.process_data_events(0)
        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--user-data-dir=" + os.path.join(cls.server.dir, "chromium")):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.base = f"http://127.0.0.1:{cls.server.admin_port}/"
        cls.browser.get(cls.base)
        wait = WebDriverWait(cls.browser, 30)
        wait.until(lambda b: b.find_elements(By.NAME, "username"))
        cls.browser.find_element(By.NAME, "username").send_keys("guest")
        cls.browser.find_element(By.NAME, "password").send_keys("guest\n")
        wait.until(lambda b: "Global counts" in b.find_element(By.TAG_NAME, "body").text)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.amqp.close()
        cls.server.close()

    def open_tab(self, fragment, expected_text):
        """Opens a tab and waits until its rendered DOM shows `expected_text`; returns that text."""
        self.browser.get(self.base + fragment)
        text = {}

        def shows(browser):
            main = browser.find_elements(By.ID, "main")
            text["main"] = main[0].text if main else ""
            return expected_text in text["main"]

        try:
            WebDriverWait(self.browser, 20).until(shows)
        finally:
            errors = [e["message"] for e in self.browser.get_log("browser")
                      if "Uncaught" in e["message"] or "status of 4" in e["message"] or "status of 5" in e["message"]]
            self.assertEqual(errors, [], fragment)
        return text["main"]

    def test_overview(self):
        # Waits for the totals, not the node name: the page before (the node's) shows that too.
        main = self.open_tab("#/", "Queues: 3")
        self.assertIn("minirabbit@localhost", main)
        self.assertIn("Consumers: 1", main)

    def test_queues_tab_shows_the_declared_queue_with_its_depth(self):
        self.open_tab("#/queues", "ui-test-queue")
        row = self.browser.find_element(By.XPATH, "//tr[.//a[normalize-space()='ui-test-queue']]")
        cells = [td.text.strip() for td in row.find_elements(By.TAG_NAME, "td")]
        # Name, Type, Features, State, then Ready, Unacked, Total.
        self.assertEqual(cells[:2] + cells[3:7], ["ui-test-queue", "classic", "running", "3", "0", "3"], cells)

    def test_queue_page(self):
        main = self.open_tab("#/queues/%2F/ui-consumed-queue", "Consumers (1)")
        self.assertIn("Bindings (1)", main)

    def test_publish_and_get_a_message_from_the_queue_page(self):
        """Queues > a queue > Publish message, then Get messages: the UI's POST .../publish (to the
        default exchange, routed by the queue's name) and POST .../get (ackmode "Nack message requeue
        true", so the message stays) against minirabbit."""
        payload = "typed into RabbitMQ's UI"
        self.open_tab("#/queues/%2F/ui-publish-queue", "Publish message")
        main = self.browser.find_element(By.ID, "main")

        def section(title):  # the UI's collapsible sections open when their <h2> is clicked
            h2 = main.find_element(By.XPATH, f".//div[contains(@class,'section')]/h2[normalize-space()='{title}']")
            box = h2.find_element(By.XPATH, "..")
            if not box.find_element(By.CLASS_NAME, "hider").is_displayed():
                h2.click()
            WebDriverWait(self.browser, 10).until(lambda b: box.find_element(By.CLASS_NAME, "hider").is_displayed())
            return box

        publish = section("Publish message")
        publish.find_element(By.NAME, "payload").send_keys(payload)
        button = publish.find_element(By.CSS_SELECTOR, "input[type=submit][value='Publish message']")
        WebDriverWait(self.browser, 10).until(lambda b: button.is_displayed() and button.rect["height"] > 0)
        button.click()
        WebDriverWait(self.browser, 10).until(
            lambda b: "Message published." in b.find_element(By.TAG_NAME, "body").text)
        self.assertNotIn("not routed", self.browser.find_element(By.TAG_NAME, "body").text)
        self.browser.execute_script("$('.form-popup-info').remove()")  # the popup would cover the next button

        get = section("Get messages")
        button = get.find_element(By.CSS_SELECTOR, "input[type=submit][value='Get Message(s)']")
        WebDriverWait(self.browser, 10).until(lambda b: button.is_displayed() and button.rect["height"] > 0)
        button.click()
        WebDriverWait(self.browser, 10).until(lambda b: payload in b.find_element(By.ID, "msg-wrapper").text)
        shown = self.browser.find_element(By.ID, "msg-wrapper").text
        self.assertIn("ui-publish-queue", shown)  # the routing key: the default exchange routes by queue name
        errors = [e["message"] for e in self.browser.get_log("browser") if "Uncaught" in e["message"]]
        self.assertEqual(errors, [])
        # Requeued by the UI's get, so an AMQP client finds the very message the UI published.
        method, _, body = self.amqp.channel().basic_get("ui-publish-queue", auto_ack=True)
        self.assertIsNotNone(method)
        self.assertEqual(body.decode(), payload)

    def plotted(self, chart):
        """The y values of each line flot drew in `chart` (the UI keeps the plot in jQuery's data)."""
        return self.browser.execute_script(
            "var p = $('#chart-' + arguments[0]).data('plot');"
            "return p ? p.getData().map(function (s) { return s.data.map(function (d) { return d[1]; }); }) : null;",
            chart)

    def test_rate_charts_draw_lines(self):
        """The Overview's "Queued messages" and "Message rates" charts and a queue page's "Queued
        messages" chart are lines drawn from the samples in the "_details" objects (two points need
        one chart step, 5 s, of history; the UI redraws every 5 s)."""
        def lines(chart, wanted=lambda ys: True):
            def drawn(browser):
                series = self.plotted(chart)
                return series if series and any(len(ys) >= 2 and wanted(ys) for ys in series) else None
            return WebDriverWait(self.browser, 30).until(drawn)

        self.open_tab("#/", "Queued messages")
        lines("lengths-over", lambda ys: ys[0] > 0)  # three messages wait in ui-test-queue, at least
        lines("msg-rates-over")
        self.open_tab("#/queues/%2F/ui-test-queue", "Queued messages")
        lines("lengths-q", lambda ys: ys[:2] == [3, 3])  # Ready (and Total): the three published at the start

    def test_exchanges_tab(self):
        self.assertIn("topic", self.open_tab("#/exchanges", "ui-test-exchange"))

    def test_connections_and_channels_tabs(self):
        status = json.loads(urlopen_json(self.base + "api/connections"))
        name = status[0]["name"]
        self.assertIn("guest", self.open_tab("#/connections", name))
        self.open_tab("#/channels", name + " (2)")

    def test_nodes_page(self):
        self.open_tab("#/nodes/minirabbit%40localhost", "File descriptors")


def urlopen_json(url):
    import base64
    import urllib.request
    request = urllib.request.Request(url)
    request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


if __name__ == "__main__":
    tap.main()

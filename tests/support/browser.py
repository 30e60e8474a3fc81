"""Load a page in a real browser - headless Chromium (Debian's `chromium`) - and return the DOM as
the page's JavaScript left it. The live pages on the admin ports are drawn by JavaScript from JSON
they poll, so fetching their HTML proves little; this runs the script.

    dom = render(f"http://127.0.0.1:{admin_port}/#watch=k")   # None if chromium is not installed

--virtual-time-budget lets the page's timers and fetches run for that much *virtual* time, then
--dump-dom prints the document: no sleeping in the test, and no screenshot to compare."""
import shutil
import subprocess
import tempfile

CHROMIUM = shutil.which("chromium")


def render(url, budget_ms=2500, timeout=60):
    if not CHROMIUM:
        return None
    # A profile of its own: parallel tests (and a user's browser) each lock theirs.
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", f"--user-data-dir={profile}",
             f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout

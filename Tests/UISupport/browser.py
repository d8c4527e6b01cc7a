"""Drives Debian's headless chromium (chromium-driver, selenium from `make selenium`) through the
`ftx ui` pages for Tests/CLITests/UIBrowserTests.swift.

usage: browser.py < PLAN.json      (or browser.py PLAN.json)
PLAN is {"screenshots": DIR or null, "steps": [STEP, ...]}; every step runs in one browser session
and its result is one entry of the JSON list printed on stdout; the Swift test asserts on it.

Steps ("op"):
  crawl   {"start": URL, "also": [URL], "max_pages": N, "prefix": P}: loads `start` and `also`, then every page it links to under the same
          root (http: same host and port; file: under the start page's folder), each path once.
          Per page: console errors (SEVERE browser log entries), `polyline.series` count (all, and
          per svg), the text (first 6000 characters), the
          screenshot's distinct colours (saved as DIR/P<path>.png: index.html → Pindex.png). Every link, image, stylesheet and script of every page is
          resolved: http(s) by its status, file:// by the file's existence, `#id` by the id on the page.
  sort    {"url": URL, "header": TEXT, "clicks": N}: clicks the table header cell named TEXT (its
          link or button when it holds one) N times and reports the table after each click.
  filter  {"url": URL, "text": TEXT}: types TEXT into the filter box (form.filter's text input, or
          input[name=where]), presses Enter, and reports the table and any error shown.
  pick    {"url": URL, "count": N, "boxes": CSS, "button": CSS}: ticks the first N boxes (input.pick),
          clicks the button (#compare), and reports where it led (url, curves, table, alerts).
  keys    {"url": URL, "tabs": N}: presses Tab N times and reports what has the focus.
"""
import base64, json, os, sys, time, urllib.error, urllib.parse, urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

CHROMIUM = os.environ.get("FTX_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("FTX_CHROMEDRIVER", "/usr/bin/chromedriver")
WIDTH, HEIGHT = 1200, 800


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
              f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=o, service=Service(executable_path=DRIVER))
    d.set_page_load_timeout(20)
    return d


def console_errors(d):
    """SEVERE entries of the browser log since the last call (the log is drained as it is read)."""
    return [e.get("message", "") for e in d.get_log("browser") if e.get("level") == "SEVERE"]


# Distinct colours of a PNG, counted by the browser itself (a canvas), so no image library is needed.
COUNT_COLOURS = """
const [b64, done] = arguments;
const img = new Image();
img.onload = () => {
  const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < px.length && seen.size < 4096; i += 4) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
  done({colours: seen.size, width: img.width, height: img.height});
};
img.onerror = () => done({colours: 0, error: 'not a PNG'});
img.src = 'data:image/png;base64,' + b64;
"""


def screenshot(d, name, folder):
    png = d.get_screenshot_as_base64()
    info = d.execute_async_script(COUNT_COLOURS, png)
    if folder:
        path = os.path.join(folder, name + ".png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))
        info["path"] = path
    return info


# Every reference of the page: links, images, stylesheets, scripts; `raw` as written, `url` resolved.
REFS = """
const out = [];
for (const [sel, attr] of [['a[href]', 'href'], ['img[src]', 'src'], ['link[href]', 'href'], ['script[src]', 'src']])
  for (const e of document.querySelectorAll(sel)) out.push({raw: e.getAttribute(attr), url: e[attr]});
return out;
"""


def resolve(ref, d):
    """(ok, detail) for one reference of the page now loaded."""
    raw, url = ref["raw"], ref["url"]
    if raw.startswith("#"):
        ok = raw == "#" or d.execute_script("return document.getElementById(arguments[0]) !== null", urllib.parse.unquote(raw[1:]))
        return ok, "anchor"
    u = urllib.parse.urlsplit(url)
    if u.scheme in ("http", "https"):
        try:
            with urllib.request.urlopen(urllib.request.Request(url), timeout=20) as r:
                r.read(1 << 20)
                return r.status < 400, r.status
        except urllib.error.HTTPError as e:
            return False, e.code
        except Exception as e:  # refused, reset, timeout: the link does not resolve
            return False, str(e)
    if u.scheme == "file":
        path = urllib.parse.unquote(u.path)
        return os.path.isfile(path), "file" if os.path.isfile(path) else "missing"
    if u.scheme in ("data", "mailto"):
        return True, u.scheme
    return False, "scheme " + u.scheme


def table(d):
    """The page's table (#runs, else the first in main): header texts and each shown row's cell texts."""
    return d.execute_script("""
      const t = document.querySelector('#runs') || document.querySelector('main table');
      if (!t) return null;
      const head = [...t.querySelectorAll('thead th, tr:first-child th')].map(h => h.innerText.trim());
      const rows = [...t.querySelectorAll('tbody tr')].filter(r => r.querySelector('td') && r.offsetParent !== null)
        .map(r => [...r.querySelectorAll('td, th')].map(c => c.innerText.trim()));
      return {headers: head, rows: rows};
    """)


def settle(d, before, old, timeout=5):
    """Waits until the element `old` went stale (a navigation) or the table changed (a script), then
    for the document to finish loading."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            old.tag_name
            if table(d) != before:
                break
        except StaleElementReferenceException:
            break
        except WebDriverException:  # the page is being replaced
            pass
        time.sleep(0.05)
    while time.time() < end and d.execute_script("return document.readyState") != "complete":
        time.sleep(0.05)


def page_state(d):
    return {"url": d.current_url, "title": d.title, "table": table(d),
            "alerts": [e.text for e in d.find_elements(By.CSS_SELECTOR, "[role=alert], .error") if e.text.strip()],
            "console_errors": console_errors(d)}


def same_root(url, root):
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(root)
    if a.scheme != b.scheme or a.netloc != b.netloc:
        return False
    return a.scheme != "file" or a.path.startswith(b.path.rsplit("/", 1)[0] + "/")


def shot_name(url, start):
    """A file name for a page's screenshot: its path below the root, `/` and `,` as `-`, no `.html`
    (index.html → index, run/3f2a9c1b0e77.html → run-3f2a9c1b0e77)."""
    root = urllib.parse.urlsplit(start).path.rsplit("/", 1)[0] + "/"
    path = urllib.parse.urlsplit(url).path
    rel = path[len(root):] if path.startswith(root) else path.lstrip("/")
    rel = rel[:-5] if rel.endswith(".html") else rel
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in rel) or "index"


def is_page(url):
    path = urllib.parse.urlsplit(url).path
    return path.endswith(".html") or path.endswith("/")


def crawl(d, step, shots):
    start, limit = step["start"], step.get("max_pages", 50)
    queue, seen_paths, checked = [start] + step.get("also", []), set(), {}
    pages, bad = [], []
    while queue and len(pages) < limit:
        url = queue.pop(0)
        key = urllib.parse.urlsplit(url)._replace(query="", fragment="").geturl()
        if key in seen_paths:
            continue
        seen_paths.add(key)
        console_errors(d)  # drop what an earlier page left
        d.get(url)
        refs = d.execute_script(REFS)
        name = step.get("prefix", "") + shot_name(url, start)
        page = {"url": d.current_url, "title": d.title, "refs": len(refs),
                "polylines": len(d.find_elements(By.CSS_SELECTOR, "polyline.series")),
                "charts": d.execute_script("return [...document.querySelectorAll('svg')].map(s => s.querySelectorAll('polyline.series').length)"),
                "text": d.execute_script("return document.body ? document.body.innerText.slice(0, 6000) : ''"),
                "h1": [e.text for e in d.find_elements(By.CSS_SELECTOR, "h1")],
                "screenshot": screenshot(d, name, shots)}
        for ref in refs:
            target = ref["url"]
            k = (target if not ref["raw"].startswith("#") else url + ref["raw"])
            if k not in checked:
                checked[k] = resolve(ref, d)
                ok, detail = checked[k]
                if not ok:
                    bad.append({"page": url, "href": ref["raw"], "url": target, "detail": detail})
            if ref["raw"].startswith("#") or not checked[k][0] or not same_root(target, start) or not is_page(target):
                continue
            queue.append(urllib.parse.urlsplit(target)._replace(fragment="").geturl())
        page["console_errors"] = console_errors(d)
        pages.append(page)
    return {"op": "crawl", "pages": pages, "links_checked": len(checked), "bad_links": bad, "unvisited": len(queue)}


def header_cell(d, name):
    """The main table's header cell named `name` (case-insensitive; exact, else the first that starts so)."""
    cells = d.find_elements(By.CSS_SELECTOR, "#runs th") or d.find_elements(By.CSS_SELECTOR, "main table th")
    texts = [c.text.strip().lower() for c in cells]
    for i, t in enumerate(texts):
        if t == name.lower() or t.rstrip(" ▲▼↑↓") == name.lower():
            return cells[i]
    return next((c for c, t in zip(cells, texts) if t.startswith(name.lower())), None)


def sort(d, step):
    d.get(step["url"])
    console_errors(d)
    first = table(d)
    orders = []
    for _ in range(step.get("clicks", 1)):
        before = table(d)
        cell = header_cell(d, step["header"])
        if cell is None:
            return {"op": "sort", "error": "no header named " + step["header"], "before": first}
        inner = cell.find_elements(By.CSS_SELECTOR, "a, button")
        (inner[0] if inner else cell).click()
        settle(d, before, cell)
        orders.append(page_state(d))
    return {"op": "sort", "before": first, "after": orders}


def filter_(d, step):
    d.get(step["url"])
    console_errors(d)
    before = table(d)
    boxes = d.find_elements(By.CSS_SELECTOR, "form.filter input[type=text], input[name=where]")
    if not boxes:
        return {"op": "filter", "error": "no filter box (form.filter input[type=text] or input[name=where])"}
    box = boxes[0]
    box.clear()
    box.send_keys(step["text"] + Keys.ENTER)
    settle(d, before, box)
    return {"op": "filter", "before": before, **page_state(d)}


def pick(d, step):
    d.get(step["url"])
    console_errors(d)
    boxes = d.find_elements(By.CSS_SELECTOR, step.get("boxes", "input.pick"))[:step["count"]]
    for b in boxes:
        b.click()
    button = d.find_elements(By.CSS_SELECTOR, step.get("button", "#compare"))
    if len(boxes) < step["count"] or not button:
        return {"op": "pick", "error": f"{len(boxes)} boxes, {len(button)} buttons"}
    picked, before, old = [b.get_attribute("value") for b in boxes], table(d), d.find_element(By.TAG_NAME, "main")
    button[0].click()
    settle(d, before, old)
    return {"op": "pick", "picked": picked,
            "polylines": len(d.find_elements(By.CSS_SELECTOR, "polyline.series")), **page_state(d)}


def keys(d, step):
    d.get(step["url"])
    d.execute_script("document.activeElement && document.activeElement.blur()")
    focused = []
    for _ in range(step.get("tabs", 5)):
        ActionChains(d).send_keys(Keys.TAB).perform()
        focused.append(d.execute_script(
            "const e = document.activeElement; return e ? e.tagName.toLowerCase() + ':' + (e.getAttribute('href') || e.name || e.innerText || '').trim() : ''"))
    return {"op": "keys", "focused": focused, "console_errors": console_errors(d)}


def main():
    plan = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    shots = plan.get("screenshots")
    if shots:
        os.makedirs(shots, exist_ok=True)
    d = browser()
    out = []
    try:
        for step in plan["steps"]:
            op = step["op"]
            try:
                if op == "crawl":
                    out.append(crawl(d, step, shots))
                elif op == "sort":
                    out.append(sort(d, step))
                elif op == "filter":
                    out.append(filter_(d, step))
                elif op == "pick":
                    out.append(pick(d, step))
                elif op == "keys":
                    out.append(keys(d, step))
                else:
                    out.append({"op": op, "error": "unknown op"})
            except WebDriverException as e:
                out.append({"op": op, "error": e.msg or str(e)})
    finally:
        d.quit()
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

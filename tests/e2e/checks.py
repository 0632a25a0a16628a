"""Checks a browser test runs on a loaded page: the layout (no horizontal scroll, navigation labels on
one line, no one-character table columns) and axe-core's accessibility rules. Each returns a list of
readable problems, empty when the page passes."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"

# Measured in the page. A navigation label is wrapped when its text's line boxes have more than one
# top; the expanded navigation bar is wrapped when its links do not share one row. A table cell is a
# one-character column when it holds several characters in a box narrower than three of them.
LAYOUT = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent !== null)
      .slice(-3).map((e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : ""));
    problems.push(`horizontal scroll: ${root.scrollWidth} > ${window.innerWidth} (${wide.join(", ")})`);
  }
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    // boxes of one line overlap vertically (a smaller font sits lower); a new line starts below
    const boxes = [...range.getClientRects()].filter((r) => r.width > 0).sort((a, b) => a.top - b.top);
    let count = 0, bottom = -Infinity;
    for (const r of boxes) {
      if (r.top >= bottom - 1) { count += 1; bottom = r.bottom; } else bottom = Math.max(bottom, r.bottom);
    }
    return count;
  };
  const links = [...document.querySelectorAll("nav .navbar-nav > .nav-item > .nav-link, nav .navbar-brand")]
    .filter((a) => a.offsetParent !== null && a.getBoundingClientRect().width > 0);
  for (const a of links) {
    if (lines(a) > 1) problems.push(`navigation label wrapped: ${a.textContent.trim()}`);
  }
  const tops = new Set(links.filter((a) => !a.classList.contains("navbar-brand"))
    .map((a) => Math.round(a.getBoundingClientRect().top)));
  const toggler = document.querySelector(".navbar-toggler");
  if ((!toggler || toggler.offsetParent === null) && tops.size > 1) {
    problems.push(`navigation in ${tops.size} rows`);
  }
  const em = parseFloat(getComputedStyle(document.body).fontSize);
  for (const cell of document.querySelectorAll("main td, main th")) {
    const text = cell.textContent.trim();
    const box = cell.getBoundingClientRect();
    if (cell.offsetParent !== null && text.length > 3 && box.width < 3 * em && lines(cell) > 2) {
      problems.push(`one-character column: ${text.slice(0, 20)} (${Math.round(box.width)} px)`);
    }
  }
  return problems;
}"""

AXE_RUN = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ` +
      v.nodes.slice(0, 3).map((n) => {
        const data = (n.any[0] || {}).data || {};
        return n.target.join(" ") + (data.fgColor ? ` (${data.fgColor} on ${data.bgColor})` : "");
      }).join(" | ") +
      (v.nodes.length > 3 ? ` (+${v.nodes.length - 3})` : ""));
}"""


def layout_problems(page) -> list[str]:
    return page.evaluate(LAYOUT)


def install_axe(context) -> None:
    """Every page of the context gets axe-core (vendored, static/vendor/axe-core) before its own
    scripts: Playwright's init scripts are not subject to the page's Content-Security-Policy."""
    context.add_init_script(path=str(AXE))


def axe_problems(page) -> list[str]:
    return page.evaluate(AXE_RUN)

// The dataset page's parts as tabs: the table first, then the columns' summaries, the
// versions, the export dialog, sharing and activity, one at a time, the part chosen kept in
// the address (#data, #columns, #history, #exports, #sharing, #activity) so that a link, the
// back button and a reload return to it. Without this script every part shows, one after the
// other. Also draws each column's chart (Chart.js, served from /static/vendor) from the
// numbers the page holds, and the activity charts (export-analytics.js) when their tab opens;
// the same numbers stay readable in the table beneath each chart.

import { drawActivityCharts } from "./export-analytics.js";

const nav = document.querySelector("nav.tabs");
let drawn = false;
const panels = [...document.querySelectorAll("section.tab-panel")];

function show() {
  const wanted = location.hash.slice(1);
  // An anchor inside a part (a control the page points at) opens that part.
  const inside = wanted ? document.getElementById(wanted)?.closest("section.tab-panel") : null;
  const current = inside ?? panels[0];
  for (const panel of panels) panel.hidden = panel !== current;
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#${current.id}`) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
  if (current.id === "columns") drawCharts();
  if (current.id === "activity") drawActivityCharts(current);
}

if (nav && panels.length > 0) {
  nav.hidden = false;
  window.addEventListener("hashchange", show);
  show();
}

// A control the server marked invalid takes the focus, its sentence beside it. On an address
// with a fragment (the table's forms answer at #data) the browser skips `autofocus` and moves
// the focus to the fragment once the page has loaded, so this comes after that.
const invalid = document.querySelector("[aria-invalid='true']");
if (invalid) {
  const focusInvalid = () => requestAnimationFrame(() => invalid.focus());
  if (document.readyState === "complete") focusInvalid();
  else window.addEventListener("load", focusInvalid, { once: true });
}

function drawCharts() {
  if (drawn || typeof window.Chart === "undefined") return;
  drawn = true;
  const style = getComputedStyle(document.documentElement);
  const bar = style.getPropertyValue("--chart-bar").trim() || "#1d4ed8";
  for (const canvas of document.querySelectorAll("canvas.chart[data-chart]")) {
    const { kind, labels, counts } = JSON.parse(canvas.dataset.chart);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ label: "Rows", data: counts, backgroundColor: bar }] },
      options: {
        indexAxis: kind === "top" ? "y" : "x",
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true }, grid: { display: false } },
          y: { beginAtZero: kind !== "top", ticks: { precision: 0 } },
        },
      },
    });
    canvas.dataset.drawn = String(counts.length);
  }
}

if (panels.length === 0 || !nav) {
  drawCharts();
  drawActivityCharts();
}

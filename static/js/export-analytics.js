// The activity charts: the owner's Activity tab on a dataset's page and the admin's tracking
// dashboard (/admin/activity). Each canvas.activity-chart carries its numbers as JSON in
// `data-chart` ({kind, labels, series: [{label, data}], horizontal}), drawn with the vendored
// Chart.js (/static/vendor). No series is told by its colour alone: lines differ in point
// style and dash, bars in fill pattern, the legend shows both, and the same numbers are in
// the table beneath each chart. The page sets the numbers; this only draws them.
//
// Also the range form: its dates show only with "Between two dates" (a date typed chooses
// it), and the dashboard's person field suggests people as one types (GET /api/v1/people).

import { combobox } from "./combobox.js";

// Each at least 3:1 against white (WCAG 1.4.11), and apart in lightness as well as hue.
const colours = ["#1d4ed8", "#b45309", "#047857", "#7e22ce"];
const points = ["circle", "rect", "triangle", "rectRot"];
const dashes = [[], [8, 4], [2, 3], [12, 3, 3, 3]];

/** Series `index`'s fill for a bar: solid for the first, then stripes, dots, cross-hatch. */
function fill(index, colour) {
  if (index === 0) return colour;
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const pen = tile.getContext("2d");
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, 8, 8);
  pen.strokeStyle = colour;
  pen.fillStyle = colour;
  pen.lineWidth = 2;
  if (index % 3 === 1) {
    pen.beginPath();
    pen.moveTo(0, 8);
    pen.lineTo(8, 0);
    pen.moveTo(-2, 2);
    pen.lineTo(2, -2);
    pen.moveTo(6, 10);
    pen.lineTo(10, 6);
    pen.stroke();
  } else if (index % 3 === 2) {
    pen.beginPath();
    pen.arc(4, 4, 2, 0, Math.PI * 2);
    pen.fill();
  } else {
    pen.strokeRect(0, 0, 8, 8);
    pen.beginPath();
    pen.moveTo(0, 0);
    pen.lineTo(8, 8);
    pen.stroke();
  }
  return pen.createPattern(tile, "repeat");
}

function datasetOf(series, index, line) {
  const colour = colours[index % colours.length];
  if (line) {
    return {
      label: series.label,
      data: series.data,
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 2,
      borderDash: dashes[index % dashes.length],
      pointStyle: points[index % points.length],
      pointRadius: 4,
      pointHoverRadius: 6,
      tension: 0,
    };
  }
  return {
    label: series.label,
    data: series.data,
    backgroundColor: fill(index, colour),
    borderColor: colour,
    borderWidth: 1.5,
    maxBarThickness: 32,
  };
}

/** Draws every activity chart under `root` not drawn yet; each canvas then says in
 *  `data-drawn` how many labels (points along the axis) it drew. */
export function drawActivityCharts(root = document) {
  if (typeof window.Chart === "undefined") return;
  for (const canvas of root.querySelectorAll("canvas.activity-chart[data-chart]")) {
    if (canvas.dataset.drawn) continue;
    const { kind, labels, series, horizontal } = JSON.parse(canvas.dataset.chart);
    const line = kind === "line";
    const counts = { beginAtZero: true, ticks: { precision: 0 } };
    const along = { ticks: { maxRotation: 0, autoSkip: true }, grid: { display: false } };
    new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: { labels, datasets: series.map((s, i) => datasetOf(s, i, line)) },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: series.length > 1, labels: { usePointStyle: line } },
        },
        scales: horizontal ? { x: counts, y: { grid: { display: false } } } : { x: along, y: counts },
      },
    });
    canvas.dataset.drawn = String(labels.length);
  }
}

/** The range form: the dates show only when "Between two dates" is chosen. */
function rangeForm(form) {
  const range = form.querySelector("select[name='range']");
  if (!range) return;
  const dates = [...form.querySelectorAll(".range-dates")];
  const showDates = () => {
    for (const part of dates) part.hidden = range.value !== "dates";
  };
  for (const input of form.querySelectorAll(".range-dates input")) {
    input.addEventListener("change", () => {
      range.value = "dates";
    });
  }
  range.addEventListener("change", showDates);
  showDates();
}

/** The dashboard's person field: people suggested by name or address, an address kept. */
function personField(input) {
  combobox(input, {
    suggest: async (text) => {
      const response = await fetch(`/api/v1/people?q=${encodeURIComponent(text)}&limit=8`);
      if (!response.ok) return [];
      const found = await response.json();
      return found
        .filter((p) => p.kind === "user")
        .map((p) => ({ ...p, label: p.name, detail: p.email }));
    },
    pick: (option) => {
      input.value = option.email;
    },
  });
}

for (const form of document.querySelectorAll("form.activity-range")) rangeForm(form);
const person = document.getElementById("activity-person");
if (person) personField(person);
// The dashboard shows its charts at once; the dataset page draws them when its tab opens.
const dashboard = document.getElementById("activity-dashboard");
if (dashboard) drawActivityCharts(document);

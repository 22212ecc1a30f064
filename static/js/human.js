// One formatter for every page: times in the reader's own locale and time zone (the zone said
// once, at the foot of the page), counts with the reader's digit grouping. The server writes
// times as RFC 3339 in `<time datetime>` and counts in `data-count`; without this script they
// read as written (UTC, plain digits).

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const count = new Intl.NumberFormat();
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const iso = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

let shown = 0;
for (const element of document.querySelectorAll("time[datetime]")) {
  const text = element.dateTime;
  const moment = new Date(text);
  if (Number.isNaN(moment.getTime())) continue;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const exact = dateOnly ? day.format(moment) : when.format(moment);
  // A time written as it is stored reads in the reader's terms; one in words ("3 hours ago")
  // keeps its words and gives the exact time on hover.
  if (iso.test(element.textContent.trim())) element.textContent = exact;
  element.title = dateOnly ? exact : `${exact} (${zone})`;
  if (!dateOnly) shown += 1;
}
if (shown > 0) {
  const note = document.createElement("p");
  note.className = "help zone-note";
  note.textContent = `Times are in your time zone, ${zone}.`;
  document.querySelector("main")?.append(note);
}

for (const element of document.querySelectorAll("[data-count]")) {
  const value = Number(element.dataset.count);
  if (Number.isFinite(value)) element.textContent = count.format(value);
}

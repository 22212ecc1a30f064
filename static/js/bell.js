// The bell in every signed-in page's header: the count of unread notifications, live. The
// server sends the count at once and again whenever it changes
// (GET /api/v1/notifications/stream, server-sent events); the browser reconnects by itself
// when the stream drops.

const bell = document.getElementById("bell");
const count = document.getElementById("bell-count");

function show(unread) {
  count.textContent = unread > 99 ? "99+" : String(unread);
  count.hidden = unread === 0;
  bell.dataset.unread = String(unread);
  bell.setAttribute(
    "aria-label",
    unread === 0 ? "Notifications, none unread" : `Notifications, ${unread} unread`,
  );
  document.dispatchEvent(new CustomEvent("tessera:unread", { detail: { unread } }));
}

if (bell && count && "EventSource" in window) {
  const stream = new EventSource("/api/v1/notifications/stream");
  stream.addEventListener("unread", (event) => {
    const data = JSON.parse(event.data);
    show(data.unread);
  });
}

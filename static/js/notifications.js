// The notifications page: Mark read on one notification, Mark all read on every one
// (POST /api/v1/notifications/read), and following a notification's link marks it read.

import { call, reason } from "./http.js";

const status = document.getElementById("notifications-status");
const markAll = document.getElementById("mark-all-read");

function markedRead(item) {
  item.classList.remove("unread");
  item.classList.add("read");
  item.querySelector(".badge")?.remove();
  item.querySelector(".mark-read")?.remove();
}

function told(unread) {
  status.textContent = unread === 0 ? "Everything is read." : `${unread} unread.`;
  if (markAll) markAll.disabled = unread === 0;
}

for (const item of document.querySelectorAll("[data-notification]")) {
  const id = item.dataset.notification;
  item.querySelector(".mark-read")?.addEventListener("click", async () => {
    const result = await call("POST", "/api/v1/notifications/read", { ids: [id] });
    if (!result.ok) {
      status.textContent = `Could not mark it read: ${reason(result)}`;
      return;
    }
    markedRead(item);
    told(result.json.unread);
  });
  const link = item.querySelector(".notification-link");
  link?.addEventListener("click", (event) => {
    if (item.classList.contains("read")) return;
    event.preventDefault();
    call("POST", "/api/v1/notifications/read", { ids: [id] }).finally(() => {
      window.location.href = link.href;
    });
  });
}

markAll?.addEventListener("click", async () => {
  const result = await call("POST", "/api/v1/notifications/read", { all: true });
  if (!result.ok) {
    status.textContent = `Could not mark them read: ${reason(result)}`;
    return;
  }
  document.querySelectorAll("[data-notification]").forEach(markedRead);
  told(result.json.unread);
});

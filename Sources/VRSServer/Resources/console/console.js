// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Long uploads (imports, batches) show that they are under way.
  for (const form of document.querySelectorAll("form[data-progress]")) {
    form.addEventListener("submit", () => {
      const note = document.getElementById(form.dataset.progress);
      if (note) note.hidden = false;
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    });
  }
  // Irreversible actions ask once more.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
  }
  // A running batch reloads itself until it is done (the page also says how to reload by hand).
  const batch = document.querySelector("[data-refresh]");
  const seconds = batch ? parseInt(batch.dataset.refresh, 10) : NaN;
  if (seconds > 0) setTimeout(() => window.location.reload(), seconds * 1000);
});

// marketjobs operator page: the little the page needs beyond htmx. Every action is a plain POST to the
// JSON API (the same routes scripts use), sent with the page's SameSite=Strict cookie.
(function () {
  "use strict";

  const DONE = { cancel: "cancelled", retry: "retried", purge: "purged" };

  function flash(text, bad) {
    const box = document.getElementById("flash");
    if (!box) return;
    const note = document.createElement("div");
    note.className = bad ? "note bad" : "note";
    note.textContent = text;
    box.appendChild(note);
    setTimeout(function () { note.remove(); }, bad ? 12000 : 5000);
  }

  function refresh() {
    document.body.dispatchEvent(new CustomEvent("refresh"));
  }

  async function post(url, body) {
    const options = { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      throw new Error(data.error || response.status + " " + response.statusText);
    }
    return data;
  }

  function summary(data, fallback) {
    if (data && typeof data.acted === "number") return fallback + ": " + data.acted + " of " + data.matched;
    return fallback;
  }

  // Buttons with hx-post: report the API's answer, then refresh the live parts of the page.
  document.addEventListener("htmx:afterRequest", function (event) {
    const source = event.detail.elt;
    if (!source || !source.hasAttribute("hx-post")) return;
    const xhr = event.detail.xhr;
    let data = {};
    try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
    if (event.detail.successful) {
      flash(summary(data, source.dataset.done || "done"), false);
      refresh();
    } else {
      flash(data.error || "request failed: " + xhr.status, true);
    }
  });

  // Live regions marked data-hold-when-checked do not refresh while the operator has rows selected.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const source = event.detail.elt;
    if (source && source.hasAttribute("data-hold-when-checked") && event.detail.requestConfig.verb === "get"
        && source.querySelector("input[type=checkbox][data-row]:checked")) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", async function (event) {
    const target = event.target.closest("button");
    if (!target) return;

    // Bulk actions on a filter: a dry run counts first, then the operator confirms that many.
    if (target.dataset.bulk) {
      const out = document.getElementById(target.dataset.out || "bulk-result");
      const action = target.dataset.action;
      out.textContent = "counting…";
      try {
        const dry = await post(target.dataset.bulk + "&dry_run=true");
        out.textContent = "";
        if (!dry.matched) {
          out.textContent = "No job matching this filter can be " + (DONE[action] || action) + ".";
          return;
        }
        // The API caps one action (its limit); act on the newest that many, as the dry run listed.
        const n = Array.isArray(dry.ids) && dry.ids.length ? Math.min(dry.ids.length, dry.matched) : dry.matched;
        out.append(dry.matched + " job" + (dry.matched === 1 ? "" : "s") + " match" + (dry.matched === 1 ? "es" : "")
          + (n < dry.matched ? " (acting on the newest " + n + ")" : "") + ". ");
        const confirm = document.createElement("button");
        confirm.type = "button";
        confirm.className = action === "retry" ? "primary" : "danger";
        confirm.id = "bulk-confirm";
        confirm.textContent = "Confirm: " + action + " " + n;
        confirm.dataset.confirmUrl = target.dataset.bulk + "&dry_run=false&limit=" + n;
        confirm.dataset.action = DONE[action] || action;
        const never = document.createElement("button");
        never.type = "button";
        never.textContent = "Never mind";
        never.addEventListener("click", function () { out.textContent = ""; });
        out.append(confirm, " ", never);
      } catch (error) {
        out.textContent = "";
        flash(error.message, true);
      }
      return;
    }

    if (target.dataset.confirmUrl) {
      const out = target.parentElement;
      target.disabled = true;
      try {
        const done = await post(target.dataset.confirmUrl);
        out.textContent = "";
        flash(summary(done, target.dataset.action), false);
        refresh();
      } catch (error) {
        target.disabled = false;
        flash(error.message, true);
      }
      return;
    }

    // Actions on the rows an operator ticked (e.g. retry selected dead letters).
    if (target.dataset.selectedPost) {
      const scope = document.getElementById(target.dataset.scope);
      const ids = Array.from(scope.querySelectorAll("input[type=checkbox][data-row]:checked"), function (box) { return box.value; });
      if (!ids.length) {
        flash("Select rows first.", true);
        return;
      }
      target.disabled = true;
      try {
        const done = await post(target.dataset.selectedPost, { ids: ids });
        flash(summary(done, target.dataset.done || "done"), false);
        scope.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) { box.checked = false; });
        refresh();
      } catch (error) {
        flash(error.message, true);
      } finally {
        target.disabled = false;
      }
    }
  });

  // Filter forms leave empty fields out of the address (an empty field means "any" anyway).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "get") return;
    const empty = Array.from(form.elements).filter(function (field) { return field.name && field.value === "" && !field.disabled; });
    empty.forEach(function (field) { field.disabled = true; });
    setTimeout(function () { empty.forEach(function (field) { field.disabled = false; }); }, 0);
  });

  // "Select all" boxes tick every row box in their table.
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (box.matches && box.matches("input[type=checkbox][data-select-all]")) {
      const table = box.closest("table");
      table.querySelectorAll("input[type=checkbox][data-row]").forEach(function (row) { row.checked = box.checked; });
    }
  });
})();

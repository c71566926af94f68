// Segment admin: recount the audience as the marketer edits the rules (the saved count shows without JS).
"use strict";
(function () {
  function form() { return document.getElementById("segment_form"); }
  function value(el) { return el.type === "checkbox" ? el.checked : el.value; }

  function collect() {
    const f = form();
    const data = { match: f.querySelector("[name=match]").value, groups: [], rules: [] };
    f.querySelectorAll(".inline-related").forEach(function (row) {
      const prefix = row.id.replace(/-\d+$/, "");
      if (row.id.endsWith("-empty")) return;
      const deleted = row.querySelector("input[name$='-DELETE']");
      if (deleted && deleted.checked) return;
      const item = {};
      row.querySelectorAll("input, select, textarea").forEach(function (el) {
        const m = el.name && el.name.match(/^[^-]+-\d+-(.+)$/);
        if (m) item[m[1]] = value(el);
      });
      if (prefix === "groups") data.groups.push(item);
      else if (prefix === "rules" && (item.field || item.event_name || item.within_days)) data.rules.push(item);
    });
    return data;
  }

  let timer = null;
  function refresh() {
    const target = document.querySelector(".field-audience .readonly");
    if (!target) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form().dataset.previewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json",
                   "X-CSRFToken": form().querySelector("[name=csrfmiddlewaretoken]").value },
        body: JSON.stringify(collect()),
      }).then(function (r) { return r.json(); }).then(function (body) {
        if (body.html) target.innerHTML = body.html + " <em>(live, not saved yet)</em>";
        else target.textContent = body.error;
      });
    }, 400);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const f = form();
    if (!f) return;
    f.dataset.previewUrl = window.location.pathname.replace(/\/(\d+\/change|add)\/$/, "/preview/");
    f.addEventListener("input", refresh);
    f.addEventListener("change", refresh);
  });
})();

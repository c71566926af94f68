/* Admin: length, encoding (GSM-7 or UCS-2) and segments of the SMS text as the marketer types.
 * The server's sms_segments is the truth: this only asks it (debounced) and shows the answer. */
(function () {
  "use strict";
  const script = document.currentScript;
  const field = document.getElementById("id_sms_text");
  if (!field || !script) return;
  const out = document.createElement("div");
  out.className = "help";
  out.setAttribute("aria-live", "polite");
  field.insertAdjacentElement("afterend", out);
  let timer = null;
  async function update() {
    const response = await fetch(script.dataset.url + "?text=" + encodeURIComponent(field.value), {
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const info = await response.json();
    out.textContent = info.length + " characters · " + info.encoding + " · " + info.segments +
      " segment" + (info.segments === 1 ? "" : "s") + " (before personalisation)";
  }
  field.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
  update();
})();

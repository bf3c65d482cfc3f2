// Live risk preview on the report form: POST the text to the triage endpoint while typing and
// show the level and reasons. Any failure hides the box; the form works the same without it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var box = document.getElementById("risk-preview");
  if (!form || !box || !window.fetch) { return; }
  var badge = box.querySelector("[data-level]");
  var list = box.querySelector("[data-reasons]");
  // Show the estimate right under the text it is about, where the reporter is looking.
  if (form.elements.description && form.elements.description.parentNode) {
    form.elements.description.parentNode.insertAdjacentElement("afterend", box);
  }
  var timer = null;
  var seq = 0;

  function field(name) { return form.elements[name] ? form.elements[name].value : ""; }
  function hide() { box.hidden = true; }

  function show(result) {
    var level = String(result.level || "");
    var label = box.getAttribute("data-label-" + level);
    if (!label) { hide(); return; }
    badge.className = "badge risk-" + level;
    badge.textContent = label;
    list.textContent = "";
    (result.reasons || []).slice(0, 5).forEach(function (reason) {
      var item = document.createElement("li");
      item.textContent = [reason.signal, reason.evidence].filter(Boolean).join(": ");
      list.appendChild(item);
    });
    box.hidden = false;
  }

  function preview() {
    var text = (field("title") + "\n" + field("description")).trim();
    if (text.length < 4) { hide(); return; }
    // Only chosen values: an empty channel or category would be rejected as an invalid choice.
    var payload = { text: text };
    ["channel", "category"].forEach(function (name) {
      if (field(name)) { payload[name] = field(name); }
    });
    var mine = ++seq;
    fetch(box.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": field("csrfmiddlewaretoken")
      },
      body: JSON.stringify(payload)
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (result) {
      if (mine === seq) { show(result); }
    }).catch(function () {
      if (mine === seq) { hide(); }
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 600);
  }

  ["title", "description"].forEach(function (name) {
    if (form.elements[name]) { form.elements[name].addEventListener("input", schedule); }
  });
  ["channel", "category"].forEach(function (name) {
    if (form.elements[name]) { form.elements[name].addEventListener("change", schedule); }
  });
}());

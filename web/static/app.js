// Dateline's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Buttons that need a second thought (withdraw, delete, revoke) ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Times in <time data-local> are also shown in the reader's own time zone.
  function showLocalTimes() {
    var nodes = document.querySelectorAll("time[data-local]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) continue;
      var span = document.createElement("span");
      span.className = "hint";
      span.textContent = " (your time: " + when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) + ")";
      node.parentNode.insertBefore(span, node.nextSibling);
    }
  }

  // Draft autosave: while a draft is being edited, save it quietly every 20 seconds after a
  // change. A conflict stops autosave and tells the editor, so nothing is overwritten.
  function setUpAutosave() {
    var form = document.querySelector("form[data-autosave]");
    if (!form || !window.fetch || !window.FormData) return;
    var status = document.getElementById("autosave-status");
    var revisionField = form.querySelector("input[name=revision]");
    var dirty = false;
    var stopped = false;
    var say = function (text) { if (status) status.textContent = text; };
    form.addEventListener("input", function () { dirty = true; });
    window.setInterval(function () {
      if (!dirty || stopped) return;
      dirty = false;
      var body = new URLSearchParams(new FormData(form));
      fetch(form.getAttribute("data-autosave"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (response.status === 409) {
          stopped = true;
          say("Autosave stopped: someone else saved a newer version. Save to see both versions.");
          return null;
        }
        if (!response.ok) {
          dirty = true;
          say("Autosave failed; your text is still here. Save when you can.");
          return null;
        }
        return response.json();
      }).then(function (data) {
        if (data && data.revision && revisionField) {
          revisionField.value = data.revision;
          say("Draft saved automatically at " + new Date().toLocaleTimeString() + " (revision " + data.revision + ").");
        }
      }).catch(function () {
        dirty = true;
        say("Autosave failed; your text is still here. Save when you can.");
      });
    }, 20000);
  }

  // The wire-style dateline preview follows the fields as they are typed.
  function setUpDatelinePreview() {
    var out = document.getElementById("dateline-preview");
    if (!out) return;
    var months = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."];
    var get = function (id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; };
    var update = function () {
      var parts = [];
      if (get("dateline_city")) parts.push(get("dateline_city").toUpperCase());
      if (get("dateline_region")) parts.push(get("dateline_region"));
      var d = get("dateline_date");
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
      if (m) parts.push(months[parseInt(m[2], 10) - 1] + " " + parseInt(m[3], 10) + ", " + m[1]);
      var text = parts.join(", ");
      var wire = get("dateline_distributor").replace(/^\/+|\/+$/g, "");
      if (wire) text += (text ? " " : "") + "/" + wire + "/";
      out.textContent = text ? text + " \u2014" : "";
    };
    ["dateline_city", "dateline_region", "dateline_date", "dateline_distributor"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.addEventListener("input", update);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showLocalTimes();
    setUpAutosave();
    setUpDatelinePreview();
  });
})();

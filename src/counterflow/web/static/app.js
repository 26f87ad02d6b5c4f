// counterflow UI: small progressive enhancements, no inline scripts (the page's CSP forbids them).
(function () {
  "use strict";
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short"
  });
  // times come as <time datetime="ISO, UTC">; show them in the user's own time zone
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime()) && el.getAttribute("datetime").length > 10) {
        el.textContent = fmt.format(when);
        el.title = el.getAttribute("datetime");
      }
    });
    root.querySelectorAll("[data-local-zone]").forEach(function (el) { el.textContent = zone; });
  }
  // buttons that ask before acting carry data-confirm="question"
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  document.addEventListener("htmx:afterSwap", function (event) { localTimes(event.target); });
  window.counterflow = { localTimes: localTimes };
})();

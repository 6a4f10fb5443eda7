/**
 * Inline script of the status page: replaces the page's sections with the server-rendered (and
 * server-escaped) markup of each `view` event from `/api/events`; shows a notice while the stream
 * is down (EventSource reconnects by itself). A section with text selected in it is left alone so a
 * technician can copy a call id.
 */
export const pageScript = `
"use strict";
(function () {
  var ids = ["header", "banner", "live", "recent", "counters"];
  var stale = document.getElementById("stale");
  var shown = {};
  function selecting(el) {
    var sel = window.getSelection && window.getSelection();
    return !!sel && !sel.isCollapsed && el.contains(sel.anchorNode);
  }
  function apply(view) {
    for (var i = 0; i < ids.length; i++) {
      var el = document.getElementById(ids[i]);
      var markup = view[ids[i]];
      if (el && typeof markup === "string" && shown[ids[i]] !== markup && !selecting(el)) {
        el.innerHTML = markup;
        shown[ids[i]] = markup;
      }
    }
    stale.hidden = true;
  }
  if (!("EventSource" in window)) return;
  var source = new EventSource("api/events");
  source.addEventListener("view", function (e) { apply(JSON.parse(e.data)); });
  source.addEventListener("error", function () { stale.hidden = false; });
})();
`;

/**
 * Inline script of the status page (no framework, no external resources; allowed by the page's
 * Content-Security-Policy through its SHA-256 hash):
 * - replaces each section with the server-rendered markup of every `view` event of `/api/events`
 *   (a section with text selected in it is left alone so a technician can copy a call id), and
 *   shows a banner while the stream is down (EventSource reconnects by itself);
 * - sets the `meter[data-stream]` values in place from each `levels` event (`{streamId: 0–100}`);
 * - runs `button[data-command]` as `POST api/commands/<name>` with `data-body` (default `{}`),
 *   after `confirm(data-confirm)` when set, and shows the reply (as text) in `#reply`.
 */
export const pageScript = `
"use strict";
(function () {
  var ids = ["header", "banner", "actions", "live", "events", "recent", "counters"];
  var stale = document.getElementById("stale");
  var reply = document.getElementById("reply");
  var shown = {};
  var levels = {};
  function selecting(el) {
    var sel = window.getSelection && window.getSelection();
    return !!sel && !sel.isCollapsed && el.contains(sel.anchorNode);
  }
  function applyLevels() {
    var meters = document.querySelectorAll("meter[data-stream]");
    for (var i = 0; i < meters.length; i++) {
      var value = levels[meters[i].getAttribute("data-stream")];
      if (typeof value === "number") meters[i].value = value;
    }
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
    applyLevels();
    stale.hidden = true;
  }
  function say(text, ok) {
    if (!reply) return;
    reply.textContent = text;
    reply.className = "reply " + (ok ? "reply-ok" : "reply-bad");
  }
  function describe(name, status, body) {
    if (body && body.ok === true) {
      var r = body.result || {};
      if (name === "testCall") {
        return "Test call placed to " + (r.target || "?") + " for " + (r.durationS || "?") + " s" +
          (r.sessionId ? " — call " + r.sessionId : "") + (r.sipCallId ? " (SIP Call-ID " + r.sipCallId + ")" : "");
      }
      if (name === "drain") return "Drain: " + (r.state || "?") + ", " + (r.liveCalls || 0) + " live calls";
      return name + ": done";
    }
    var e = (body && body.error) || {};
    return name + " refused (" + status + " " + (e.code || "ERROR") + "): " + (e.message || "no reason given");
  }
  function run(button) {
    var name = button.getAttribute("data-command");
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    button.disabled = true;
    say(name + "…", true);
    fetch("api/commands/" + encodeURIComponent(name), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: button.getAttribute("data-body") || "{}",
      credentials: "same-origin"
    }).then(function (res) {
      return res.json().then(function (body) { return { status: res.status, body: body }; },
        function () { return { status: res.status, body: null }; });
    }).then(function (r) {
      say(describe(name, r.status, r.body), !!(r.body && r.body.ok));
    }, function (err) {
      say(name + " failed: " + err, false);
    }).then(function () { button.disabled = false; });
  }
  document.addEventListener("click", function (e) {
    var target = e.target;
    var button = target && target.closest ? target.closest("button[data-command]") : null;
    if (button) run(button);
  });
  if (!("EventSource" in window)) return;
  var source = new EventSource("api/events");
  source.addEventListener("view", function (e) { apply(JSON.parse(e.data)); });
  source.addEventListener("levels", function (e) { levels = JSON.parse(e.data); applyLevels(); });
  source.addEventListener("error", function () { stale.hidden = false; });
})();
`;

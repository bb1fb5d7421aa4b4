// The dashboard's only script: fetch the server-rendered view, keep it
// fresh, and send the buttons' requests to the control API. The admin
// token comes from the URL fragment (#token=...) or a prompt, stays in this
// tab's sessionStorage, and travels only in the Authorization header.
(function () {
  "use strict";
  var view = document.getElementById("view");
  var status = document.getElementById("status");
  var live = document.getElementById("live");
  var form = document.getElementById("token-form");
  var key = "freedompay-mock-token";
  var touched = 0; // when the user last typed, clicked or selected in the view
  var busy = false;

  var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(key, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function headers(extra) {
    var h = extra || {};
    var t = sessionStorage.getItem(key);
    if (t) { h["Authorization"] = "Bearer " + t; }
    return h;
  }

  function say(text) { status.textContent = text; }

  function needToken() {
    form.hidden = false;
    view.textContent = "";
    say(sessionStorage.getItem(key) ? "That token was not accepted." : "");
    document.getElementById("token").focus();
  }

  // load replaces the view, keeping each <details> as the user left it
  // (open or closed) and the focus where it was.
  function load() {
    return fetch("/_mock/ui/view", { headers: headers(), cache: "no-store" }).then(function (r) {
      if (r.status === 401) { needToken(); throw new Error("admin token needed"); }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      var states = {};
      Array.prototype.forEach.call(view.querySelectorAll("details[id]"), function (d) { states[d.id] = d.open; });
      var focused = document.activeElement && document.activeElement.id;
      view.innerHTML = html;
      Object.keys(states).forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = states[id]; } });
      if (focused) { var f = document.getElementById(focused); if (f) { f.focus(); } }
      form.hidden = true;
      if (/^Could not load|not accepted/.test(status.textContent)) { say(""); }
    }).catch(function (e) { if (!form.hidden) { return; } say("Could not load: " + e.message); });
  }

  function post(path, body) {
    if (busy) { return; }
    busy = true;
    Array.prototype.forEach.call(view.querySelectorAll("button"), function (b) { b.disabled = true; });
    say("Working…");
    return fetch(path, {
      method: "POST", headers: headers({ "Content-Type": "application/json" }), body: body ? JSON.stringify(body) : null,
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.error || ("HTTP " + r.status)); }
        return j;
      });
    }).then(function (j) {
      var n = (j.attempted && j.attempted.length) || 0;
      say(j.warning ? "Done. " + j.warning : (j.attempted ? "Done: " + n + " notify attempt(s) made." : "Done."));
      return load();
    }).catch(function (e) { say("Failed: " + e.message); }).then(function () {
      busy = false;
      Array.prototype.forEach.call(view.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  }

  // Buttons and forms in the view say what they do in data- attributes.
  view.addEventListener("submit", function (ev) {
    var f = ev.target;
    ev.preventDefault();
    var action = f.getAttribute("data-action");
    if (action === "advance") {
      post("/_mock/clock/advance?by=" + encodeURIComponent(f.elements.by.value));
    } else if (action === "drain") {
      post("/_mock/clock/drain");
    } else if (action === "force") {
      var body = { status: f.elements.status.value };
      if (body.status === "error") { body.error_code = parseInt(f.elements.code.value, 10); }
      post("/_mock/payouts/" + f.getAttribute("data-id") + "/status", body);
    } else if (action === "resend") {
      post("/_mock/payouts/" + f.getAttribute("data-id") + "/notify");
    }
  });

  ["keydown", "input", "change", "mousedown"].forEach(function (type) {
    view.addEventListener(type, function () { touched = Date.now(); });
  });
  document.addEventListener("selectionchange", function () {
    var s = document.getSelection();
    if (s && s.toString() && view.contains(s.anchorNode)) { touched = Date.now(); }
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    sessionStorage.setItem(key, document.getElementById("token").value);
    load();
  });
  document.getElementById("refresh").addEventListener("click", load);

  // Live refresh pauses while the user works in the view (15 s after the
  // last key, click or selection there), so focus, a half-filled form or
  // a selection is never swept away.
  setInterval(function () {
    var a = document.activeElement;
    var typing = a && (a.tagName === "INPUT" || a.tagName === "SELECT") && view.contains(a);
    var s = document.getSelection();
    var selecting = s && s.toString() && view.contains(s.anchorNode);
    if (live.checked && !busy && !typing && !selecting && Date.now() - touched > 15000 && form.hidden) { load(); }
  }, 2000);
  load();
})();

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
    document.getElementById("token").focus();
  }

  // load replaces the view, keeping open <details> open and the focus
  // where it was.
  function load() {
    return fetch("/_mock/ui/view", { headers: headers(), cache: "no-store" }).then(function (r) {
      if (r.status === 401) { needToken(); throw new Error("admin token needed"); }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      var open = Array.prototype.map.call(view.querySelectorAll("details[open][id]"), function (d) { return d.id; });
      var focused = document.activeElement && document.activeElement.id;
      view.innerHTML = html;
      open.forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = true; } });
      if (focused) { var f = document.getElementById(focused); if (f) { f.focus(); } }
      form.hidden = true;
    }).catch(function (e) { say("Could not load: " + e.message); });
  }

  function post(path, body) {
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
    }).catch(function (e) { say("Failed: " + e.message); });
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

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    sessionStorage.setItem(key, document.getElementById("token").value);
    load();
  });
  document.getElementById("refresh").addEventListener("click", load);

  setInterval(function () {
    var a = document.activeElement;
    var typing = a && (a.tagName === "INPUT" || a.tagName === "SELECT") && view.contains(a);
    if (live.checked && !typing && form.hidden) { load(); }
  }, 2000);
  load();
})();

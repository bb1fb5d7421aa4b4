// The dashboard's only script. The page works without it: the server
// renders it whole and every button is a plain form. The script keeps the
// view fresh (fetching /_mock/ui/view, the same server-rendered view),
// sends the forms in the background so that the page keeps its place, and
// signs in with a token given in the URL fragment (#token=...), which never
// reaches the server's log.
(function () {
  "use strict";
  var view = document.getElementById("view");
  var status = document.getElementById("status");
  var live = document.getElementById("live");
  var signin = document.getElementById("token-form");
  var touched = 0; // when the user last typed, clicked or selected in the view
  var busy = false;

  var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    history.replaceState(null, "", location.pathname + location.search);
    if (signin) {
      document.getElementById("token").value = decodeURIComponent(m[1]);
      signin.submit();
    }
  }
  if (!live) { return; } // the sign-in page, or a refusal: nothing to refresh

  function say(text, ok) {
    status.textContent = text;
    status.className = ok === undefined ? "" : (ok ? "ok" : "bad");
  }

  // show replaces the view with html, keeping each <details> as the user
  // left it (open or closed) and the focus where it was.
  function show(html) {
    var states = {};
    Array.prototype.forEach.call(view.querySelectorAll("details[id]"), function (d) { states[d.id] = d.open; });
    var focused = document.activeElement && document.activeElement.id;
    view.innerHTML = html;
    Object.keys(states).forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = states[id]; } });
    if (focused) { var f = document.getElementById(focused); if (f) { f.focus(); } }
  }

  function load() {
    return fetch("/_mock/ui/view", { cache: "no-store" }).then(function (r) {
      if (r.status === 401) { location.reload(); throw new Error("signed out"); }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      show(html);
      if (/^Could not load/.test(status.textContent)) { say(""); }
    }).catch(function (e) { say("Could not load: " + e.message, false); });
  }

  function setBusy(on) {
    busy = on;
    Array.prototype.forEach.call(view.querySelectorAll("button"), function (b) { b.disabled = on; });
  }

  // A form of the view is posted as the browser would post it; the page
  // the server redirects to comes back whole, and its view and outcome
  // line replace ours.
  view.addEventListener("submit", function (ev) {
    var f = ev.target;
    ev.preventDefault();
    if (busy) { return; }
    var body = new URLSearchParams(new FormData(f));
    setBusy(true);
    say("Working…");
    fetch(f.action, { method: "POST", body: body, cache: "no-store" }).then(function (r) {
      return r.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var v = doc.getElementById("view"), s = doc.getElementById("status"), p = doc.querySelector(".problem");
        if (!r.ok || !v || !v.innerHTML) {
          say("Failed: " + ((p && p.textContent) || ("HTTP " + r.status)), false);
          return;
        }
        show(v.innerHTML);
        say((s && s.textContent) || "Done.", !(s && s.className === "bad"));
      });
    }).catch(function (e) { say("Failed: " + e.message, false); }).then(function () { setBusy(false); });
  });

  ["keydown", "input", "change", "mousedown"].forEach(function (type) {
    view.addEventListener(type, function () { touched = Date.now(); });
  });
  document.addEventListener("selectionchange", function () {
    var s = document.getSelection();
    if (s && s.toString() && view.contains(s.anchorNode)) { touched = Date.now(); }
  });
  document.getElementById("refresh").addEventListener("click", function (ev) { ev.preventDefault(); load(); });
  live.parentNode.hidden = false;

  // Live refresh pauses while the user works in the view (15 s after the
  // last key, click or selection there), so focus, a half-filled form or
  // a selection is never swept away.
  setInterval(function () {
    var a = document.activeElement;
    var typing = a && (a.tagName === "INPUT" || a.tagName === "SELECT") && view.contains(a);
    var s = document.getSelection();
    var selecting = s && s.toString() && view.contains(s.anchorNode);
    if (live.checked && !busy && !typing && !selecting && Date.now() - touched > 15000) { load(); }
  }, 2000);
})();

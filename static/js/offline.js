/* The field app on the page (relief/offline.py describes the whole): registers the service worker,
   asks it to keep today's pages, gives every form a fresh idempotency key (a page read from the
   device's copy would otherwise carry the key of the copy), shows and sends the outbox, and clears
   the device's copy when the user signs out.

   body[data-sw]                  the service worker's address
   body[data-user]                present when signed in
   body[data-offline-pages]       pages to keep for this user (space-separated)
   a[data-offline-keep]           a link whose page is kept too; [data-offline-urls] more addresses
   form[data-offline-signout]     the sign-out form: clears the copy before it is sent
   #offline-bar                   the outbox banner; its data-msg-* attributes carry the words
   #outbox-list                   the outbox page's list
*/
(function () {
  "use strict";
  var box = self.WarmWinterOutbox;
  var body = document.body;
  var bar = document.getElementById("offline-bar");
  var signedIn = body.hasAttribute("data-user");

  function msg(name) { return (bar && bar.getAttribute("data-msg-" + name)) || ""; }

  function uuid() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function freshKeys(root) {
    root.querySelectorAll("input[name=idempotency_key]").forEach(function (input) {
      if (!input.hasAttribute("data-keyed")) { input.value = uuid(); input.setAttribute("data-keyed", ""); }
    });
  }

  function worker() {
    return navigator.serviceWorker ? navigator.serviceWorker.ready.then(function (r) { return r.active; }) : Promise.resolve(null);
  }

  function tell(message) {
    return worker().then(function (w) { if (w) w.postMessage(message); });
  }

  function keepPages() {
    if (!signedIn || !navigator.onLine || !body.hasAttribute("data-offline-pages")) return;  // field roles only
    var urls = (body.getAttribute("data-offline-pages") || "").split(" ").filter(Boolean);
    document.querySelectorAll("a[data-offline-keep]").forEach(function (a) { urls.push(a.href); });
    document.querySelectorAll("[data-offline-urls]").forEach(function (el) {
      urls = urls.concat(el.getAttribute("data-offline-urls").split(" ").filter(Boolean));
    });
    var seen = {};
    urls = urls.map(function (u) { return new URL(u, location.href).href.split("#")[0]; })
      .filter(function (u) { return u.indexOf(location.origin) === 0 && !seen[u] && (seen[u] = true); });
    tell({ type: "keep", urls: urls });
  }

  /* --- the outbox ------------------------------------------------------------------------------ */
  var LABELS = { waiting: "waiting", sent: "sent", failed: "failed", conflict: "conflict", login: "login" };
  var BADGES = { waiting: "text-bg-warning", sent: "text-bg-success", failed: "text-bg-danger",
                 conflict: "text-bg-danger", login: "text-bg-secondary" };

  function pending(entries) {
    return entries.filter(function (e) { return e.status !== "sent"; });
  }

  var SENT_KEPT_MS = 24 * 3600 * 1000;  // a sent entry stays listed (with the server's answer) for a day

  function show() {
    if (!box) return Promise.resolve();
    return box.all().then(function (entries) {
      var old = entries.filter(function (e) { return e.status === "sent" && Date.now() - e.created > SENT_KEPT_MS; });
      old.forEach(function (e) { box.remove(e.id); });
      entries = entries.filter(function (e) { return old.indexOf(e) < 0; });
      var open = pending(entries).length;
      if (bar) {
        bar.classList.toggle("d-none", open === 0 && navigator.onLine);
        bar.querySelector("[data-offline-count]").textContent = open ? msg("count").replace("{n}", open) : "";
        bar.querySelector("[data-offline-state]").textContent = navigator.onLine ? "" : msg("offline");
      }
      var list = document.getElementById("outbox-list");
      if (!list) return;
      list.textContent = "";
      if (!entries.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-body-secondary";
        none.textContent = msg("empty");
        list.appendChild(none);
      }
      entries.slice().reverse().forEach(function (e) { list.appendChild(line(e)); });
    }).catch(function () {});
  }

  function line(e) {
    var li = document.createElement("li");
    li.className = "list-group-item d-flex flex-wrap align-items-center gap-2";
    li.setAttribute("data-testid", "outbox-entry");
    li.setAttribute("data-status", e.status);
    var text = document.createElement("div");
    text.className = "flex-grow-1 min-w-0";
    var title = document.createElement("div");
    title.className = "fw-semibold";
    title.textContent = [e.title, e.label].filter(Boolean).join(" · ") || e.url;
    var detail = document.createElement("div");
    detail.className = "small text-body-secondary";
    detail.textContent = new Date(e.created).toLocaleString() + (e.message ? " · " + e.message : "");
    text.appendChild(title); text.appendChild(detail);
    var badge = document.createElement("span");
    badge.className = "badge " + (BADGES[e.status] || "text-bg-secondary");
    badge.setAttribute("data-testid", "outbox-status");
    badge.textContent = msg(LABELS[e.status] || "waiting");
    li.appendChild(text); li.appendChild(badge);
    if (e.status === "failed" || e.status === "conflict") li.appendChild(button(msg("open"), "btn-primary", function () { reopen(e); }));
    li.appendChild(button(e.status === "sent" ? msg("dismiss") : msg("delete"), "btn-outline-secondary", function () {
      if (e.status !== "sent" && !window.confirm(msg("confirm-delete"))) return;
      box.remove(e.id).then(show);
    }));
    return li;
  }

  function button(label, style, onclick) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "btn btn-sm " + style; b.textContent = label;
    b.addEventListener("click", onclick);
    return b;
  }

  function formData(e) {
    var data = new FormData();
    e.fields.forEach(function (f) { data.append(f[0], f[1]); });
    return data;
  }

  /* What the server said on the page it answered: its messages, else the form's errors. */
  function refused(html) {
    return !!new DOMParser().parseFromString(html, "text/html").querySelector("main .alert-danger[role=alert]");
  }

  function said(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var parts = [];
    doc.querySelectorAll("main [role=alert], main .alert, main .errorlist, main .invalid-feedback").forEach(function (el) {
      var t = el.textContent.replace(/\s+/g, " ").trim();
      if (t && parts.indexOf(t) < 0) parts.push(t);
    });
    return parts.slice(0, 3).join(" ");
  }

  var sending = false;
  function sendAll() {
    if (!box || sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    var work = function () {
      return box.all().then(function (entries) {
        var chain = Promise.resolve(true);
        entries.filter(function (e) { return e.status === "waiting" || e.status === "login"; }).forEach(function (e) {
          chain = chain.then(function (go) { return go && sendOne(e); });
        });
        return chain;
      });
    };
    var done = navigator.locks ? navigator.locks.request("warmwinter-outbox", work) : work();
    return done.catch(function () {}).then(function () { sending = false; return show(); });
  }

  /* One entry: true to go on with the next, false to stop (no network, or not signed in). */
  function sendOne(e) {
    return fetch(e.url, { method: "POST", body: formData(e), credentials: "same-origin" }).then(function (res) {
      var path = new URL(res.url).pathname;
      if (res.redirected && path.indexOf(body.getAttribute("data-login")) === 0) {
        e.status = "login"; e.message = "";
        return box.put(e).then(function () { return false; });
      }
      return res.text().then(function (html) {
        if (res.status === 409) { e.status = "conflict"; e.message = msg("conflict-help"); }
        else if (res.ok && res.redirected && path !== new URL(e.url).pathname && !refused(html)) { e.status = "sent"; e.message = said(html); }
        else { e.status = "failed"; e.message = said(html) || String(res.status); }
        e.fields = e.status === "sent" ? [] : e.fields;
        return box.put(e).then(function () { return true; });
      });
    }, function () { return false; });
  }

  /* An entry the server did not take: submit it as the page's own form, so that its answer (the
     errors, or the conflict to resolve) shows with what was typed. */
  function reopen(e) {
    var form = document.createElement("form");
    form.method = "post"; form.action = e.url; form.enctype = "multipart/form-data"; form.hidden = true;
    e.fields.forEach(function (f) {
      var input = document.createElement("input");
      input.name = f[0];
      if (typeof f[1] === "string") { input.type = "hidden"; input.value = f[1]; }
      else if (f[1] && f[1].size) {
        input.type = "file";
        var files = new DataTransfer(); files.items.add(f[1]); input.files = files.files;
      } else return;
      form.appendChild(input);
    });
    document.body.appendChild(form);
    box.remove(e.id).then(function () { form.submit(); });
  }

  /* --- signing out --------------------------------------------------------------------------- */
  function clearDevice() {
    var jobs = [tell({ type: "clear" }), box ? box.destroy() : null];
    if (self.caches) {
      jobs.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("ww-") === 0; }).map(function (n) { return caches.delete(n); }));
      }));
    }
    return Promise.all(jobs).catch(function () {});
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline-signout]")) return;
    event.preventDefault();
    (box ? box.all() : Promise.resolve([])).catch(function () { return []; }).then(function (entries) {
      var open = pending(entries).length;
      if (open && !window.confirm(msg("confirm-signout").replace("{n}", open))) return;
      clearDevice().then(function () { form.submit(); });
    });
  });

  /* --- start ----------------------------------------------------------------------------------- */
  freshKeys(document);
  if (self.htmx) self.htmx.onLoad(freshKeys);
  if (navigator.serviceWorker && body.getAttribute("data-sw")) {
    navigator.serviceWorker.register(body.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox") show();
    });
  }
  if (!signedIn) tell({ type: "forget-pages" });  // the sign-in page: no one's pages are kept
  window.addEventListener("online", function () { show(); sendAll(); keepPages(); });
  window.addEventListener("offline", show);
  var queued = document.querySelector("[data-outbox-queued]");
  if (queued && /[?&]queued=/.test(location.search)) queued.hidden = false;
  var send = document.querySelector("[data-outbox-send]");
  if (send) send.addEventListener("click", function () { sendAll(); });
  show().then(function () { if (signedIn) return sendAll(); }).then(keepPages);
})();

{% load i18n static %}{% autoescape off %}/* WarmWinter's service worker (relief/offline.py serves it at /sw.js; version {{ version }}).
   Static files: cache-first. Pages: network-first, the last copy when there is no network.
   A form POST that cannot reach the server and carries an idempotency_key is kept in the outbox
   (static/js/offline-db.js) and the browser is sent to the outbox page; the page sends it later. */
"use strict";
importScripts({{ db_script }});

var VERSION = "{{ version }}";
var SHELL_CACHE = "ww-shell-" + VERSION;
var PAGES_CACHE = "ww-pages-" + VERSION;
var SHELL = {{ shell }};
var OUTBOX = {{ outbox }};
var LOGIN = {{ login }};
var STATIC = {{ static_prefix }};
var NOT_KEPT = [LOGIN, "/logout/", "/admin/", "/api/", "/i18n/", "/sw.js", "/manifest.webmanifest"];
var FRESH_MS = 5 * 60 * 1000;  // a kept page younger than this is not fetched again by "keep"

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("ww-") === 0 && n !== SHELL_CACHE && n !== PAGES_CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(response) {
  if (!response.ok || response.type !== "basic") return false;
  var type = response.headers.get("Content-Type") || "";
  if (type.indexOf("text/html") !== 0) return false;
  var path = new URL(response.url).pathname;
  return !NOT_KEPT.some(function (prefix) { return path.indexOf(prefix) === 0; });
}

function offlinePage() {
  var html = '<!doctype html><html lang="{{ LANGUAGE_CODE }}"><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{% filter escapejs %}{% translate "无网络" %}{% endfilter %}</title>' +
    '<link rel="stylesheet" href="{% static "vendor/bootstrap/css/bootstrap.min.css" %}">' +
    '<main class="container py-4"><h1 class="h5">{% filter escapejs %}{% translate "无网络，此页面未保存在本机" %}{% endfilter %}</h1>' +
    '<p>{% filter escapejs %}{% translate "有网络时打开过的页面和今日工作中的页面可离线查看。" %}{% endfilter %}</p>' +
    '<p><a href="/">{% filter escapejs %}{% translate "今日工作" %}{% endfilter %}</a> · <a href="' + OUTBOX + '">{% filter escapejs %}{% translate "待发送记录" %}{% endfilter %}</a></p></main>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function fromCache(request) {
  return caches.match(request.url, { ignoreVary: true }).then(function (cached) {
    // the outbox page is one page whatever its query (?queued=1)
    if (cached || new URL(request.url).pathname !== OUTBOX) return cached;
    return caches.match(OUTBOX, { ignoreVary: true, ignoreSearch: true });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { return cache.put(request.url, copy); });
    }
    return response;
  }, function () {
    return fromCache(request).then(function (cached) { return cached || offlinePage(); });
  });
}

function cacheFirst(request) {
  return fromCache(request).then(function (cached) {
    return cached || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { return cache.put(request.url, copy); });
      }
      return response;
    });
  });
}

function titleOf(url) {
  return fromCache({ url: url }).then(function (cached) {
    return cached ? cached.text() : "";
  }).then(function (html) {
    var m = /<title>([^<]*)<\/title>/.exec(html || "");
    return m ? m[1].split(" · ")[0].trim() : "";
  }, function () { return ""; });
}

function tellPages() {
  return self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (c) { c.postMessage({ type: "outbox" }); });
  });
}

function postOrQueue(request) {
  var copy = request.clone();
  return fetch(request).catch(function () {
    return copy.formData().then(function (form) {
      var key = form.get("idempotency_key");
      if (!key) return offlinePage();  // not safe to send twice: not kept
      var fields = [];
      form.forEach(function (value, name) { fields.push([name, value]); });
      return titleOf(request.referrer || request.url).then(function (title) {
        return self.WarmWinterOutbox.add({
          url: request.url, fields: fields, key: String(key), title: title,
          label: String(form.get("offline_label") || ""), page: request.referrer || "",
          created: Date.now(), status: "waiting", message: ""
        });
      }).then(tellPages).then(function () { return Response.redirect(OUTBOX + "?queued=1", 303); });
    }, function () { return offlinePage(); });
  });
}

/* Keep pages for offline use (asked by a signed-in page: today's list, its households, the forms).
   A page reached by a redirect is kept under its own address, and the address asked for answers
   the same redirect. */
var generation = 0;  // moved on by clearing: a "keep" under way then stops, keeping nothing more

function keep(urls) {
  var mine = generation;
  return caches.open(PAGES_CACHE).then(function (cache) {
    var chain = Promise.resolve();
    urls.slice(0, 120).forEach(function (url) {
      chain = chain.then(function () {
        if (mine !== generation) return;
        return cache.match(url, { ignoreVary: true }).then(function (old) {
          var date = old && Date.parse(old.headers.get("Date") || "");
          if (date && Date.now() - date < FRESH_MS) return;
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (!keepable(response) || mine !== generation) return;
            if (response.redirected) {
              // a response that followed a redirect cannot answer a navigation: kept as a plain copy
              var final = response.url;
              return response.blob().then(function (body) {
                var copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
                return cache.put(final, copy);
              }).then(function () { return cache.put(url, Response.redirect(final, 302)); });
            }
            return cache.put(url, response);
          });
        });
      });
    });
    return chain.catch(function () { /* no network: keep what is kept */ });
  });
}

function clearAll() {
  generation += 1;
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("ww-") === 0; })
      .map(function (n) { return caches.delete(n); }));
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.urls)) event.waitUntil(keep(data.urls));
  if (data.type === "forget-pages") { generation += 1; event.waitUntil(caches.delete(PAGES_CACHE)); }
  if (data.type === "clear") event.waitUntil(clearAll());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && request.mode === "navigate") {
    event.respondWith(postOrQueue(request));
  } else if (request.method !== "GET") {
    return;
  } else if (url.pathname.indexOf(STATIC) === 0) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  }
});
{% endautoescape %}

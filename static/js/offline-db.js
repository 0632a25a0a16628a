/* The device's outbox: forms kept for sending when there is no network (IndexedDB "warmwinter",
   store "outbox"). Loaded by the service worker (importScripts) and by every page (static/js/offline.js).
   A connection is opened per operation and closed after it, so that signing out can delete the
   database at once. Entry: {id, url, fields: [[name, value], ...], key, title, label, created,
   status: waiting | sent | failed | conflict | login, message} */
(function (scope) {
  "use strict";
  var DB = "warmwinter", STORE = "outbox";

  /* Reading does not create the database: a signed-out device keeps none. */
  function open(create) {
    return new Promise(function (resolve, reject) {
      var req = scope.indexedDB.open(DB, 1);
      req.onupgradeneeded = function (event) {
        if (!create && event.oldVersion === 0) { req.transaction.abort(); return; }
        req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function (event) {
        if (!create) { event.preventDefault(); resolve(null); } else reject(req.error);
      };
    });
  }

  function run(mode, work) {
    return open(mode === "readwrite").then(function (db) {
      if (!db) return undefined;
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        var req = work(tx.objectStore(STORE));
        req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  scope.WarmWinterOutbox = {
    add: function (entry) { return run("readwrite", function (s) { return s.add(entry); }); },
    put: function (entry) { return run("readwrite", function (s) { return s.put(entry); }); },
    remove: function (id) { return run("readwrite", function (s) { return s.delete(id); }); },
    all: function () { return run("readonly", function (s) { return s.getAll(); }).then(function (r) { return r || []; }); },
    destroy: function () {
      return new Promise(function (resolve) {
        var req = scope.indexedDB.deleteDatabase(DB);
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    }
  };
})(self);

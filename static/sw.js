/* Inspector's service worker: without signal, a page the phone has kept opens, and any other shows the
   "Tidak ada sinyal" page instead of the browser's own error.
   VERSION, SHELL (the URLs kept at install), OFFLINE_URL and OUTBOX_URL are set above by the server.
   Pages prepared for work without signal ("Siapkan untuk tanpa sinyal") live in one cache per account,
   "inspector-user-<id>", and are served only while the phone's current account (set by every page the server
   signs, kept in IndexedDB by static/offline.js) is that account: never one account's pages to another.
   An update of this worker replaces only its own shell cache: what the inspector typed or photographed is
   in IndexedDB and in the caches of prepared pages, which an update never touches. */
"use strict";

importScripts(OUTBOX_URL);  // the outbox's sending, shared with the pages (static/outbox.js)

var SHELL_CACHE = "inspector-shell-" + VERSION;
var USER_CACHE = "inspector-user-";
var KEPT_FORM = /^\/kunjungan\/[\w-]+$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    // A static URL names its content (?v=): the copy the page has just loaded is the right one, not fetched twice.
    return cache.addAll(SHELL.map(function (url) {
      return new Request(url, {cache: url.indexOf("/static/") === 0 ? "default" : "reload"});
    }));
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("inspector-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* The phone's current account, as the last page the server signed said: "" when signed out. */
function currentUser() {
  return new Promise(function (resolve) {
    var open;
    try { open = indexedDB.open("inspector", 1); } catch (e) { resolve(""); return; }
    open.onupgradeneeded = function () {
      var db = open.result;
      if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
    };
    open.onerror = function () { resolve(""); };
    open.onsuccess = function () {
      var db = open.result, get;
      try { get = db.transaction("meta").objectStore("meta").get("user"); } catch (e) { db.close(); resolve(""); return; }
      get.onsuccess = function () { db.close(); resolve(typeof get.result === "string" ? get.result : ""); };
      get.onerror = function () { db.close(); resolve(""); };
    };
  });
}

function keptFor(request) {
  return currentUser().then(function (user) {
    if (!user) { return undefined; }
    return caches.has(USER_CACHE + user).then(function (has) {
      return has ? caches.open(USER_CACHE + user).then(function (cache) { return cache.match(request); }) : undefined;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return keptFor(request).then(function (kept) {
        return kept || caches.match(OFFLINE_URL, {cacheName: SHELL_CACHE});
      });
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    // Static URLs carry their content's hash (?v=): a kept copy is the right one.
    event.respondWith(caches.match(request).then(function (kept) { return kept || fetch(request); }));
  }
});

/* "Siapkan": keep each page as the signed-in account sees it, in that account's cache; pages no longer on
   the list leave it. A page that does not answer 200 itself (a redirect to the sign-in page) is not kept. */
function prepare(data) {
  var name = USER_CACHE + data.user;
  return caches.open(name).then(function (cache) {
    return Promise.all(data.urls.map(function (url) {
      return fetch(url, {credentials: "same-origin", cache: "no-store", redirect: "manual"}).then(function (response) {
        if (response.status !== 200 || response.type !== "basic") { return {url: url, ok: false}; }
        return cache.put(url, response).then(function () { return {url: url, ok: true}; });
      }, function () { return {url: url, ok: false}; });
    })).then(function (results) {
      var wanted = {};
      data.urls.forEach(function (url) { wanted[new URL(url, self.location.origin).href] = true; });
      if (data.only) { return results; }  // one page kept by itself (an inspection's form): the others stay
      return cache.keys().then(function (requests) {
        // An inspection's form page kept by itself (static/kept.js) is not on the list, and stays.
        return Promise.all(requests.filter(function (r) { return !wanted[r.url] && !KEPT_FORM.test(new URL(r.url).pathname); })
          .map(function (r) { return cache.delete(r); }));
      }).then(function () { return results; });
    });
  });
}

/* Sign-out or another account: every other account's cache goes. */
function forget(keep) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(USER_CACHE) === 0 && name !== (keep ? USER_CACHE + keep : "");
    }).map(function (name) { return caches.delete(name); }));
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {}, port = event.ports && event.ports[0];
  var reply = function (body) { if (port) { port.postMessage(body); } };
  if (data.type === "prepare" && typeof data.user === "string" && data.user && Array.isArray(data.urls)) {
    event.waitUntil(forget(data.user).then(function () { return prepare(data); })
      .then(function (results) { reply({results: results}); }, function () { reply({error: true}); }));
  } else if (data.type === "keep" && typeof data.user === "string" && data.user && Array.isArray(data.urls)) {
    // An inspection's form page, opened with signal, keeps itself (static/kept.js).
    var urls = data.urls.filter(function (url) { return KEPT_FORM.test(new URL(url, self.location.origin).pathname); });
    event.waitUntil(prepare({user: data.user, urls: urls, only: true})
      .then(function (results) { reply({results: results}); }, function () { reply({error: true}); }));
  } else if (data.type === "drop" && typeof data.user === "string" && data.user && Array.isArray(data.urls)) {
    event.waitUntil(caches.open(USER_CACHE + data.user).then(function (cache) {
      return Promise.all(data.urls.map(function (url) { return cache.delete(url); }));
    }).then(function () { reply({done: true}); }, function () { reply({done: false}); }));
  } else if (data.type === "forget") {
    event.waitUntil(forget(typeof data.keep === "string" ? data.keep : "").then(
      function () { reply({done: true}); }, function () { reply({done: false}); }));
  }
});

/* Background Sync: the signal is back. With no page of the outbox open, the worker sends it itself with the
   pages' own code (static/outbox.js), as the phone's current account, then tells any open page to show what is
   left. A try that could not send rejects, so the browser tries the sync again later. */
function sendOutbox() {
  return currentUser().then(function (user) {
    if (!user) { return null; }
    return InspectorOutbox.db.get("csrf").then(function (kept) {
      var csrf = kept && kept.user === user ? kept.token : "";
      return InspectorOutbox.send(user, {csrf: csrf}).then(function () { return tell(); }, function (error) {
        return tell().then(function () { throw error; });
      });
    });
  });
}

function tell() {
  return self.clients.matchAll({type: "window"}).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({type: "outbox-sent"}); });
  });
}

/* An open page that runs the outbox sends it itself (it knows its own signal, and its retries are shown):
   each is asked, and the worker sends only when none answers within a few seconds. */
function aPageSends() {
  return self.clients.matchAll({type: "window"}).then(function (clients) {
    return new Promise(function (resolve) {
      var done = false;
      var finish = function (value) { if (!done) { done = true; clearTimeout(timer); resolve(value); } };
      var timer = setTimeout(function () { finish(false); }, clients.length ? 3000 : 0);
      clients.forEach(function (client) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { if (event.data && event.data.sending) { finish(true); } };
        client.postMessage({type: "outbox"}, [channel.port2]);
      });
    });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "outbox") { return; }
  event.waitUntil(aPageSends().then(function (sending) { return sending ? null : sendOutbox(); }));
});

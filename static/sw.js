/* Inspector's service worker: without signal, a page the phone has kept opens, and any other shows the
   "Tidak ada sinyal" page instead of the browser's own error.
   VERSION, SHELL (the URLs kept at install) and OFFLINE_URL are set above by the server.
   An update of this worker replaces only its own shell cache: what the inspector typed or photographed is
   in IndexedDB and in the caches of prepared pages, which an update never touches. */
"use strict";

var SHELL_CACHE = "inspector-shell-" + VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) { return new Request(url, {cache: "reload"}); }));
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("inspector-shell-") === 0 && name !== SHELL_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE_URL, {cacheName: SHELL_CACHE});
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    // Static URLs carry their content's hash (?v=): a kept copy is the right one.
    event.respondWith(caches.match(request).then(function (kept) { return kept || fetch(request); }));
  }
});

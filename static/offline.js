/* Work without signal, on the phone's side: whose pages these are, and "Siapkan untuk tanpa sinyal".
   Every page the server signs names its account (body data-user, "" when signed out); the phone keeps that
   name in IndexedDB ("inspector", store "meta", key "user"), where the service worker reads it before it
   serves a kept page. A page of another account removes the caches and data this phone kept for anyone else;
   "Keluar" removes them all. Without a service worker nothing here shows and the pages work as they are. */
(function () {
  "use strict";
  var body = document.body;
  if (!body || !window.indexedDB) { return; }
  var pageUser = body.getAttribute("data-user");  // null on a page kept for everyone (it names no account)
  var USER_CACHE = "inspector-user-";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];

  function openDb() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("inspector", 1);
      open.onupgradeneeded = function () {
        if (!open.result.objectStoreNames.contains("meta")) { open.result.createObjectStore("meta"); }
      };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }

  function meta(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("meta", mode), result;
        var request = work(tx.objectStore("meta"));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function get(key) { return meta("readonly", function (s) { return s.get(key); }); }
  function put(key, value) { return meta("readwrite", function (s) { s.put(value, key); }); }

  /* Everything kept for an account other than ``keep`` ("" keeps nothing): its cache and its records. */
  function forget(keep) {
    var caches_ = window.caches ? caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(USER_CACHE) === 0 && name !== USER_CACHE + keep;
      }).map(function (name) { return caches.delete(name); }));
    }) : Promise.resolve();
    var records = meta("readwrite", function (s) {
      var cursor = s.openCursor();
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (!c) { return; }
        if (c.key !== "user" && c.value && c.value.user !== keep) { c.delete(); }
        c.continue();
      };
    });
    return Promise.all([caches_, records]);
  }

  var ready = Promise.resolve();
  if (pageUser !== null) {
    ready = put("user", pageUser).then(function () { return pageUser ? forget(pageUser) : null; })
      .catch(function () { /* private mode without IndexedDB: nothing is kept, nothing served */ });
  }

  var signOut = document.querySelector("form[action$='/keluar']");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      if (signOut.getAttribute("data-forgotten") === "1") { return; }
      event.preventDefault();
      var go = function () { signOut.setAttribute("data-forgotten", "1"); signOut.submit(); };
      var timer = window.setTimeout(go, 3000);  // a phone that cannot answer still signs out
      put("user", "").then(function () { return forget(""); })
        .then(function () { window.clearTimeout(timer); go(); }, function () { window.clearTimeout(timer); go(); });
    });
  }

  /* --- "Siapkan untuk tanpa sinyal" on the inspector's home ------------------------------------------ */
  var section = document.querySelector("[data-prepare]");
  if (!section || !pageUser || !("serviceWorker" in navigator) || !window.caches || !window.isSecureContext) { return; }
  var button = section.querySelector("[data-prepare-button]");
  var status = section.querySelector("[data-prepare-status]");
  var details = section.querySelector("[data-prepare-details]");
  var list = section.querySelector("[data-prepare-list]");
  var busy = false;
  section.hidden = false;

  function wib(iso) {
    var moment = new Date(new Date(iso).getTime() + 7 * 3600e3);  // WIB is UTC+7 all year
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return moment.getUTCDate() + " " + MONTHS[moment.getUTCMonth()] + " " + moment.getUTCFullYear() + " " +
      pad(moment.getUTCHours()) + "." + pad(moment.getUTCMinutes()) + " WIB";
  }

  function show(kept) {
    list.textContent = "";
    if (!kept) { status.textContent = "Belum disiapkan di ponsel ini."; details.hidden = true; return; }
    var ready_ = kept.lks.filter(function (l) { return l.ok; }).length;
    var forms = kept.checklists.filter(function (c) { return c.ok; }).length;
    var failed = kept.lks.length - ready_ + kept.checklists.length - forms;
    status.textContent = "Siap tanpa sinyal: " + ready_ + " LKS dan " + forms + " daftar periksa. " +
      "Terakhir diperbarui " + wib(kept.at) + "." + (failed ? " " + failed + " halaman gagal disimpan; coba lagi." : "");
    kept.lks.forEach(function (l) {
      var li = document.createElement("li");
      li.textContent = l.name + " · " + l.code + (l.ok ? "" : " (gagal disimpan)");
      list.appendChild(li);
    });
    kept.checklists.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = "Daftar periksa: " + c.title + " (versi " + c.version + ")" + (c.ok ? "" : " (gagal disimpan)");
      list.appendChild(li);
    });
    details.hidden = false;
    button.textContent = "Perbarui sekarang";
  }

  function ask(worker, message) {
    return new Promise(function (resolve, reject) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { resolve(event.data); };
      worker.postMessage(message, [channel.port2]);
      window.setTimeout(function () { reject(new Error("no answer")); }, 120000);
    });
  }

  function refresh() {
    if (busy || !navigator.onLine) { return; }
    busy = true;
    button.disabled = true;
    status.textContent = "Menyiapkan halaman untuk tanpa sinyal…";
    var listing;
    fetch(section.getAttribute("data-prepare"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data.user !== pageUser) { throw new Error("another account"); }
        listing = data;
        var urls = data.lks.map(function (l) { return l.start_url; }).concat(data.checklists.map(function (c) { return c.url; }));
        return navigator.serviceWorker.ready.then(function (registration) {
          return ask(registration.active, {type: "prepare", user: pageUser, urls: urls});
        });
      })
      .then(function (answer) {
        if (!answer || !answer.results) { throw new Error("not kept"); }
        var ok = {};
        answer.results.forEach(function (r) { ok[new URL(r.url, location.href).pathname] = r.ok; });
        var kept = {user: pageUser, at: new Date().toISOString(),
          lks: listing.lks.map(function (l) { return {code: l.code, name: l.name, url: l.start_url, checklists: l.checklists, ok: !!ok[l.start_url]}; }),
          checklists: listing.checklists.map(function (c) { return {key: c.key, title: c.title, version: c.version, url: c.url, ok: !!ok[c.url]}; })};
        return put("prepared", kept).then(function () { show(kept); });
      })
      .catch(function () {
        status.textContent = "Gagal menyiapkan. Periksa sinyal lalu coba lagi.";
      })
      .then(function () { busy = false; button.disabled = false; section.setAttribute("data-prepared-at", Date.now()); });
  }

  button.addEventListener("click", refresh);
  window.addEventListener("online", function () { ready.then(function () { return get("prepared"); }).then(function (k) { if (k) { refresh(); } }); });
  ready.then(function () { return get("prepared"); }).then(function (kept) {
    kept = kept && kept.user === pageUser ? kept : null;
    show(kept);
    if (kept && navigator.onLine) { refresh(); }  // it refreshes itself whenever the home opens with signal
  }, function () { show(null); });
})();

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
      var leave = function () {
        var timer = window.setTimeout(go, 3000);  // a phone that cannot answer still signs out
        put("user", "").then(function () { return forget(""); })
          .then(function () { window.clearTimeout(timer); go(); }, function () { window.clearTimeout(timer); go(); });
      };
      var outbox = window.InspectorOffline && window.InspectorOffline.outbox;
      if (!outbox || signOut.getAttribute("data-warned") === "1") { leave(); return; }
      outbox.waiting().then(function (items) {
        if (!items.length) { leave(); return; }
        warn(items.length, leave, outbox);
      }, leave);
    });
  }

  /* "Keluar" with visits still in the outbox: say so, and offer to send them first. */
  function warn(count, leave, outbox) {
    var old = document.querySelector("[data-signout-warning]");
    if (old) { old.remove(); }
    var card = document.createElement("section"), main = document.querySelector("main");
    card.className = "card alert";
    card.setAttribute("data-signout-warning", "");
    card.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = count + " kunjungan di ponsel ini belum terkirim. Jika Anda keluar sekarang, isian dan foto itu " +
      "dihapus dari ponsel dan tidak sampai ke Dinas Sosial.";
    var state = document.createElement("p");
    state.setAttribute("data-signout-state", "");
    var send = document.createElement("button"), anyway = document.createElement("button");
    send.type = anyway.type = "button";
    send.className = "button";
    anyway.className = "button secondary";
    send.textContent = "Kirim dulu";
    anyway.textContent = "Tetap keluar dan hapus";
    send.addEventListener("click", function () {
      if (!navigator.onLine) { state.textContent = "Belum ada sinyal. Coba lagi setelah ada sinyal."; return; }
      state.textContent = "Mengirim…";
      outbox.send(true).then(outbox.waiting).then(function (items) {
        state.textContent = items.length ? "Belum semua terkirim; dicoba lagi otomatis. Tunggu sebentar lalu coba lagi."
          : "Semua kunjungan terkirim. Sekarang Anda bisa keluar.";
        if (!items.length) { send.hidden = true; anyway.hidden = true; }
      });
    });
    anyway.addEventListener("click", function () { signOut.setAttribute("data-warned", "1"); leave(); });
    card.appendChild(p);
    card.appendChild(send);
    card.appendChild(anyway);
    card.appendChild(state);
    main.insertBefore(card, main.firstChild);
    card.scrollIntoView({block: "start"});
  }


  function all() {
    var found = [];
    return meta("readonly", function (s) {
      var cursor = s.openCursor();
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (!c) { return; }
        found.push(c.value);
        c.continue();
      };
    }).then(function () { return found; });
  }
  function del(key) { return meta("readwrite", function (s) { s.delete(key); }); }

  window.InspectorOffline = {ready: ready, get: get, put: put, del: del, all: all, user: pageUser, wib: wib};

  function wib(iso) {
    var moment = new Date(new Date(iso).getTime() + 7 * 3600e3);  // WIB is UTC+7 all year
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return moment.getUTCDate() + " " + MONTHS[moment.getUTCMonth()] + " " + moment.getUTCFullYear() + " " +
      pad(moment.getUTCHours()) + "." + pad(moment.getUTCMinutes()) + " WIB";
  }

  prepareCard();

  /* --- "Siapkan untuk tanpa sinyal" on the inspector's home ------------------------------------------ */
  function prepareCard() {
  var section = document.querySelector("[data-prepare]");
  if (!section || !pageUser || !("serviceWorker" in navigator) || !window.caches || !window.isSecureContext) { return; }
  var button = section.querySelector("[data-prepare-button]");
  var status = section.querySelector("[data-prepare-status]");
  var details = section.querySelector("[data-prepare-details]");
  var list = section.querySelector("[data-prepare-list]");
  var busy = false;
  section.hidden = false;

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
  }
})();

/* "Mulai inspeksi" without signal: a draft made on the phone, with its own id and key, kept in IndexedDB
   ("draft:<id>"), filled on the blank checklist page the phone prepared. "Kirim" puts it in the outbox. */
(function () {
  "use strict";
  var db = window.InspectorOffline;
  if (!db || !db.user) { return; }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function token() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The start page (kept by "Siapkan"): offline, "Mulai inspeksi" makes the draft here instead of at the server.
  var start = document.querySelector("#mulai[data-lks-code]");
  if (start) {
    each(start.querySelectorAll("form[data-offline-checklist]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (navigator.onLine) { return; }
        event.preventDefault();
        if (form.getAttribute("data-locating") === "1") { return; }
        form.setAttribute("data-locating", "1");
        var url = form.getAttribute("data-offline-checklist"), id = token();
        var button = form.querySelector("button[type=submit]");
        if (button) { button.textContent = "Mencari lokasi\u2026"; }
        // Where the phone is at the start, as an online start records it (static/location.js; the same wait).
        var where = window.InspectorLocation ? window.InspectorLocation.read() : Promise.resolve({location: "unavailable"});
        where.then(function (found) {
          var draft = {user: db.user, type: "draft", id: id, state: "draft", created_at: new Date().toISOString(),
            lks: {code: start.getAttribute("data-lks-code"), name: start.getAttribute("data-lks-name")},
            checklist: {id: form.elements.checklist.value, version: form.getAttribute("data-checklist-version"), url: url},
            location: found, values: {}, photos: []};
          return db.ready.then(function () { return db.put("draft:" + id, draft); });
        }).then(function () {
          location.href = url + "#draf=" + id;
        });
      });
    });
  }

  var form = document.querySelector("form[data-phone-draft]");
  var found = /draf=([\w-]+)/.exec(location.hash);
  if (!form || !found) { return; }
  var key = "draft:" + found[1], draft = null;
  var bar = form.querySelector("[data-phone-bar]"), text = form.querySelector("[data-phone-text]");

  function collect() {
    var out = {};
    each(form.elements, function (field) {
      if (!field.name || /file|submit|button/.test(field.type)) { return; }
      var list = out[field.name] = out[field.name] || [];
      if (!/radio|checkbox/.test(field.type) || field.checked) { list.push(field.value); }
    });
    return out;
  }

  function restore(values) {
    each(form.elements, function (field) {
      if (!field.name || !(field.name in values) || /file|submit|button/.test(field.type)) { return; }
      if (/radio|checkbox/.test(field.type)) { field.checked = values[field.name].indexOf(field.value) >= 0; }
      else { field.value = values[field.name][0] || ""; }
    });
  }

  function thumb(blob) {  // a small picture as a data: URL (the pages' policy allows no blob: images)
    if (!window.createImageBitmap) { return Promise.resolve(""); }
    return createImageBitmap(blob).then(function (bitmap) {
      var canvas = document.createElement("canvas"), scale = 96 / Math.max(bitmap.width, bitmap.height);
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return canvas.toDataURL("image/jpeg", 0.7);
    }).catch(function () { return ""; });
  }

  function showPhotos() {
    each(form.querySelectorAll("ul.thumbs[data-phone]"), function (list) { list.remove(); });
    draft.photos.forEach(function (photo, n) {
      var input = form.querySelector("input[type=file][name='" + (photo.item ? photo.item + "__photos" : "photos_general") + "']");
      if (!input) { return; }
      var label = input.parentNode.querySelector("label.file[for='" + input.id + "']") || input;
      var list = input.parentNode.querySelector("ul.thumbs[data-phone]");
      if (!list) {
        list = document.createElement("ul");
        list.className = "thumbs";
        list.setAttribute("data-phone", "");
        input.parentNode.insertBefore(list, label);
      }
      var li = document.createElement("li"), img = document.createElement("img");
      img.alt = "Foto " + (n + 1);
      img.width = img.height = 96;
      if (photo.thumb) { img.src = photo.thumb; }
      li.appendChild(img);
      list.appendChild(li);
    });
    form.dispatchEvent(new Event("inspector:count"));
  }

  // The summary: what is still missing (each a link to its question), the score by the server's rules, and the
  // critical findings. The server scores again when it receives the visit.
  var rules = [];
  try { rules = JSON.parse(form.getAttribute("data-rules") || "[]"); } catch (e) { rules = []; }
  var summary = form.querySelector("[data-phone-summary]");

  function answersNow() {
    var values = collect(), out = {};
    rules.forEach(function (section) {
      section.items.forEach(function (rule) {
        var got = values[rule.id] || [];
        out[rule.id] = rule.type === "multi" ? got : (got[0] || "");
      });
    });
    return out;
  }

  function questionOf(id) {
    var legend = form.querySelector("#q-" + id);
    return legend ? legend.childNodes[0].textContent.trim() : id;
  }

  function summarise() {
    if (!draft || !summary) { return; }
    var answers = answersNow(), list = summary.querySelector("[data-phone-missing]");
    var scoreText = summary.querySelector("[data-phone-score]"), critical = summary.querySelector("[data-phone-critical]");
    var missingText = summary.querySelector("[data-phone-missing-text]");
    var result = window.InspectorScore ? window.InspectorScore.score(rules, answers) : null;
    scoreText.textContent = result && result.percent !== null ?
      "Skor sementara: " + String(result.percent).replace(".", ",") + " dari 100 (dihitung lagi oleh server saat diterima)." :
      "Skor sementara: belum ada jawaban yang dinilai.";
    critical.hidden = !(result && result.critical_failed.length);
    if (result && result.critical_failed.length) {
      critical.textContent = "Temuan kritis: " + result.critical_failed.map(questionOf).join("; ") +
        ". Bila ada anak dalam bahaya sekarang, telepon 110 atau SAPA 129.";
    }
    list.textContent = "";
    var missing = [];
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.question[data-required]"), function (question) {
      var kind = question.getAttribute("data-required"), id = question.id.replace(/^item-/, "");
      if (!kind) { return; }
      var done = kind === "photo" ? draft.photos.some(function (p) { return p.item === id; }) :
        (Array.isArray(answers[id]) ? answers[id].length > 0 : String(answers[id] || "").trim() !== "");
      if (!done) { missing.push(id); }
    });
    // As the server's inspections.missing: a failing answer that asks for a photo needs one.
    rules.forEach(function (section) {
      section.items.forEach(function (rule) {
        if (!rule.photo_on_fail || missing.indexOf(rule.id) >= 0 || !window.InspectorScore) { return; }
        if (window.InspectorScore.fails(rule, answers[rule.id]) &&
            !draft.photos.some(function (p) { return p.item === rule.id; })) { missing.push(rule.id); }
      });
    });
    missingText.hidden = !missing.length;
    missingText.textContent = missing.length + " pertanyaan wajib belum terjawab atau perlu bukti foto:";
    missing.forEach(function (id) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "#item-" + id;
      a.textContent = questionOf(id);
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = false;
    return missing.length;
  }

  function save() {
    summarise();
    if (!draft || draft.state !== "draft") { return Promise.resolve(); }
    draft.values = collect();
    return db.put(key, draft);
  }

  db.ready.then(function () { return db.get(key); }).then(function (kept) {
    if (!kept || kept.user !== db.user) { return; }
    draft = kept;
    var heading = document.querySelector("main h1"), started = document.querySelector("[data-phone-started]");
    heading.textContent = draft.lks.name;
    started.textContent = "Draf di ponsel ini · dimulai " + db.wib(draft.created_at) + " · kode LKS " + draft.lks.code;
    started.hidden = false;
    each(document.querySelectorAll("[data-phone-draft-note]"), function (note) { note.hidden = true; });
    restore(draft.values);
    showPhotos();
    summarise();
    bar.hidden = false;
    if (draft.state !== "draft") {
      text.textContent = "Sudah di kotak keluar: dikirim otomatis saat ada sinyal.";
      form.querySelector("[data-phone-send]").hidden = true;
    }
    form.setAttribute("data-phone-ready", "1");
  });

  form.addEventListener("input", save);
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file") { save(); return; }
    if (!draft) { return; }
    var item = input.name === "photos_general" ? "" : input.name.replace(/__photos$/, "");
    var photos = window.InspectorPhotos;
    var files = Array.prototype.slice.call(input.files);
    input.value = "";
    Promise.all(files.map(function (file) {
      return Promise.all([photos ? photos.shrink(file) : file, photos ? photos.takenAt(file) : ""]).then(function (got) {
        return thumb(got[0]).then(function (small) {
          return {key: token(), item: item, name: file.name, blob: got[0], taken_at: got[1], thumb: small, sent: false};
        });
      });
    })).then(function (made) {
      draft.photos = draft.photos.concat(made);
      return save();
    }).then(showPhotos).then(summarise);
  });

  form.querySelector("[data-phone-send]").addEventListener("click", function () {
    if (!draft) { return; }
    var left = summarise();
    if (left) {
      summary.scrollIntoView({block: "start"});
      text.textContent = "Belum bisa dikirim: " + left + " pertanyaan wajib belum terjawab atau perlu bukti foto.";
      return;
    }
    draft.values = collect();
    draft.state = "outbox";
    draft.queued_at = new Date().toISOString();
    db.put(key, draft).then(function () {
      text.textContent = "Masuk kotak keluar: dikirim otomatis saat ada sinyal.";
      form.querySelector("[data-phone-send]").hidden = true;
      document.dispatchEvent(new Event("inspector:outbox"));
    });
  });
})();

/* The outbox, on every signed-in page: "2 kunjungan dan 7 foto menunggu dikirim", each with its state. It sends
   by itself when there is signal (on every page load and on the "online" event), retrying with a growing wait,
   and registers a Background Sync where the browser has it, so the service worker sends it with no page open.
   The sending itself is static/outbox.js, shared with the worker. */
(function () {
  "use strict";
  var db = window.InspectorOffline, outbox = window.InspectorOutbox;
  if (!db || !db.user || !outbox) { return; }
  var DELAYS = [2000, 5000, 15000, 30000, 60000];
  var box = null, sending = false, tries = 0, timer = null;
  var csrf = document.querySelector("input[name=csrf_token]");
  // The worker has no page to read the account's form token from: it is kept with the account's records.
  var ready = db.ready.then(function () {
    return csrf ? db.put("csrf", {user: db.user, token: csrf.value}) : null;
  }).catch(function () { /* the page still sends with its own token */ });

  function waiting() { return outbox.waiting(db.user); }

  var STATES = {outbox: "menunggu sinyal", sending: "sedang dikirim", failed: "gagal, dicoba lagi",
    refused: "ditolak server", conflict: "Bentrok", old_version: "daftar periksa sudah versi baru"};

  /* A draft of a checklist version the server no longer offers: its answers to the questions that still exist
     (and their photos) move to the version offered now, and the draft opens there to be checked and sent. */
  function moveToNext(r) {
    var items = {};
    r.next.items.forEach(function (id) { items[id] = true; });
    var values = {};
    Object.keys(r.values).forEach(function (name) {
      if (items[name.replace(/__note$/, "")]) { values[name] = r.values[name]; }
    });
    r.values = values;
    r.photos = r.photos.filter(function (p) { return !p.item || items[p.item]; });
    r.checklist = {id: r.next.id, version: String(r.next.version), url: r.next.url};
    r.state = "draft";
    delete r.next;
    delete r.server;
    r.error = "";
    return db.put("draft:" + r.id, r).then(function () { location.href = r.checklist.url + "#draf=" + r.id; });
  }

  function render(items) {
    if (!items.length) { if (box) { box.hidden = true; } return; }
    if (!box) {
      box = document.createElement("section");
      box.className = "card outbox";
      box.setAttribute("data-outbox", "");
      box.setAttribute("role", "status");
      var main = document.querySelector("main");
      main.insertBefore(box, main.firstChild);
    }
    var photos = items.reduce(function (n, r) { return n + r.photos.filter(function (p) { return !p.sent; }).length; }, 0);
    box.textContent = "";
    var head = document.createElement("p");
    head.setAttribute("data-outbox-count", "");
    head.innerHTML = "";
    head.appendChild(document.createElement("strong")).textContent = items.length + " kunjungan dan " + photos +
      " foto menunggu dikirim";
    box.appendChild(head);
    var list = document.createElement("ul");
    list.className = "links";
    items.forEach(function (r) {
      var li = document.createElement("li");
      li.textContent = r.lks.name + (r.kind === "save" ? " (simpanan draf)" : "") + " · " + (STATES[r.state] || r.state) +
        (r.error ? " (" + r.error + ")" : "");
      li.setAttribute("data-outbox-state", r.state);
      if (r.state === "old_version" && r.next) {
        var move = document.createElement("button");
        move.type = "button";
        move.className = "button secondary";
        move.setAttribute("data-outbox-move", "");
        move.textContent = "Pindahkan isian ke versi " + r.next.version;
        move.addEventListener("click", function () { moveToNext(r); });
        var why = document.createElement("span");
        why.className = "muted";
        why.textContent = "Jawaban untuk pertanyaan yang masih ada ikut pindah; periksa lalu kirim lagi.";
        li.appendChild(document.createElement("br"));
        li.appendChild(why);
        li.appendChild(move);
      }
      if (r.state === "conflict") {  // changed on the server meanwhile: the inspector sees both and chooses
        var link = document.createElement("a");
        link.href = "/luring/bentrok/" + encodeURIComponent(r.server.id);
        link.textContent = "Lihat kedua isian dan pilih";
        li.appendChild(document.createElement("br"));
        li.appendChild(link);
      }
      list.appendChild(li);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function refreshBox() { return waiting().then(function (items) { render(items); return items; }); }

  // A refused visit is tried again only when a page loads (a new sign-in, a fresh form token), never in a loop.
  var current = Promise.resolve();
  function pump(withRefused) {
    if (sending || !navigator.onLine) { return current; }
    sending = true;
    window.clearTimeout(timer);
    current = ready.then(function () {
      return outbox.send(db.user, {csrf: csrf ? csrf.value : "", withRefused: withRefused === true, onSaved: saved});
    }).then(function () { tries = 0; }, function () {
      timer = window.setTimeout(pump, DELAYS[Math.min(tries, DELAYS.length - 1)]);
      tries++;
    }).then(function () { sending = false; return refreshBox(); }, function () { sending = false; });
    refreshBox();
    return current;
  }

  function saved(id, version) {
    document.dispatchEvent(new CustomEvent("inspector:saved", {detail: {id: id, version: version}}));
  }

  // Background Sync where the browser has it: the worker sends the outbox when the signal returns, page or not.
  function sync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register("outbox"); }
    }).catch(function () { /* the online event and page loads still send */ });
  }

  ready.then(refreshBox).then(function (items) {
    if (items.length) { sync(); }
    return pump(true);
  });
  window.addEventListener("online", function () { pump(false); });
  document.addEventListener("inspector:outbox", function () {
    refreshBox().then(function () { pump(false); });
    sync();
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-sent") { refreshBox(); }
      if (event.data && event.data.type === "outbox") {  // a Background Sync: this page sends, not the worker
        if (event.ports && event.ports[0]) { event.ports[0].postMessage({sending: navigator.onLine}); }
        pump(false);
      }
    });
  }
  window.InspectorOffline.outbox = {waiting: waiting, send: pump};
})();

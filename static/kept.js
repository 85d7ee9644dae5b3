/* Continue without signal an inspection already open on the server. Its form page, opened with signal, keeps
   itself on the phone: the service worker stores the page in the account's cache ("inspector-user-<id>") and
   this script keeps the inspection's id, key, where its saves go, the answers and the revision the page shows
   in IndexedDB ("draft:<inspection id>", kind "save", state "kept"). Without signal the same address opens
   from the phone with the kept answers; every edit, and "Simpan draf", puts a save of that inspection in the
   outbox (static/offline.js), which sends it with the revision it was typed on: the server refuses it as a
   conflict when the inspection changed meanwhile (returned by a reviewer), never overwriting it.
   Its summary page, once the inspection is sent, removes the kept page and copy. */
(function () {
  "use strict";
  var db = window.InspectorOffline;
  if (!db || !db.user || !("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var PENDING = /^(outbox|sending|failed|refused|conflict)$/;

  function worker(message) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        registration.active.postMessage(message, [channel.port2]);
      });
    });
  }

  // The summary of a sent inspection: its kept page and copy are no longer needed (unless a save still waits).
  var sent = /^\/kunjungan\/([\w-]+)\/ringkasan$/.exec(location.pathname);
  if (sent && navigator.onLine && !document.querySelector("form[action$='/kirim']")) {
    db.ready.then(function () { return db.get("draft:" + sent[1]); }).then(function (kept) {
      if (!kept || kept.kind !== "save" || PENDING.test(kept.state)) { return null; }
      return db.del("draft:" + sent[1]).then(function () {
        return worker({type: "drop", user: db.user, urls: [kept.checklist.url]});
      });
    });
    return;
  }

  var form = document.querySelector("form.inspection[data-inspection]");
  if (!form) { return; }
  var id = form.getAttribute("data-inspection"), key = "draft:" + id, record = null;
  var SKIP = {inspection_key: true, place_js: true, csrf_token: true};

  function collect() {
    var out = {};
    each(form.elements, function (field) {
      if (!field.name || SKIP[field.name] || /file|submit|button/.test(field.type)) { return; }
      var list = out[field.name] = out[field.name] || [];
      if (!/radio|checkbox/.test(field.type) || field.checked) { list.push(field.value); }
    });
    return out;
  }

  function restore(values) {
    each(form.elements, function (field) {
      var list = values[field.name];
      if (!list || SKIP[field.name] || /file|submit|button/.test(field.type)) { return; }
      if (/radio|checkbox/.test(field.type)) { field.checked = list.indexOf(field.value) >= 0; }
      else {
        field.value = list[0] || "";
        var note = field.closest("details.note");
        if (note && field.value) { note.open = true; }
      }
    });
    form.dispatchEvent(new Event("inspector:count"));
  }

  var status = document.createElement("p");
  status.setAttribute("role", "status");
  status.setAttribute("data-kept-text", "");
  status.hidden = true;
  var bar = form.querySelector(".bar");
  bar.parentNode.insertBefore(status, bar);
  function say(text) { status.textContent = text; status.hidden = !text; }

  function fresh() {
    var heading = document.querySelector("main h1"), top = document.querySelector("main > p.muted");
    return {user: db.user, type: "draft", kind: "save", id: id, state: "kept", kept_at: new Date().toISOString(),
      lks: {code: "", name: heading ? heading.textContent.trim() : id},
      checklist: {title: top ? top.textContent.trim() : "", url: location.pathname},
      values: collect(), photos: [], base: form.getAttribute("data-version"),
      server: {id: id, key: form.elements.inspection_key.value, save: form.getAttribute("action"),
        upload: form.getAttribute("data-upload"), submit: form.getAttribute("action") + "/kirim",
        summary: form.getAttribute("action") + "/ringkasan"}};
  }

  // An edit: with signal the page's own background save carries it (static/app.js), and the copy follows the
  // revision that save answers; without signal it becomes a save waiting in the outbox.
  function edited(event) {
    if (!record || (event && event.target && (!event.target.name || event.target.type === "file"))) { return; }
    record.values = collect();
    if (!navigator.onLine && !PENDING.test(record.state)) {
      record.state = "outbox";
      record.base = form.getAttribute("data-version");
      record.queued_at = new Date().toISOString();
    } else if (!PENDING.test(record.state)) {
      record.base = form.getAttribute("data-version");
    }
    return db.put(key, record).then(function () {
      if (record.state === "outbox") { document.dispatchEvent(new Event("inspector:outbox")); }
    });
  }

  db.ready.then(function () { return db.get(key); }).then(function (kept) {
    kept = kept && kept.user === db.user ? kept : null;
    if (kept && (PENDING.test(kept.state) || !navigator.onLine)) {
      record = kept;  // the phone's edits are newer than the answers on this page
      restore(kept.values);
      say(navigator.onLine ? "Isian dari ponsel ini menunggu dikirim." :
        "Tanpa sinyal: isian disimpan di ponsel ini dan dikirim otomatis saat ada sinyal.");
    } else if (navigator.onLine) {
      record = fresh();
    } else {
      return null;  // opened without signal, never kept: nothing to continue
    }
    return db.put(key, record).then(function () {
      if (!navigator.onLine) { return null; }
      return worker({type: "keep", user: db.user, urls: [location.pathname]});
    }).then(function () { form.setAttribute("data-kept", record.state); });
  });

  form.addEventListener("input", edited);
  form.addEventListener("change", edited);

  // "Simpan draf" or "Lanjut ke ringkasan" without signal: kept on the phone, in the outbox.
  form.addEventListener("submit", function (event) {
    if (navigator.onLine || !record) { return; }
    event.preventDefault();
    form.removeAttribute("data-sending");
    edited(null).then(function () {
      say("Tanpa sinyal: isian disimpan di ponsel ini dan masuk kotak keluar; dikirim otomatis saat ada sinyal. " +
        "Ringkasan dan Kirim bisa dibuka lagi setelah ada sinyal.");
      status.scrollIntoView({block: "nearest"});
    });
  });

  // The page's background save met a changed inspection (static/app.js): the outbox shows the conflict.
  form.addEventListener("inspector:conflict", function () {
    if (!record) { return; }
    record.values = collect();
    record.state = "conflict";
    record.error = "";
    db.put(key, record).then(function () { document.dispatchEvent(new Event("inspector:outbox")); });
  });
  // The outbox saved this inspection: this page now shows that revision.
  document.addEventListener("inspector:saved", function (event) {
    if (!event.detail || event.detail.id !== id) { return; }
    form.setAttribute("data-version", event.detail.version);
    db.get(key).then(function (kept) { if (kept) { record = kept; } });
    say("");
  });
})();

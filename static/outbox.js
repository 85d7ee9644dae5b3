/* Sending the outbox, with no page needed: the same code runs in a page (static/offline.js) and in the service
   worker (static/sw.js, on a Background Sync), so it touches no DOM. What waits is in IndexedDB ("inspector",
   store "meta"): a draft made on the phone ("draft:<id>") or a save of an inspection kept from the server
   (kind "save", static/kept.js). Each step is idempotent at the server: the inspection is made once per the
   draft's own token, each photo stored once per its key, the answers saved, then "Kirim" once; only then the
   phone's copy is deleted. A save names the revision it was typed on, and a 409 conflict stops it ("conflict")
   until the inspector chooses; a draft of a checklist version the server no longer offers stops
   ("old_version", with the version offered now) until the inspector moves its answers. One sender at a time on the phone (a Web Lock where the browser has it), and
   each reads the records afresh, so a page and the worker never send the same step from stale copies. */
(function (scope) {
  "use strict";

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
  var db = {
    get: function (key) { return meta("readonly", function (s) { return s.get(key); }); },
    del: function (key) { return meta("readwrite", function (s) { s.delete(key); }); },
    // Written only while it is still there: a copy deleted meanwhile ("Keluar", a choice on the conflict page)
    // is never brought back by a sender that read it before.
    update: function (key, value) {
      var found = false;
      return meta("readwrite", function (s) {
        var get = s.get(key);
        get.onsuccess = function () { if (get.result) { found = true; s.put(value, key); } };
      }).then(function () {
        if (!found) { var gone = new Error("deleted meanwhile"); gone.final = true; gone.gone = true; throw gone; }
      });
    },
    all: function () { return meta("readonly", function (s) { return s.getAll(); }).then(function (r) { return r || []; }); }
  };

  /* What waits to be sent for ``user``: every draft handed to the outbox and every save not yet sent. */
  function waiting(user) {
    return db.all().then(function (records) {
      return records.filter(function (r) {
        return r && r.type === "draft" && r.user === user && r.state !== "draft" && r.state !== "kept";
      });
    });
  }

  function post(url, data, csrf) {
    if (csrf) { data.append("csrf_token", csrf); }
    return fetch(url, {method: "POST", body: data, credentials: "same-origin", headers: {Accept: "application/json"}});
  }

  function refusal(response) {
    return response.json().then(function (body) { return body && body.error; }, function () { return ""; })
      .then(function (message) {
        var e = new Error(message || ("status " + response.status));
        e.status = response.status;
        e.final = response.status >= 400 && response.status < 500 && response.status !== 429;
        throw e;
      });
  }

  function appendValues(data, values) {
    Object.keys(values).forEach(function (name) {
      values[name].forEach(function (value) { data.append(name, value); });
    });
  }

  // A save of an inspection already on the server: its answers, on the revision they were typed on.
  function sendSave(r, options) {
    var key = "draft:" + r.id;
    r.state = "sending";
    return db.update(key, r).then(function () {
      var data = new FormData();
      data.append("inspection_key", r.server.key);
      data.append("autosave", "1");
      data.append("base", r.base || "");
      appendValues(data, r.values);
      return post(r.server.save, data, "");
    }).then(function (response) {
      if (response.status === 409) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var e = new Error(body.error || "kunjungan berubah di server");
          e.final = true;
          e.conflict = !!body.conflict;
          throw e;
        });
      }
      if (!response.ok) { return refusal(response); }
      return response.json().then(function (answer) {
        r.state = "kept";
        r.error = "";
        r.base = answer.version;
        return db.update(key, r).then(function () { if (options.onSaved) { options.onSaved(r.id, answer.version); } });
      });
    }).catch(function (error) {
      r.state = error.conflict ? "conflict" : (error.final ? "refused" : "failed");
      r.error = error.final && !error.conflict ? error.message : "";
      if (error.gone) { return null; }
      return db.update(key, r).then(function () { if (!error.conflict) { throw error; } });
    });
  }

  // A draft made on the phone: made at the server once, its photos, its answers, then "Kirim".
  function sendDraft(r, options) {
    var key = "draft:" + r.id;
    r.state = "sending";
    var step = db.update(key, r);
    if (!r.server) {
      step = step.then(function () {
        var data = new FormData();
        data.append("phone_token", r.id);
        data.append("lks", r.lks.code);
        data.append("checklist", r.checklist.id);
        data.append("version", r.checklist.version);
        ["location", "lat", "lon", "accuracy"].forEach(function (name) {
          if (r.location && r.location[name]) { data.append(name, r.location[name]); }
        });
        return post("/luring/kunjungan", data, options.csrf);
      }).then(function (response) {
        if (response.redirected && /\/masuk$/.test(new URL(response.url).pathname)) {  // the sign-in lapsed
          var lapsed = new Error("masuk lagi untuk mengirim");
          lapsed.final = true;
          throw lapsed;
        }
        if (response.status === 409) {  // the checklist has a new version: the inspector moves the answers to it
          return response.json().catch(function () { return {}; }).then(function (body) {
            var changed = new Error(body.error || "daftar periksa sudah versi baru");
            changed.final = true;
            changed.moveTo = body.code === "changed_version" ? body.checklist : null;
            throw changed;
          });
        }
        if (!response.ok) { return refusal(response); }
        return response.json().then(function (server) { r.server = server; return db.update(key, r); });
      });
    }
    r.photos.forEach(function (photo) {
      step = step.then(function () {
        if (photo.sent) { return null; }
        var data = new FormData();
        data.append("inspection_key", r.server.key);
        data.append("item", photo.item);
        data.append("photo_key", photo.key);
        if (photo.taken_at) { data.append("taken_at", photo.taken_at); }
        data.append("photo", photo.blob, photo.name || "foto.jpg");
        return post(r.server.upload, data, "").then(function (response) {
          if (!response.ok) { return refusal(response); }
          photo.sent = true;
          return db.update(key, r);
        });
      });
    });
    step = step.then(function () {
      var data = new FormData();
      data.append("inspection_key", r.server.key);
      data.append("autosave", "1");
      appendValues(data, r.values);
      return post(r.server.save, data, "").then(function (response) { if (!response.ok) { return refusal(response); } });
    }).then(function () {
      var data = new FormData();
      data.append("inspection_key", r.server.key);
      return post(r.server.submit, data, "");
    }).then(function (response) {
      if (response.status === 400) {  // the server's own check of what is missing stopped the send
        var incomplete = new Error("belum lengkap menurut server: ada isian wajib atau foto yang kurang");
        incomplete.final = true;
        throw incomplete;
      }
      // Sent: the server answers with the inspection's summary (after its redirect); only then the copy goes.
      if (!response.ok || !/\/ringkasan$/.test(new URL(response.url).pathname)) { return refusal(response); }
      return db.del(key);
    });
    return step.catch(function (error) {
      r.state = error.moveTo ? "old_version" : (error.final ? "refused" : "failed");
      r.error = error.final && !error.moveTo ? error.message : "";
      if (error.moveTo) { r.next = error.moveTo; }
      if (error.gone) { return null; }
      return db.update(key, r).then(function () { throw error; });
    });
  }

  function locked(work) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("inspector-outbox", work) : work();
  }

  /* Send what waits for ``user``, one at a time. options: csrf (the account's form token, for the one step that
     needs it), withRefused (try refused ones again too), onSaved(id, version). Resolves when every one was sent
     or refused; rejects when one could not be sent now (no signal, a server error), to be tried again later. */
  function send(user, options) {
    options = options || {};
    return locked(function () {
      return waiting(user).then(function (items) {
        var todo = items.filter(function (r) {
          return r.state !== "conflict" && r.state !== "old_version" &&
            (options.withRefused === true || r.state !== "refused");
        });
        var transient = null;
        return todo.reduce(function (chain, item) {
          return chain.then(function () {
            return db.get("draft:" + item.id);  // afresh: another sender may have sent it meanwhile
          }).then(function (r) {
            if (!r || r.user !== user || /^(kept|draft|conflict|old_version)$/.test(r.state)) { return null; }
            return (r.kind === "save" ? sendSave(r, options) : sendDraft(r, options))
              .catch(function (error) { if (!error.final) { transient = transient || error; } });
          });
        }, Promise.resolve()).then(function () { if (transient) { throw transient; } });
      });
    });
  }

  scope.InspectorOutbox = {db: db, waiting: waiting, send: send};
})(self);

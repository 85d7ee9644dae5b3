/* Inspector: small improvements on top of pages that work without JavaScript. */
(function () {
  "use strict";
  var form = document.querySelector("form.inspection");
  if (!form) { return; }
  var counter = form.querySelector("[data-counter]");

  function answered(question) {
    var kind = question.getAttribute("data-required");
    if (kind === "photo") {
      var file = question.querySelector("input[type=file]");
      return question.querySelector(".thumbs img") !== null || (file && file.files.length > 0);
    }
    var inputs = question.querySelectorAll("input, textarea, select");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "file" || /__note$/.test(input.name)) { continue; }
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { return true; }
      } else if (input.value.trim() !== "") { return true; }
    }
    return false;
  }

  function filled(question) {  // any question, required or not, as the server counts it
    if (question.getAttribute("data-kind") === "photo") {
      var file = question.querySelector("input[type=file]");
      return question.querySelector(".thumbs img") !== null || (file && file.files.length > 0);
    }
    return answered(question);
  }

  function count() {
    var missing = 0;
    var required = form.querySelectorAll("fieldset.question[data-required='1'], fieldset.question[data-required='photo']");
    for (var i = 0; i < required.length; i++) {
      if (!answered(required[i])) { missing++; }
    }
    if (counter) { counter.textContent = String(missing); }
    progress();
    var criticals = form.querySelectorAll("fieldset.question[data-fails]");
    for (var c = 0; c < criticals.length; c++) { critical(criticals[c]); }
  }

  // Progress per section and overall, as the server renders it, kept live while the inspector answers.
  function progress() {
    var all = 0, done = 0, sections = form.querySelectorAll("details[data-section]");
    for (var s = 0; s < sections.length; s++) {
      var questions = sections[s].querySelectorAll("fieldset.question"), yes = 0;
      for (var q = 0; q < questions.length; q++) { if (filled(questions[q])) { yes++; } }
      all += questions.length;
      done += yes;
      var shown = form.querySelectorAll("[data-section-progress='" + sections[s].getAttribute("data-section") + "']");
      for (var n = 0; n < shown.length; n++) {
        shown[n].textContent = yes + "/" + questions.length;
        if (shown[n].classList.contains("count")) { shown[n].classList.toggle("done", yes === questions.length); }
      }
    }
    var total = form.querySelector("[data-progress]");
    if (total && sections.length) { total.textContent = done + "/" + all; }
  }

  // A critical answer that fails shows at once what to do now.
  function critical(question) {
    var fails = [];
    try { fails = JSON.parse(question.getAttribute("data-fails") || "[]"); } catch (e) { return; }
    var box = question.querySelector("[data-critical-now]"), failing = false;
    if (!box) { return; }
    var inputs = question.querySelectorAll("input[type=radio], input[type=checkbox]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked && fails.indexOf(inputs[i].value) >= 0) { failing = true; }
    }
    box.hidden = !failing;
  }

  // Where the inspector is: "Simpan draf" returns there.
  var place = form.querySelector("[data-place]");
  form.addEventListener("focusin", function (event) {
    var here = event.target.closest && event.target.closest("fieldset.question[id], details.section[id]");
    if (place && here) { place.value = here.id; }
  });
  form.addEventListener("click", function (event) {  // a section's own button (not every browser focuses it)
    var button = event.target.closest && event.target.closest("button[name=place]");
    if (place && button) { place.value = button.value; }
  });

  form.addEventListener("change", count);
  form.addEventListener("input", count);
  form.addEventListener("inspector:count", count);
  count();
})();

/* The inspection on a weak network. Each photo travels on its own as soon as it is chosen, made smaller on the
   phone (long side 1600 px, JPEG) with its capture time and place read from the original; failed sends are retried.
   The answers are kept on the phone (never the files or the inspection key) until the server has them. */
(function () {
  "use strict";
  var form = document.querySelector("form.inspection[data-upload]");
  var MAX_SIDE = 1600, TARGET = 400 * 1024, DELAYS = [2000, 5000, 12000];
  // A draft made on the phone without signal (static/offline.js) makes its photos small the same way.
  window.InspectorPhotos = {shrink: shrink, takenAt: function (file) { return taken(file).then(function (t) { return t.time; }); }};
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var $ = function (selector) { return form.querySelector(selector); };
  var inspectionKey = form.elements.inspection_key.value, copyKey = "inspector:visit:" + form.getAttribute("data-inspection");
  var version = form.getAttribute("data-version");
  var state = $("[data-upload-state]"), stateText = $("[data-upload-text]"), failedBox = null;
  var queue = [], preparing = Promise.resolve(), holding = false, proceeding = false, submitter = null;
  var pending = function (entry) { return /waiting|queued|sending/.test(entry.state); };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  // --- The capture time: DateTimeOriginal (else DateTime) from the original's EXIF, as the server reads it;
  // and the capture place (the GPS IFD), which the smaller copy would lose.
  function exifOf(view) {
    if (view.getUint16(0) !== 0xFFD8) { return {time: "", gps: null}; }
    for (var at = 2; at + 10 < view.byteLength; at += 2 + view.getUint16(at + 2)) {
      var marker = view.getUint16(at);
      if (marker === 0xFFE1 && view.getUint32(at + 4) === 0x45786966) {
        var read = function (fn) { try { return fn(view, at + 10); } catch (e) { return null; } };
        return {time: read(tiffTime) || "", gps: read(tiffGps)};
      }
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return {time: "", gps: null}; }
    }
    return {time: "", gps: null};
  }

  function tiffReader(view, base) {  // the TIFF block of an EXIF segment: numbers in its byte order, a directory's tags
    var little = view.getUint16(base) === 0x4949;
    var u16 = function (at) { return view.getUint16(base + at, little); };
    var u32 = function (at) { return view.getUint32(base + at, little); };
    var tags = function (ifd) {
      var found = {};
      for (var i = 0, n = u16(ifd); i < n; i++) { found[u16(ifd + 2 + i * 12)] = ifd + 2 + i * 12; }
      return found;
    };
    return {u16: u16, u32: u32, tags: tags};
  }

  function tiffGps(view, base) {  // [lat, lon] in decimal degrees, south and west negative; null without a fix
    var tiff = tiffReader(view, base), u16 = tiff.u16, u32 = tiff.u32, tags = tiff.tags;
    var main = tags(u32(4));
    if (!main[0x8825]) { return null; }
    var gps = tags(u32(main[0x8825] + 8));
    var degrees = function (entry) {  // three RATIONALs: degrees, minutes, seconds
      var at = u32(entry + 8), parts = [];
      for (var i = 0; i < 3; i++) {
        var below = u32(at + i * 8 + 4);
        if (!below) { return NaN; }
        parts.push(u32(at + i * 8) / below);
      }
      return parts[0] + parts[1] / 60 + parts[2] / 3600;
    };
    var ref = function (entry) { return String.fromCharCode(view.getUint8(base + entry + 8)); };
    if (!gps[1] || !gps[2] || !gps[3] || !gps[4]) { return null; }
    var lat = degrees(gps[2]) * (ref(gps[1]) === "S" ? -1 : 1), lon = degrees(gps[4]) * (ref(gps[3]) === "W" ? -1 : 1);
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) { return null; }
    return [lat.toFixed(7), lon.toFixed(7)];
  }

  function tiffTime(view, base) {
    var tiff = tiffReader(view, base), u16 = tiff.u16, u32 = tiff.u32, tags = tiff.tags;
    var text = function (entry) {
      var size = u32(entry + 4), at = size > 4 ? u32(entry + 8) : entry + 8, out = "";
      for (var i = 0; i < size && i < 40; i++) { out += String.fromCharCode(view.getUint8(base + at + i)); }
      return out.replace(/\0.*$/, "");
    };
    var main = tags(u32(4)), stamp = "", zone = "";
    if (main[0x8769]) {
      var exif = tags(u32(main[0x8769] + 8));
      if (exif[0x9003]) { stamp = text(exif[0x9003]); zone = exif[0x9011] ? text(exif[0x9011]) : ""; }
    }
    if (!stamp && main[0x0132]) { stamp = text(main[0x0132]); }
    var m = /^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)/.exec(stamp);
    if (!m) { return ""; }
    return m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + m[6] + (/^[+-]\d\d:\d\d$/.test(zone) ? zone : "");
  }

  function taken(file) {  // {time, gps} of the original
    var start = file.slice(0, 131072);
    if (!start.arrayBuffer) { return Promise.resolve({time: "", gps: null}); }
    return start.arrayBuffer().then(function (buffer) { return exifOf(new DataView(buffer)); })
      .catch(function () { return {time: "", gps: null}; });
  }

  // --- Smaller on the phone: drawn upright on a canvas, long side 1600 px, JPEG. Else the original travels.
  function encode(canvas, qualities) {  // the best of these qualities that stays within the target
    return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", qualities[0]); }).then(function (blob) {
      return blob && blob.size > TARGET && qualities.length > 1 ? encode(canvas, qualities.slice(1)) : blob;
    });
  }

  function shrink(file) {
    var canvas = el("canvas");
    if (!window.createImageBitmap || !canvas.toBlob) { return Promise.resolve(file); }
    return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return encode(canvas, [0.8, 0.6, 0.4]);
    }).then(function (blob) { return blob && blob.size < file.size ? blob : file; })
      .catch(function () { return file; });
  }

  // --- One request per photo, with its own progress bar.
  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function show(entry, text, fraction) {
    entry.text.textContent = text;
    if (fraction === undefined) { entry.bar.removeAttribute("value"); } else { entry.bar.value = fraction; }
    entry.again.hidden = entry.state !== "failed";
    entry.row.className = "upload " + entry.state;
    update();
  }

  function add(input, file) {
    var entry = {input: input, file: file, item: input.name === "photos_general" ? "" : input.name.replace(/__photos$/, ""),
                 key: randomKey(), state: "waiting", tries: 0, row: el("li", "upload"), bar: el("progress"),
                 text: el("span", "upload-text"), again: el("button", "link", "Coba lagi")};
    var list = input.parentNode.querySelector("ul.uploads");
    if (!list) {
      list = el("ul", "uploads");
      input.parentNode.insertBefore(list, input.nextSibling);
    }
    entry.bar.max = 1;
    entry.again.type = "button";
    entry.again.addEventListener("click", function () { again(entry, true); });
    entry.row.appendChild(el("span", "upload-name", file.name || "Foto"));
    entry.row.appendChild(entry.bar);
    entry.row.appendChild(entry.text);
    entry.row.appendChild(entry.again);
    list.appendChild(entry.row);
    queue.push(entry);
    show(entry, "Menyiapkan foto…");
    preparing = preparing.then(function () {  // one photo at a time in memory: a 12 MP picture is large
      return Promise.all([shrink(file), taken(file)]).then(function (both) {
        entry.blob = both[0];
        entry.takenAt = both[1].time;
        entry.gps = both[1].gps;
        again(entry);
      });
    });
  }

  // At most two photos on the wire at once: on a weak network the first arrives sooner.
  function again(entry, fresh) {
    entry.state = "queued";
    if (fresh) { entry.tries = 0; }
    show(entry, "Menunggu giliran…", 0);
    pump();
  }

  function pump() {
    var busy = queue.filter(function (entry) { return entry.state === "sending"; }).length;
    queue.forEach(function (entry) {
      if (entry.state === "queued" && busy < 2) {
        busy++;
        send(entry);
      }
    });
  }

  function send(entry) {
    entry.state = "sending";
    show(entry, "Mengirim…");
    var data = new FormData(), xhr = new XMLHttpRequest();
    data.append("inspection_key", inspectionKey);
    data.append("item", entry.item);
    data.append("photo_key", entry.key);
    if (entry.takenAt) { data.append("taken_at", entry.takenAt); }
    if (entry.gps) { data.append("gps_lat", entry.gps[0]); data.append("gps_lon", entry.gps[1]); }
    data.append("photo", entry.blob, "foto.jpg");
    xhr.open("POST", form.getAttribute("data-upload"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 180000;
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) { show(entry, "Mengirim " + Math.round(100 * event.loaded / event.total) + "%", event.loaded / event.total); }
    };
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText) || {}; } catch (e) { /* not JSON: a proxy's page */ }
      if (xhr.status === 200 || xhr.status === 201) { return done(entry, answer); }
      if (xhr.status === 400 && answer.field === "taken_at" && entry.takenAt) {  // the phone's clock is off
        entry.takenAt = "";
        return send(entry);
      }
      if (xhr.status === 400 && answer.field === "gps" && entry.gps) {  // a place the server cannot read
        entry.gps = null;
        return send(entry);
      }
      if (xhr.status >= 500 || xhr.status === 408 || xhr.status === 429 || !answer.error) { return retry(entry); }
      entry.state = "refused";  // the server said no: trying again would not help
      drop(entry);
      show(entry, answer.error, 0);
      pump();
    };
    xhr.onerror = xhr.ontimeout = function () { retry(entry); };
    xhr.send(data);
  }

  function retry(entry) {
    if (entry.tries >= DELAYS.length) {
      entry.state = "failed";
      show(entry, "Gagal terkirim. Periksa sinyal lalu coba lagi.", 0);
    } else {
      var delay = DELAYS[entry.tries++];
      entry.state = "waiting";
      show(entry, "Sinyal lemah, dicoba lagi dalam " + delay / 1000 + " detik…", 0);
      window.setTimeout(function () { again(entry); }, delay);
    }
    pump();
  }

  function done(entry, answer) {
    entry.state = "done";
    var fieldset = entry.input.closest("fieldset"), thumbs = fieldset.querySelector(".thumbs");
    if (!thumbs) {
      thumbs = el("ul", "thumbs");
      fieldset.insertBefore(thumbs, fieldset.querySelector("label.file"));
    }
    var link = el("a"), image = el("img");
    link.href = answer.url;
    image.src = answer.thumb;
    image.alt = "Foto " + (thumbs.children.length + 1);
    image.width = image.height = 96;
    link.appendChild(image);
    thumbs.appendChild(el("li")).appendChild(link);
    entry.row.parentNode.removeChild(entry.row);
    drop(entry);
    form.dispatchEvent(new CustomEvent("inspector:count"));
    update();
    pump();
  }

  // Sent on its own: out of the file input, so the form's own post does not carry it a second time.
  function drop(entry) {
    var input = entry.input;
    try {
      var rest = new DataTransfer();
      each(input.files, function (file) { if (file !== entry.file) { rest.items.add(file); } });
      input.files = rest.files;
    } catch (e) {
      if (!queue.some(function (other) { return other.input === input && (pending(other) || other.state === "failed"); })) {
        input.value = "";
      }
    }
  }

  function update() {
    var waiting = queue.filter(pending), failed = queue.filter(function (entry) { return entry.state === "failed"; });
    var text = "";
    if (waiting.length) {
      text = "Menunggu " + waiting.length + " foto terkirim" + (holding ? ", lalu formulir dikirim." : ".");
    } else if (failed.length) {
      text = failed.length + " foto gagal terkirim: " + failed.map(function (entry) { return entry.file.name || "foto"; }).join(", ") +
        (holding ? ". Coba lagi, atau lanjutkan: foto itu ikut dikirim bersama formulir." : ".");
    }
    state.hidden = !text;
    stateText.textContent = text;
    var choose = holding && failed.length && !waiting.length;
    if (choose && !failedBox) { failedBox = choices(); }
    if (failedBox) { failedBox.hidden = !choose; }
    if (holding && !waiting.length && !failed.length) { proceed(); }
  }

  function proceed() {  // the button tapped first, tapped again for the inspector (its submit event runs now)
    holding = false;
    proceeding = true;
    try {
      (submitter || form.querySelector("button[type=submit]")).click();
    } finally {
      proceeding = false;
    }
  }

  function retryFailed() {
    queue.forEach(function (entry) { if (entry.state === "failed") { again(entry, true); } });
  }

  // When a photo failed and the inspector asked to go on: try again, or send the form with the photo in it.
  function choices() {
    var box = el("p", "actions"), again = el("button", "button secondary", "Coba lagi"),
      onward = el("button", "button secondary", "Lanjutkan saja");
    again.type = onward.type = "button";
    again.addEventListener("click", retryFailed);
    onward.addEventListener("click", proceed);
    box.appendChild(again);
    box.appendChild(onward);
    return state.appendChild(box);
  }

  each(form.querySelectorAll("input[type=file]"), function (input) {
    input.addEventListener("change", function () { each(input.files, function (file) { add(input, file); }); });
  });
  window.addEventListener("online", retryFailed);

  // "Simpan draf" and "Lanjut ke ringkasan" wait for the photos still on their way.
  form.addEventListener("submit", function (event) {
    if (proceeding) { return leave(); }
    submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
    var open = queue.some(function (entry) { return pending(entry) || entry.state === "failed"; });
    if (!open) { return leave(); }
    event.preventDefault();
    holding = true;
    update();
    state.scrollIntoView({block: "nearest"});
  });

  // --- The answers on the phone, per inspection, typed on top of one stored version of the answers.
  var edits = 0, saved = edits, saving = false;

  function values() {
    var out = {};
    each(form.elements, function (field) {
      if (!field.name || field.name === "inspection_key" || /file|submit|button/.test(field.type)) { return; }
      var list = out[field.name] = out[field.name] || [];
      if (!/radio|checkbox/.test(field.type) || field.checked) { list.push(field.value); }
    });
    return out;
  }

  function keep(posted) {
    try {
      localStorage.setItem(copyKey, JSON.stringify({version: version, at: Date.now(), posted: !!posted, values: values()}));
    } catch (e) { /* private mode or full: the form still posts */ }
  }

  function forget() {
    try { localStorage.removeItem(copyKey); } catch (e) { /* nothing kept */ }
  }

  function restore(kept) {
    each(form.elements, function (field) {
      var list = kept[field.name];
      if (!list || field.name === "inspection_key" || /file|submit|button/.test(field.type)) { return; }
      if (/radio|checkbox/.test(field.type)) {
        field.checked = list.indexOf(field.value) >= 0;
      } else {
        field.value = list[0] || "";
        var note = field.closest("details.note");
        if (note && field.value) { note.open = true; }
      }
    });
  }

  var copy = null;
  try { copy = JSON.parse(localStorage.getItem(copyKey) || "null"); } catch (e) { copy = null; }
  // Only a copy typed on the answers this page shows: older copies would overwrite newer stored answers.
  if (copy && copy.version === version && copy.values && JSON.stringify(copy.values) !== JSON.stringify(values())) {
    restore(copy.values);
    $("[data-restored]").hidden = false;
    edits++;
    keep();
    form.dispatchEvent(new CustomEvent("inspector:count"));
  } else {
    forget();
  }

  function edited(event) {
    if (!event.target.name || event.target.type === "file") { return; }
    edits++;
    keep();
  }
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);

  // The form's own post carries the answers: no background save beside it. The copy stays until the
  // server's answer shows (the summary page, or this page with the new answers).
  function leave() {
    keep(true);
    saved = edits;
  }

  // Saved in the background while online, and when the page is hidden: then the copy leaves the phone.
  function autosave(closing) {
    if (edits === saved || saving || holding || !navigator.onLine || !window.fetch) { return; }
    var data = new FormData(form), at = edits;
    each(form.querySelectorAll("input[type=file]"), function (input) { data.delete(input.name); });
    data.set("autosave", "1");
    // Saved only on the revision this page shows (the phone's outbox may have saved a newer one meanwhile): a
    // changed inspection (returned by a reviewer) answers 409, and static/kept.js shows the conflict.
    version = form.getAttribute("data-version");
    data.set("base", version);
    saving = true;
    fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin", keepalive: closing === true,
                                       headers: {Accept: "application/json"}})
      .then(function (response) {
        if (response.status !== 409) { return response.ok ? response.json() : null; }
        return response.json().then(function (body) {
          if (body && body.conflict) { form.dispatchEvent(new CustomEvent("inspector:conflict", {detail: body})); }
          return null;
        }, function () { return null; });
      })
      .then(function (answer) {
        if (!answer || !answer.saved) { return; }
        saved = at;
        version = answer.version;
        form.setAttribute("data-version", version);
        if (edits !== at || (answer.invalid && answer.invalid.length)) { keep(); } else { forget(); }
      })
      .catch(function () { /* offline: the copy stays on the phone */ })
      .then(function () { saving = false; });
  }
  window.setInterval(autosave, 25000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { autosave(true); }
  });
})();

/* On every page: a second tap on a sending button does nothing more; the phone's copies of answers are
   removed on sign-out, once their inspection's summary shows they were saved, and after a week. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[method=post]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented) { return; }  // held back (photos still on their way): not sent yet
      if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      window.setTimeout(function () { form.removeAttribute("data-sending"); }, 15000);
    });
  }

  var storage;
  try { storage = window.localStorage; } catch (e) { return; }
  if (!storage) { return; }
  var summary = /^\/kunjungan\/([\w-]+)\/ringkasan$/.exec(location.pathname);

  function clean(all) {
    for (var n = storage.length - 1; n >= 0; n--) {
      var key = storage.key(n), copy = null;
      if (!key || key.indexOf("inspector:") !== 0) { continue; }
      try { copy = JSON.parse(storage.getItem(key)); } catch (e) { copy = null; }
      if (all || !copy || Date.now() - copy.at > 7 * 864e5 ||
          (summary && key === "inspector:visit:" + summary[1] && copy.posted)) {
        storage.removeItem(key);
      }
    }
  }
  clean(false);
  var signOut = document.querySelector("form[action$='/keluar']");
  if (signOut) { signOut.addEventListener("submit", function () { clean(true); }); }
})();

/* The service worker (static/sw.js, served at the site's root): registered from every page, so that without
   signal the phone shows its own "Tidak ada sinyal" page, never the browser's error. */
(function () {
  "use strict";
  var script = document.body && document.body.getAttribute("data-service-worker");
  if (!script || !("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  navigator.serviceWorker.register(script, {scope: "/"}).catch(function () { /* the pages work without it */ });
})();

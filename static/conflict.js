/* The conflict page: the phone's side, from the phone's copy in IndexedDB ("draft:<inspection id>"), written
   under the server's answer of each question that differs; questions answered the same are hidden. Then the
   inspector's choice goes to the server (audited there): "Pakai isian ponsel" saves the phone's answers on top
   of the inspection as this page showed it; "Pakai isian server" drops the phone's copy. */
(function () {
  "use strict";
  var root = document.querySelector("[data-conflict]"), db = window.InspectorOffline;
  if (!root || !db || !db.user) { return; }
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var id = root.getAttribute("data-conflict"), key = "draft:" + id, copy = null;
  var state = root.querySelector("[data-conflict-state]");

  function words(labels, values) {
    return values.map(function (v) { return labels[v] || v; }).join(", ");
  }

  function show() {
    var values = copy.values || {}, differ = 0;
    each(root.querySelectorAll("[data-conflict-item]"), function (row) {
      var item = row.getAttribute("data-conflict-item");
      var labels = JSON.parse(row.getAttribute("data-labels") || "{}");
      var server = JSON.parse(row.getAttribute("data-server-values") || "[]");
      var phone = (values[item] || []).filter(function (v) { return v !== ""; });
      var note = ((values[item + "__note"] || [])[0] || "").trim();
      var same = phone.slice().sort().join("\n") === server.slice().sort().join("\n") &&
        note === (row.getAttribute("data-server-note") || "");
      row.hidden = same;
      if (same) { return; }
      differ++;
      var dd = row.querySelector("[data-phone]");
      dd.textContent = phone.length ? words(labels, phone) : "(kosong)";
      if (note) {
        dd.appendChild(document.createElement("br"));
        var span = dd.appendChild(document.createElement("span"));
        span.className = "muted";
        span.textContent = "Catatan: " + note;
      }
      dd.className = "differs";
      dd.hidden = row.querySelector("[data-phone-label]").hidden = false;
    });
    each(root.querySelectorAll("[data-conflict-section]"), function (section) {
      section.hidden = !section.querySelector("[data-conflict-item]:not([hidden])");
    });
    root.querySelector("[data-conflict-count]").textContent = differ ?
      differ + " jawaban berbeda antara server dan ponsel ini:" : "Isian di ponsel sama dengan di server.";
    var choices = root.querySelector("[data-conflict-choices]");
    if (choices) { choices.hidden = false; }
    root.setAttribute("data-conflict-ready", "1");
  }

  function choose(kept) {
    if (!navigator.onLine) { state.textContent = "Belum ada sinyal. Pilih lagi setelah ada sinyal."; return; }
    var data = new FormData();
    data.append("inspection_key", root.getAttribute("data-key"));
    data.append("choice", kept);
    data.append("base", root.getAttribute("data-revision"));
    if (kept === "phone") {
      Object.keys(copy.values || {}).forEach(function (name) {
        copy.values[name].forEach(function (value) { data.append(name, value); });
      });
    }
    state.textContent = "Menyimpan pilihan…";
    fetch(root.getAttribute("data-resolve"), {method: "POST", body: data, credentials: "same-origin",
                                             headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 409) {  // changed again since this page was shown: show it as it is now
            state.textContent = body.error || "Kunjungan berubah lagi.";
            window.setTimeout(function () { location.reload(); }, 1500);
            throw new Error("changed again");
          }
          if (!response.ok) { state.textContent = body.error || "Pilihan tidak tersimpan. Coba lagi."; throw new Error("refused"); }
          return body;
        });
      })
      .then(function (body) {
        return db.del(key).then(function () {
          document.dispatchEvent(new Event("inspector:outbox"));
          state.textContent = kept === "phone" ? "Isian ponsel disimpan di server." : "Isian server dipakai; salinan ponsel dihapus.";
          location.href = body.form;
        });
      })
      .catch(function () { /* the state line says what happened */ });
  }

  each(root.querySelectorAll("[data-keep]"), function (button) {
    button.addEventListener("click", function () { if (copy) { choose(button.getAttribute("data-keep")); } });
  });

  db.ready.then(function () { return db.get(key); }).then(function (kept) {
    if (!kept || kept.user !== db.user) {
      root.querySelector("[data-conflict-missing]").hidden = false;
      root.setAttribute("data-conflict-ready", "0");
      return;
    }
    copy = kept;
    show();
  });
})();

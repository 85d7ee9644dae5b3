/* Proof of visit: on "Mulai inspeksi" and "Kirim", ask the phone where it is, then send the form anyway
   (and, without signal, static/offline.js asks the same for a draft made on the phone).
   The browser's own permission prompt is the consent. Fills the hidden fields lat, lon, accuracy and
   location (given / refused / unavailable); never holds the form longer than WAIT_MS. */
(function () {
  "use strict";
  var WAIT_MS = 12000; /* the browser's own timeout (10 s) does not count time spent on its prompt */
  var OPTIONS = {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000};
  var MAX_ACCURACY = 100000;
  var forms = document.querySelectorAll("form[data-location]");

  function set(form, name, value) {
    var input = form.querySelector("input[name=" + name + "]");
    if (input) { input.value = value; }
  }

  function usable(coords) {
    return coords && isFinite(coords.latitude) && isFinite(coords.longitude) && isFinite(coords.accuracy) &&
      Math.abs(coords.latitude) <= 90 && Math.abs(coords.longitude) <= 180 &&
      coords.accuracy >= 0 && coords.accuracy <= MAX_ACCURACY;
  }

  /* Where the phone is: {location: given / refused / unavailable, lat, lon, accuracy}, within WAIT_MS. */
  function read() {
    return new Promise(function (resolve) {
      var done = false;
      function send(status, coords) {
        if (done) { return; }
        done = true;
        window.clearTimeout(timer);
        resolve({location: status, lat: coords ? coords.latitude.toFixed(7) : "",
                 lon: coords ? coords.longitude.toFixed(7) : "", accuracy: coords ? coords.accuracy.toFixed(1) : ""});
      }
      var timer = window.setTimeout(function () { send("unavailable", null); }, WAIT_MS);
      /* Plain http (other than localhost) is no secure context: browsers refuse it as if the user had. */
      if (!window.isSecureContext || !navigator.geolocation) { send("unavailable", null); return; }
      try {
        navigator.geolocation.getCurrentPosition(function (position) {
          send(usable(position.coords) ? "given" : "unavailable", usable(position.coords) ? position.coords : null);
        }, function (error) {
          send(error && error.code === 1 ? "refused" : "unavailable", null);
        }, OPTIONS);
      } catch (e) {
        send("unavailable", null);
      }
    });
  }
  /* A draft made on the phone without signal (static/offline.js) carries the same fields. */
  window.InspectorLocation = {read: read};

  function locate(form, submitter) {
    var button = submitter || form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    if (button) { button.textContent = "Mencari lokasi\u2026"; }
    read().then(function (found) {
      set(form, "location", found.location);
      set(form, "lat", found.lat);
      set(form, "lon", found.lon);
      set(form, "accuracy", found.accuracy);
      if (submitter && submitter.name) { /* form.submit() leaves out the tapped button */
        var extra = document.createElement("input");
        extra.type = "hidden";
        extra.name = submitter.name;
        extra.value = submitter.value;
        form.appendChild(extra);
      }
      if (button) { button.textContent = label; }
      form.removeAttribute("data-locating");
      form.submit();
    });
  }

  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      if (form.getAttribute("data-locating") === "1") { event.preventDefault(); return; }
      if (event.defaultPrevented) { return; }
      event.preventDefault();
      form.setAttribute("data-locating", "1");
      locate(form, event.submitter || null);
    });
  }

  /* Back to a page kept in memory: ready for another tap. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    for (var j = 0; j < forms.length; j++) { forms[j].removeAttribute("data-locating"); }
  });
})();

/* The score of a draft made on the phone, by the same rules as inspector/checklists.py `score`: the weighted
   share of passed answers among the scored items answered ("tb", tidak berlaku, left out), per section and
   overall, rounded to one decimal as Python rounds; and the failed and critical items. The rules of each item
   come from the page (inspector/offline.py `scoring_rules`). tests/test_offline_score.py runs one table of
   cases through both. Works in the browser (window.InspectorScore) and in node (module.exports). */
(function (root) {
  "use strict";

  function round1(x) {  // Python's round(x, 1): on the exact value of x, to the nearest, a tie to the even digit
    var digits = Math.abs(x).toFixed(20), dot = digits.indexOf(".");
    var tenths = Number(digits.slice(0, dot) + digits.charAt(dot + 1)), tail = digits.slice(dot + 2);
    var up = /^50*$/.test(tail) ? tenths % 2 === 1 : tail.charAt(0) >= "5";
    return (x < 0 ? -1 : 1) * (tenths + (up ? 1 : 0)) / 10;
  }

  function fails(rule, value) {
    if (rule.type === "yes_no") { return value === rule.fail_answer; }
    if (rule.type === "choice") { return rule.fail_values.indexOf(value) >= 0; }
    if (rule.type === "multi") {
      var values = typeof value === "string" ? [value] : (value || []);
      return values.some(function (v) { return rule.fail_values.indexOf(v) >= 0; });
    }
    return false;
  }

  function empty(value) {
    return value === undefined || value === null || value === "" || value === "tb" ||
      (Array.isArray(value) && value.length === 0);
  }

  function score(sections, answers) {
    var failed = [], critical = [], perSection = [], totalPassed = 0, totalWeight = 0;
    sections.forEach(function (section) {
      var passed = 0, weight = 0;
      section.items.forEach(function (rule) {
        var value = answers[rule.id];
        if (empty(value)) { return; }
        var failing = fails(rule, value);
        if (failing) {
          failed.push(rule.id);
          if (rule.critical) { critical.push(rule.id); }
        }
        if (rule.scored) {
          weight += rule.weight;
          passed += failing ? 0 : rule.weight;
        }
      });
      perSection.push([section.id, weight ? round1(100 * passed / weight) : null]);
      totalPassed += passed;
      totalWeight += weight;
    });
    return {percent: totalWeight ? round1(100 * totalPassed / totalWeight) : null, failed: failed,
      critical_failed: critical, per_section: perSection};
  }

  var api = {score: score, round1: round1, fails: fails};
  if (typeof module !== "undefined" && module.exports) { module.exports = api; } else { root.InspectorScore = api; }
})(this);

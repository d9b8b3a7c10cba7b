#include "harness/report/html_assets.h"

namespace smtpgate::report {

std::string_view HtmlStyle() {
  return R"css(
:root { --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --skip: #6e7781; --error: #8250df;
        --line: #d0d7de; --soft: #f6f8fa; font-family: system-ui, sans-serif; font-size: 14px; }
body { margin: 1.5em 2em; color: #1f2328; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 1.4em 0 .5em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05em; margin: 1em 0 .4em; }
table { border-collapse: collapse; margin-bottom: .8em; }
th, td { border: 1px solid var(--line); padding: .25em .6em; text-align: left; vertical-align: top; }
thead th { background: var(--soft); }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n[data-count="0"] { color: #8c959f; }
.v-PASS { color: var(--pass); } .v-FAIL { color: var(--fail); font-weight: 600; }
.v-WARN { color: var(--warn); font-weight: 600; } .v-SKIP { color: var(--skip); }
.v-ERROR { color: var(--error); font-weight: 600; }
td.cell.v-FAIL { background: #ffebe9; } td.cell.v-WARN { background: #fff8c5; }
td.cell.v-ERROR { background: #fbefff; } td.cell.v-PASS { background: #dafbe1; }
tr.differs th { background: #fff8c5; }
fieldset { display: inline-block; border: 1px solid var(--line); margin: 0 1em .5em 0; }
fieldset label { margin-right: .8em; white-space: nowrap; }
table.tests { width: 100%; }
table.tests td.reason { max-width: 40em; overflow-wrap: anywhere; }
tr.detail > td { background: var(--soft); }
.meta { color: #57606a; margin: .2em 0 .5em; }
ol.exchange { font-family: ui-monospace, monospace; font-size: 12.5px; margin: 0; padding-left: 3.5em; }
ol.exchange li { white-space: pre-wrap; overflow-wrap: anywhere; padding: 1px .4em; }
ol.exchange li.e-C .dir { color: #0550ae; } ol.exchange li.e-S .dir { color: #116329; }
ol.exchange li.e-E { color: #57606a; font-style: italic; }
ol.exchange li.offending { background: #ffd8b5; border-left: 4px solid var(--fail); font-weight: 600; }
ol.exchange li.offending::after { content: "  \25C0 offending step"; color: var(--fail); }
[hidden] { display: none !important; }
footer { margin-top: 2em; color: #57606a; }
)css";
}

std::string_view HtmlScript() {
  return R"js(
(function () {
  'use strict';
  var kinds = ['verdict', 'severity'];
  function boxes(kind) {
    return Array.prototype.slice.call(
        document.querySelectorAll('#filters input[name="' + kind + '"]'));
  }
  function checked(kind) {
    var set = {};
    boxes(kind).forEach(function (b) { if (b.checked) set[b.value] = true; });
    return set;
  }
  function fromHash() {
    var hash = window.location.hash.replace(/^#/, '');
    if (!hash) return;
    hash.split('&').forEach(function (part) {
      var kv = part.split('=');
      if (kinds.indexOf(kv[0]) < 0 || kv.length !== 2) return;
      var wanted = decodeURIComponent(kv[1]).split(',');
      boxes(kv[0]).forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
    });
  }
  function toHash() {
    var parts = [];
    kinds.forEach(function (kind) {
      var all = boxes(kind), on = all.filter(function (b) { return b.checked; });
      if (on.length !== all.length) {
        parts.push(kind + '=' + on.map(function (b) { return b.value; }).join(','));
      }
    });
    var url = parts.length ? '#' + parts.join('&') : window.location.pathname;
    if (window.history && window.history.replaceState) window.history.replaceState(null, '', url);
  }
  function apply() {
    var verdicts = checked('verdict'), severities = checked('severity'), shown = 0;
    document.querySelectorAll('tr.test').forEach(function (row) {
      var visible = !!verdicts[row.dataset.verdict] && !!severities[row.dataset.severity];
      row.hidden = !visible;
      if (visible) shown++;
      var detail = document.getElementById(row.dataset.detail || '');
      if (detail) detail.hidden = !visible;
    });
    var onlyDiffering = document.getElementById('only-differing');
    document.querySelectorAll('tr.cmp').forEach(function (row) {
      var any = false;
      row.querySelectorAll('td.cell').forEach(function (cell) {
        if (verdicts[cell.dataset.verdict]) any = true;
      });
      var visible = any && !!severities[row.dataset.severity] &&
          !(onlyDiffering && onlyDiffering.checked && row.dataset.differs !== '1');
      row.hidden = !visible;
    });
    var out = document.getElementById('shown');
    out.textContent = String(shown);
    out.dataset.shown = String(shown);
  }
  fromHash();
  apply();
  document.querySelectorAll('#filters input, #only-differing').forEach(function (input) {
    input.addEventListener('change', function () { apply(); toHash(); });
  });
  window.addEventListener('hashchange', function () { fromHash(); apply(); });
  document.body.dataset.ready = '1';
})();
)js";
}

}  // namespace smtpgate::report

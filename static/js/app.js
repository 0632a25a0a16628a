/* WarmWinter page behaviour, bound by data- attributes so that pages carry no inline script or
   event handler (the Content-Security-Policy allows scripts from 'self' only; see relief/middleware.py).

   data-autosubmit            on a <select>: submit its form when the choice changes
   data-confirm="question"    on a <form>: ask before submitting ("{amount}" in it: the form's amount input)
   data-remove-after-request  on an htmx element: remove it once its request has finished
   data-progress="42"         on a .progress-bar: its width in percent
   data-bootstrap-controls    on a <form>: give its inputs Bootstrap's form-control / form-select classes
   table.table-stack          each body cell gets data-label, its column's header: on a phone the rows are
                              cards with a label before each value (static/css/relief.css)
   data-locate="#lat,#lng"    on a button: fill these two inputs with the device's position; messages in
                              data-locate-status (the element's id), data-msg-unsupported, -done, -failed
*/
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    var amount = question && form.querySelector("[name$=amount]");
    if (amount) question = question.replace("{amount}", amount.value || "0");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.matches && el.matches("[data-remove-after-request]")) {
      el.remove();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-locate]");
    if (!button) return;
    var ids = button.getAttribute("data-locate").split(",");
    var status = document.getElementById(button.getAttribute("data-locate-status"));
    var say = function (text) { if (status) status.textContent = text; };
    if (!navigator.geolocation) { say(button.getAttribute("data-msg-unsupported")); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.querySelector(ids[0]).value = pos.coords.latitude.toFixed(6);
      document.querySelector(ids[1]).value = pos.coords.longitude.toFixed(6);
      say(button.getAttribute("data-msg-done") + " " + pos.coords.latitude.toFixed(5) + ", " +
          pos.coords.longitude.toFixed(5));
    }, function () { say(button.getAttribute("data-msg-failed")); });
  });

  /* Run on the page and on every fragment htmx swaps in. Setting element.style from a script is
     CSSOM, which style-src 'self' allows (a style="" attribute in the markup it does not). */
  function labelColumns(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    if (!rows.length) return;
    var names = [];
    Array.prototype.forEach.call(rows[rows.length - 1].cells, function (th) {
      var name = (th.innerText || th.textContent).replace(/\s+/g, " ").trim();
      for (var i = 0; i < (th.colSpan || 1); i++) names.push(name);
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.colSpan === 1 && names[column] && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan || 1;
        });
      });
    });
  }

  function enhance(root) {
    if (root.matches && root.matches("table.table-stack")) labelColumns(root);
    root.querySelectorAll("table.table-stack").forEach(labelColumns);
    if (root.closest && root.closest("table.table-stack") && root !== root.closest("table.table-stack")) {
      labelColumns(root.closest("table.table-stack"));
    }
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      var value = Number(bar.getAttribute("data-progress"));
      if (value >= 0 && value <= 100) bar.style.width = value + "%";
    });
    root.querySelectorAll("form[data-bootstrap-controls]").forEach(function (form) {
      form.querySelectorAll("input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea")
        .forEach(function (e) { e.classList.add(e.tagName === "SELECT" ? "form-select" : "form-control"); });
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
})();

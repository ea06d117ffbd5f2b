/* Listing pages: apply filters and sort as soon as they change (the buttons remain
   for browsers without JavaScript). No inline script: CSP is default-src 'self'. */
(function () {
  "use strict";
  var sort = document.getElementById("sort-select");
  if (sort && sort.form) {
    sort.addEventListener("change", function () { sort.form.submit(); });
    var btn = sort.form.querySelector(".js-hide");
    if (btn) { btn.hidden = true; }
  }
  var filters = document.getElementById("filter-form");
  if (filters) {
    filters.addEventListener("change", function (event) {
      if (event.target && event.target.type === "checkbox") { filters.submit(); }
    });
  }
})();
(function () {
  "use strict";
  var box = document.querySelector(".filter-box");
  if (box && window.matchMedia && window.matchMedia("(min-width: 960px)").matches) { box.open = true; }
})();

/* Product gallery: a thumbnail shows its photo in the main frame (without JavaScript
   the thumbnail links to the large rendition). */
(function () {
  "use strict";
  var main = document.querySelector(".gallery-main img");
  var thumbs = document.querySelectorAll(".gallery-thumbs a");
  if (!main || !thumbs.length) { return; }
  Array.prototype.forEach.call(thumbs, function (link) {
    link.addEventListener("click", function (event) {
      var img = link.querySelector("img");
      if (!img) { return; }
      event.preventDefault();
      main.setAttribute("src", link.dataset.src || img.getAttribute("src"));
      if (img.getAttribute("srcset")) { main.setAttribute("srcset", img.getAttribute("srcset")); }
      main.setAttribute("sizes", "(min-width: 960px) 50vw, 100vw");
      main.alt = img.alt;
      Array.prototype.forEach.call(thumbs, function (other) { other.removeAttribute("aria-current"); });
      link.setAttribute("aria-current", "true");
    });
  });
})();

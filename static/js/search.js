/* As-you-type suggestions for the header search box (#search-q).
 *
 * Progressive enhancement: without JS the box is a plain GET form to /san-pham.
 * With JS, typing 2+ characters asks data-suggest-url (/goi-y?q=…) after a short
 * pause and shows a listbox under the box (ARIA combobox pattern): ↓/↑ move,
 * Enter opens the highlighted product (or submits the search), Esc closes.
 * Suggestion text is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var input = document.getElementById("search-q");
  if (!input || !input.dataset.suggestUrl || !window.fetch) {
    return;
  }
  var DELAY_MS = 150;
  var MIN_CHARS = 2;
  var form = input.form;
  var list = document.createElement("ul");
  list.id = "search-suggest";
  list.className = "search-suggest";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", input.getAttribute("placeholder") || "");
  list.hidden = true;
  input.insertAdjacentElement("afterend", list);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  var timer = null;
  var controller = null;
  var items = [];
  var active = -1;
  var lastQuery = "";

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    if (!items.length) {
      return;
    }
    if (active >= 0 && items[active]) {
      items[active].classList.remove("is-active");
      items[active].setAttribute("aria-selected", "false");
    }
    active = (index + items.length) % items.length;
    var item = items[active];
    item.classList.add("is-active");
    item.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", item.id);
    if (item.scrollIntoView) {
      item.scrollIntoView({ block: "nearest" });
    }
  }

  function render(suggestions) {
    list.textContent = "";
    items = [];
    active = -1;
    if (!suggestions.length) {
      close();
      return;
    }
    suggestions.forEach(function (s, i) {
      var li = document.createElement("li");
      li.id = "search-suggest-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var a = document.createElement("a");
      a.href = s.url;
      a.textContent = s.text;
      a.tabIndex = -1;
      li.appendChild(a);
      li.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep focus; navigate on click
      });
      li.addEventListener("click", function () {
        window.location.assign(s.url);
      });
      list.appendChild(li);
      items.push(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function fetchSuggestions(q) {
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
    fetch(url, {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (data) {
        if (input.value.trim() === q) {
          render(Array.isArray(data.suggestions) ? data.suggestions : []);
        }
      })
      .catch(function () {
        /* aborted or offline: the plain form still works */
      });
  }

  input.addEventListener("input", function () {
    var q = input.value.trim();
    window.clearTimeout(timer);
    if (q.length < MIN_CHARS) {
      lastQuery = "";
      close();
      return;
    }
    if (q === lastQuery) {
      return;
    }
    timer = window.setTimeout(function () {
      lastQuery = q;
      fetchSuggestions(q);
    }, DELAY_MS);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      if (list.hidden && items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      setActive(active + 1);
      event.preventDefault();
    } else if (event.key === "ArrowUp") {
      setActive(active - 1);
      event.preventDefault();
    } else if (event.key === "Enter") {
      if (!list.hidden && active >= 0 && items[active]) {
        event.preventDefault();
        window.location.assign(items[active].querySelector("a").href);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        close();
      }
    }
  });

  input.addEventListener("blur", function () {
    window.setTimeout(close, 150);
  });

  document.addEventListener("click", function (event) {
    if (form && !form.contains(event.target)) {
      close();
    }
  });
})();

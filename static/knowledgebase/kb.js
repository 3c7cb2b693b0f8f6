// Commons: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // "/" focuses the search box, as in most tools people know (not while typing elsewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var box = document.querySelector("[data-shortcut='/']");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // The markdown editor (django-markdownx) turns Tab into an indent, which traps keyboard
  // users in the box (WCAG 2.1.2). Stopped here, on the way down to the box, Tab moves to
  // the next field as everywhere else; Ctrl+] and Ctrl+[ still indent and unindent.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Tab" && target && target.classList && target.classList.contains("markdownx-editor")) {
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen reader users hear what went wrong.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) summary.focus();

    // Starter outline: switching the kind of a new entry swaps the outline, but only
    // while the body is still an untouched outline.
    var outlinesNode = document.getElementById("kind-outlines");
    var kind = document.getElementById("id_kind");
    var body = document.getElementById("id_body");
    if (outlinesNode && kind && body) {
      var outlines = JSON.parse(outlinesNode.textContent);
      kind.addEventListener("change", function () {
        var untouched = body.value.trim() === "" || Object.keys(outlines).some(function (k) {
          return outlines[k].trim() === body.value.trim();
        });
        if (untouched && outlines[kind.value]) {
          body.value = outlines[kind.value];
          body.dispatchEvent(new Event("input", { bubbles: true }));
        }
      });
    }

    // Type-ahead: titles and topics matching what is typed, offered through a <datalist>
    // so the browser's own accessible suggestion list shows them.
    document.querySelectorAll("[data-suggest]").forEach(function (input) {
      var list = input.list || document.getElementById("search-suggestions");
      var titlesOnly = input.getAttribute("data-suggest-only") === "titles";
      var timer = null;
      var last = "";
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = input.value.trim();
          if (!list || q.length < 2 || q === last) return;
          last = q;
          fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), {
            headers: { Accept: "application/json" }, credentials: "same-origin"
          })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (data) {
              if (!data || input.value.trim() !== q) return;
              list.replaceChildren();
              (titlesOnly ? data.titles : data.titles.concat(data.tags)).forEach(function (text) {
                var option = document.createElement("option");
                option.value = text;
                list.appendChild(option);
              });
            })
            .catch(function () { /* suggestions are optional */ });
        }, 150);
      });
    });

    // "Similar entries already exist": while the title and summary are written, published
    // entries like them are listed, so authors link to or improve those instead of writing
    // a duplicate. The list only changes when the entries do, so screen readers (the
    // region is aria-live) hear about it once, not on every keystroke.
    var similar = document.querySelector("[data-similar]");
    var title = document.getElementById("id_title");
    var summaryField = document.getElementById("id_summary");
    if (similar && title && summaryField) {
      var panel = similar.querySelector("section");
      var list = similar.querySelector("ul");
      var exclude = similar.getAttribute("data-similar-exclude") || "";
      var timer = null;
      var asked = "";
      var shown = "";
      var latest = 0;

      var show = function (results) {
        var key = results.map(function (r) { return r.url; }).join(" ");
        if (key === shown) return;
        shown = key;
        list.replaceChildren();
        results.forEach(function (r) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = r.url;
          link.target = "_blank";
          link.rel = "noopener";
          link.textContent = r.title;
          var hint = document.createElement("span");
          hint.className = "visually-hidden";
          hint.textContent = " (opens in a new tab)";
          link.appendChild(hint);
          var meta = document.createElement("span");
          meta.className = "similar-meta";
          meta.textContent = [r.kind, r.agency].filter(Boolean).join(" · ");
          item.append(link, " ", meta);
          if (r.summary) {
            var text = document.createElement("p");
            text.className = "similar-summary";
            text.textContent = r.summary;
            item.appendChild(text);
          }
          list.appendChild(item);
        });
        panel.hidden = results.length === 0;
      };

      var ask = function () {
        var params = new URLSearchParams({ title: title.value.trim(), summary: summaryField.value.trim() });
        if (exclude) params.set("exclude", exclude);
        var query = params.toString();
        if (query === asked) return;
        asked = query;
        var mine = ++latest;
        fetch(similar.getAttribute("data-similar") + "?" + query, {
          headers: { Accept: "application/json" }, credentials: "same-origin"
        })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            // A slower answer to an older text must not replace a newer one.
            if (data && mine === latest) show(data.results);
          })
          .catch(function () { /* the hint is optional */ });
      };

      var later = function () {
        clearTimeout(timer);
        timer = setTimeout(ask, 400);
      };
      title.addEventListener("input", later);
      summaryField.addEventListener("input", later);
      // An entry being edited, or a form sent back with errors, already has a text.
      if (title.value.trim() || summaryField.value.trim()) ask();
    }

    // "Add another outcome": clone the empty form of a Django formset.
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      var prefix = button.getAttribute("data-add-row");
      var template = document.getElementById(prefix + "-empty");
      var rows = document.querySelector("[data-formset='" + prefix + "']");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
      if (!template || !rows || !total) return;
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        if (max && index >= parseInt(max.value, 10)) return;
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        rows.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var first = rows.lastElementChild.querySelector("input, select, textarea");
        if (first) first.focus();
      });
    });
  });
})();

// Search analytics: which searches led somewhere. A click on a result title of the search
// page is reported with a beacon, which survives the navigation that follows, so the
// moderators' "knowledge gaps" page can list the queries whose results nobody opened.
(function () {
  "use strict";

  function cookie(name) {
    var prefix = name + "=";
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(prefix) === 0) return decodeURIComponent(part.slice(prefix.length));
    }
    return "";
  }

  function reportResultOpened(event) {
    if (event.type === "auxclick" && event.button !== 1) return; // middle click opens too
    var link = event.target instanceof Element && event.target.closest("a[data-search-log]");
    var form = link && document.querySelector("form[data-search-click]");
    if (!form || !navigator.sendBeacon) return;
    // The cookie first: after signing in on another tab, the token in the page is stale.
    var field = form.querySelector("[name=csrfmiddlewaretoken]");
    var data = new FormData();
    data.append("log", link.getAttribute("data-search-log"));
    data.append("slug", link.getAttribute("data-entry-slug"));
    data.append("csrfmiddlewaretoken", cookie("csrftoken") || (field ? field.value : ""));
    navigator.sendBeacon(form.getAttribute("action"), data);
  }

  document.addEventListener("click", reportResultOpened);
  document.addEventListener("auxclick", reportResultOpened);
})();

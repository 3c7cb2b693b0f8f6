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

  // Approving, rejecting and featuring reach readers or authors at once: a button with
  // data-confirm asks first, and a refusal cancels the submit. The button names the
  // decision, so the form's other buttons are not asked. Without this file they just post.
  function confirmDecisions() {
    document.addEventListener("submit", function (event) {
      var button = event.submitter;
      var question = button && button.getAttribute("data-confirm");
      // data-confirm-with names a field of the form whose value the question quotes
      // ("Merge “forms” into “{value}”?"): what was typed, not what the page guessed.
      var field = question && button.form && button.form.elements[button.getAttribute("data-confirm-with")];
      if (field) question = question.replace("{value}", field.value.trim());
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  // A type-ahead picker for a long multi-select (66 agencies, every colleague), instead of
  // Ctrl+click: the ARIA combobox pattern with a list of matches (type part of a name,
  // arrows to move, Enter to choose, Escape to close), and the chosen ones as buttons that
  // remove them. The <select multiple> stays in the form, hidden, and is what is sent; its
  // id moves to the new box, so the label, the error summary's link and the field's
  // aria-describedby lead there.
  function enhancePicker(select) {
    var id = select.id;
    var field = select.closest(".field");
    var label = field && field.querySelector("label[for='" + id + "']");
    if (!label) return;
    var name = label.firstChild.textContent.trim(); // without "(required)"
    var hint = field.querySelector(".multi-select-hint");
    if (hint) hint.textContent = " Type part of a name, then choose from the list.";

    var options = Array.prototype.map.call(select.options, function (option, i) {
      return {
        option: option,
        id: id + "-option-" + i,
        text: option.text,
        words: option.text.toLowerCase(),
        acronym: (option.getAttribute("data-match") || "").toLowerCase()
      };
    });

    // Any option whose name holds what was typed, anywhere; best first: the acronym typed
    // in full ("epa"), then a word that starts with it, then the rest ("dEPArtment").
    function rank(o, query) {
      if (o.acronym && o.acronym === query) return 0;
      if (o.words.indexOf(query) === 0 || o.words.indexOf(" " + query) !== -1) return 1;
      if (o.words.indexOf(query) !== -1 || (o.acronym && o.acronym.indexOf(query) !== -1)) return 2;
      return -1;
    }
    var shown = [];
    var active = -1;
    var countTimer = null;

    var input = document.createElement("input");
    input.type = "text";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-listbox");
    ["aria-describedby", "aria-invalid"].forEach(function (attribute) {
      if (select.hasAttribute(attribute)) input.setAttribute(attribute, select.getAttribute(attribute));
    });
    select.id = id + "-select";
    input.id = id;
    var listbox = document.createElement("ul");
    listbox.id = id + "-listbox";
    listbox.className = "picker-options";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", name);
    listbox.setAttribute("aria-multiselectable", "true");
    listbox.hidden = true;
    var none = document.createElement("p");
    none.className = "picker-none";
    none.textContent = "No matches";
    none.hidden = true;
    var box = document.createElement("div");
    box.className = "picker-box";
    box.append(input, listbox, none);
    var chips = document.createElement("ul");
    chips.className = "picker-chips";
    chips.setAttribute("aria-label", "Chosen " + name.toLowerCase());
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    var picker = document.createElement("div");
    picker.className = "picker";
    picker.append(box, chips, status);
    select.before(picker);
    select.hidden = true;

    function say(text) {
      clearTimeout(countTimer);
      status.textContent = text;
    }

    function close() {
      listbox.hidden = true;
      none.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open(typed) {
      var query = input.value.trim().toLowerCase();
      shown = options
        .map(function (o, i) { return { o: o, rank: rank(o, query), i: i }; })
        .filter(function (r) { return r.rank !== -1; })
        .sort(function (a, b) { return a.rank - b.rank || a.i - b.i; })
        .map(function (r) { return r.o; });
      listbox.replaceChildren.apply(listbox, shown.map(function (o) {
        var item = document.createElement("li");
        item.id = o.id;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", String(o.option.selected));
        item.textContent = o.text;
        return item;
      }));
      active = -1;
      input.removeAttribute("aria-activedescendant");
      listbox.hidden = shown.length === 0;
      none.hidden = shown.length !== 0;
      input.setAttribute("aria-expanded", String(shown.length !== 0));
      // Said once typing pauses, not on every key.
      clearTimeout(countTimer);
      if (typed !== true) return;
      countTimer = setTimeout(function () {
        status.textContent = shown.length === 0 ? "No matches" : shown.length === 1 ? "1 match" : shown.length + " matches";
      }, 400);
    }

    // One step down (1) or up (-1), round the ends; from no option, to the first or last.
    function move(step) {
      if (listbox.hidden) open();
      if (!shown.length) return;
      var from = active === -1 ? (step > 0 ? -1 : 0) : active;
      active = (from + step + shown.length) % shown.length;
      Array.prototype.forEach.call(listbox.children, function (item, i) {
        item.classList.toggle("is-active", i === active);
      });
      var item = listbox.children[active];
      input.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    }

    function showChips() {
      chips.replaceChildren();
      options.forEach(function (o) {
        if (!o.option.selected) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "picker-chip";
        var verb = document.createElement("span");
        verb.className = "visually-hidden";
        verb.textContent = "Remove ";
        var x = document.createElement("span");
        x.className = "picker-chip-x";
        x.setAttribute("aria-hidden", "true");
        x.textContent = "×";
        button.append(verb, o.text, x);
        button.addEventListener("click", function () {
          var buttons = Array.prototype.slice.call(chips.querySelectorAll("button"));
          var at = buttons.indexOf(button);
          choose(o, false);
          // Focus stays in the list of chosen ones (the next, else the one before), or
          // goes back to the box when none is left; never lost to the page.
          var left = chips.querySelectorAll("button");
          (left[Math.min(at, left.length - 1)] || input).focus();
        });
        var item = document.createElement("li");
        item.appendChild(button);
        chips.appendChild(item);
      });
      chips.hidden = !chips.children.length;
    }

    function choose(o, selected) {
      o.option.selected = selected;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      showChips();
      say(o.text + (selected ? " added" : " removed"));
    }

    input.addEventListener("input", function () { open(true); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        move(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter") {
        // Enter chooses; it never sends the form from here by surprise.
        if (!listbox.hidden || input.value.trim()) event.preventDefault();
        if (!listbox.hidden && active >= 0) {
          var o = shown[active];
          choose(o, !o.option.selected);
          input.value = "";
          close();
        }
      } else if (event.key === "Escape") {
        if (!listbox.hidden || !none.hidden) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      }
    });
    input.addEventListener("blur", close);
    // Pressing an option must not take focus from the box (its blur would close the list).
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var item = event.target.closest("[role=option]");
      var o = item && shown[Array.prototype.indexOf.call(listbox.children, item)];
      if (!o) return;
      choose(o, !o.option.selected);
      input.value = "";
      close();
    });
    showChips();
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmDecisions();

    // Search filters are folded on a phone (so results come first after one line) and
    // unfolded where they fit beside the results.
    if (window.matchMedia("(min-width: 56rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
        details.open = true;
      });
    }

    // Escape closes the moderators' menu and puts the focus back on it.
    document.querySelectorAll(".nav-menu details").forEach(function (menu) {
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });

    // The live preview scrolls when it is long: a named region the keyboard can reach.
    document.querySelectorAll(".markdownx-preview").forEach(function (preview) {
      preview.setAttribute("tabindex", "0");
      preview.setAttribute("role", "region");
      preview.setAttribute("aria-label", "Preview");
    });

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

    // "Add another outcome": clone the empty form of a Django formset. Focus goes to the
    // new row's first field and a polite live region says "Outcome 3 added.", so people
    // who do not see the page know the row is there and that they are in it.
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      var prefix = button.getAttribute("data-add-row");
      var template = document.getElementById(prefix + "-empty");
      var rows = document.querySelector("[data-formset='" + prefix + "']");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
      if (!template || !rows || !total) return;
      var rowName = button.getAttribute("data-row-name") || "Row";
      var status = document.querySelector("[data-row-status='" + prefix + "']");
      if (!status) {
        // Made now, not at the click: a live region must exist before it speaks.
        status = document.createElement("p");
        status.className = "visually-hidden";
        status.setAttribute("aria-live", "polite");
        button.before(status);
      }
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        if (max && index >= parseInt(max.value, 10)) {
          status.textContent = "No more can be added: the most is " + max.value + ".";
          return;
        }
        var html = template.innerHTML
          .replace(/__prefix__/g, String(index))
          .replace(/__number__/g, String(index + 1));
        rows.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        // Hidden inputs (the row's id) come first and cannot take focus.
        var first = rows.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
        status.textContent = rowName + " " + (index + 1) + " added.";
      });
    });

    document.querySelectorAll("select[data-picker]").forEach(enhancePicker);
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

"use strict";
// Filters, grouping and in-page links. Everything the page knows about a finding is in its data-*
// attributes; this script never builds HTML, it only hides, shows, opens and moves elements.
(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  var ruleSelect = document.getElementById("filter-rule");
  var itemSelect = document.getElementById("filter-item");
  var pathInput = document.getElementById("filter-path");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var causes = document.getElementById("root-causes");
  var views = { item: document.getElementById("view-item"), file: document.getElementById("view-file") };
  // Every card in the order of the item groups, and where each view keeps it.
  var cards = Array.prototype.slice.call(views.item.querySelectorAll(".finding"));
  var inFileOrder = cards.slice().sort(function (a, b) { return a.dataset.fileOrder - b.dataset.fileOrder; });
  var homes = { item: groupsBy("item"), file: groupsBy("path") };
  var arranged = "item";

  function groupsBy(key) {
    var groups = new Map();
    document.querySelectorAll("[data-group-" + key + "]").forEach(function (group) {
      groups.set(group.getAttribute("data-group-" + key), group);
    });
    return groups;
  }

  function currentView() {
    var checked = form.querySelector("input[name=view]:checked");
    return checked ? checked.value : "item";
  }

  function arrange(view) {
    var key = view === "item" ? "item" : "path";
    (view === "item" ? cards : inFileOrder).forEach(function (card) {
      homes[view].get(card.dataset[key]).appendChild(card);
    });
    arranged = view;
  }

  function matcher() {
    var rule = ruleSelect.value;
    var item = itemSelect.value;
    var path = pathInput.value.trim().toLowerCase();
    var severities = {};
    form.querySelectorAll("input[name=severity]").forEach(function (box) { severities[box.value] = box.checked; });
    return function (element) {
      return (!rule || element.dataset.code === rule)
        && (!item || element.dataset.item === item)
        && severities[element.dataset.severity] !== false
        && (!path || element.dataset.path.toLowerCase().indexOf(path) !== -1);
    };
  }

  // Hides what does not match in `container`'s groups; counts the findings left in each.
  function filter(container, groupSelector, memberSelector, matches) {
    var total = 0;
    container.querySelectorAll(groupSelector).forEach(function (group) {
      var count = 0;
      group.querySelectorAll(memberSelector).forEach(function (member) {
        member.hidden = !matches(member);
        if (!member.hidden) { count += 1; }
      });
      group.hidden = count === 0;
      var counter = group.querySelector(".count");
      if (counter) {
        counter.textContent = String(count) === counter.dataset.total ? counter.dataset.total : count + " of " + counter.dataset.total;
      }
      total += count;
    });
    return total;
  }

  function apply() {
    var view = currentView();
    if (view !== arranged) { arrange(view); }
    Object.keys(views).forEach(function (name) { views[name].hidden = name !== view; });
    var matches = matcher();
    var visible = filter(views[view], ".group", ".finding", matches);
    if (causes) { causes.hidden = filter(causes, ".cause", "li", matches) === 0; }
    shown.textContent = String(visible);
    noMatch.hidden = visible !== 0;
  }

  // A link's target is shown (the filters reset if they hide it) and every <details> holding it
  // opened, before the browser scrolls to it.
  function reveal(target) {
    if (target.closest("[hidden]")) {
      form.reset();
      apply();
    }
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  function targetOfHash() {
    try {
      return location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    } catch (error) {
      return null;  // a fragment typed by hand that is no valid escape names nothing here
    }
  }

  function revealHash() {
    var target = targetOfHash();
    if (target) {
      reveal(target);
      target.scrollIntoView();
    }
  }

  // Jump targets keep clear of the filter bar where it is sticky (CSS scroll-margin-top reads
  // its height).
  function measureBar() {
    var covering = getComputedStyle(form).position === "sticky" ? form.offsetHeight : 0;
    document.documentElement.style.setProperty("--bar-height", covering + "px");
  }

  document.querySelectorAll(".scripted").forEach(function (element) { element.hidden = false; });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (target) { reveal(target); }
  });
  window.addEventListener("hashchange", revealHash);
  document.querySelectorAll("button.show-rule").forEach(function (button) {
    button.addEventListener("click", function () {
      form.reset();
      ruleSelect.value = button.dataset.code;
      apply();
      document.getElementById("findings").scrollIntoView();
    });
  });
  new ResizeObserver(measureBar).observe(form);
  apply();
  revealHash();
})();

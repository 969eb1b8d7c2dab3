"use strict";
// Client-side filters. Everything the page knows about a finding is in its data-* attributes;
// this script never builds HTML, it only hides and shows elements.
(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  var itemSelect = document.getElementById("filter-item");
  var pathInput = document.getElementById("filter-path");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var views = { item: document.getElementById("view-item"), file: document.getElementById("view-file") };

  function currentView() {
    var checked = form.querySelector("input[name=view]:checked");
    return checked ? checked.value : "item";
  }

  function apply() {
    var item = itemSelect.value;
    var path = pathInput.value.trim().toLowerCase();
    var severities = {};
    form.querySelectorAll("input[name=severity]").forEach(function (box) { severities[box.value] = box.checked; });
    var view = currentView();
    Object.keys(views).forEach(function (name) { views[name].hidden = name !== view; });
    var visible = 0;
    views[view].querySelectorAll(".group").forEach(function (group) {
      var groupVisible = 0;
      group.querySelectorAll(".finding").forEach(function (card) {
        var match = (!item || card.dataset.item === item)
          && severities[card.dataset.severity] !== false
          && (!path || card.dataset.path.toLowerCase().indexOf(path) !== -1);
        card.hidden = !match;
        if (match) { groupVisible += 1; }
      });
      group.hidden = groupVisible === 0;
      visible += groupVisible;
    });
    shown.textContent = String(visible);
    noMatch.hidden = visible !== 0;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.querySelectorAll("button.show-item").forEach(function (button) {
    button.addEventListener("click", function () {
      itemSelect.value = button.dataset.item;
      apply();
      document.getElementById("findings").scrollIntoView({ behavior: "smooth" });
    });
  });
  apply();
})();

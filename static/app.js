// Progressive enhancement only: every page works without this file.
// 1. Math: KaTeX renders $…$, $$…$$, \(…\) and \[…\] in titles and abstracts. Broken TeX is
//    left as readable source (throwOnError: false) instead of blanking the text.
// 2. A "Copy BibTeX" button on paper pages. 3. Category suggestions.
(function () {
  "use strict";
  function renderMath() {
    if (typeof window.renderMathInElement !== "function") return;
    document.querySelectorAll(".math").forEach(function (element) {
      try {
        window.renderMathInElement(element, {
          delimiters: [
            { left: "$$", right: "$$", display: true },
            { left: "\\[", right: "\\]", display: true },
            { left: "$", right: "$", display: false },
            { left: "\\(", right: "\\)", display: false }
          ],
          throwOnError: false,
          strict: "ignore",
          ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option", "input", "label"]
        });
      } catch (error) {
        // Keep the text as it was: readable TeX beats an empty abstract.
      }
    });
  }
  function enableCopy() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(function () {
          button.textContent = "Copied";
        });
      });
    });
  }
  // 3. Suggestions for the category box, fetched once rather than repeated in every page.
  function suggestCategories() {
    var list = document.getElementById("categories");
    if (!list || !window.fetch) return;
    fetch("/api/categories").then(function (response) { return response.json(); }).then(function (categories) {
      categories.forEach(function (category) {
        var option = document.createElement("option");
        option.value = category.code;
        option.label = category.name;
        list.appendChild(option);
      });
    }).catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderMath();
    enableCopy();
    suggestCategories();
  });
})();

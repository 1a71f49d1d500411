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
  // 4. Votes in place: the vote forms post to the API instead of reloading, and show which
  //    papers the signed-in reader has voted for (pages are cached for everyone).
  function enableVotes() {
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-paper]"));
    var ids = forms.map(function (form) { return form.getAttribute("data-paper"); });
    var url = "/api/me/votes?ids=" + encodeURIComponent(ids.join(","));
    fetch(url, { credentials: "same-origin" }).then(function (response) { return response.json(); }).then(function (me) {
      var link = document.getElementById("account-link");
      if (me.signedIn && link) { link.textContent = "Account"; link.href = "/account"; }
      forms.forEach(function (form) {
        var button = form.querySelector("button");
        var voted = me.voted.indexOf(form.getAttribute("data-paper")) >= 0;
        button.setAttribute("aria-pressed", voted ? "true" : "false");
        if (!me.signedIn) return;
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          var pressed = button.getAttribute("aria-pressed") === "true";
          fetch("/api/papers/" + form.getAttribute("data-paper") + "/upvote", {
            method: pressed ? "DELETE" : "POST",
            credentials: "same-origin"
          }).then(function (response) {
            if (!response.ok) throw new Error("vote failed");
            return response.json();
          }).then(function (result) {
            button.setAttribute("aria-pressed", result.voted ? "true" : "false");
            button.querySelector(".count").textContent = result.upvotes;
          }).catch(function () { form.submit(); });
        });
      });
    }).catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderMath();
    enableCopy();
    suggestCategories();
    enableVotes();
  });
})();

// Progressive enhancement only: every page works without this file.
// 1. Math: KaTeX renders $…$, $$…$$, \(…\) and \[…\] in titles, abstracts and search excerpts.
//    An expression KaTeX cannot parse is left as its readable source.
// 2. A "Copy BibTeX" button on paper pages. 3. Category suggestions.
(function () {
  "use strict";
  // Math is found by the rules the server uses (crates/core/src/tex.rs), not KaTeX's auto-render:
  // a `$` inside braces belongs to its expression (arXiv writes $\textbf{$ρ$-$\texttt{EOS}$}$),
  // `\$` is a dollar sign, and each expression renders on its own, so one KaTeX cannot parse stays
  // as its TeX source instead of red error text or a whole abstract left raw.
  var DELIMITERS = [["$$", "$$", true], ["\\[", "\\]", true], ["\\(", "\\)", false], ["$", "$", false]];
  // Where the expression that starts at `from` ends: the first `close` outside braces, or -1.
  function closing(text, from, close) {
    var depth = 0;
    for (var at = from; at < text.length; at++) {
      if (depth === 0 && text.startsWith(close, at)) return at;
      var c = text.charAt(at);
      if (c === "\\") at++;
      else if (c === "{") depth++;
      else if (c === "}" && depth > 0) depth--;
    }
    return -1;
  }
  // The text in pieces: strings, and {tex, source, display} for each expression.
  function mathPieces(text) {
    var pieces = [], plain = "", at = 0;
    while (at < text.length) {
      var delimiter = null;
      for (var d = 0; d < DELIMITERS.length && !delimiter; d++) {
        if (text.startsWith(DELIMITERS[d][0], at)) delimiter = DELIMITERS[d];
      }
      if (!delimiter) {
        var step = text.charAt(at) === "\\" ? 2 : 1;
        plain += text.substr(at, step);
        at += step;
        continue;
      }
      var start = at + delimiter[0].length, end = closing(text, start, delimiter[1]);
      if (end <= start) {
        plain += delimiter[0];
        at = start;
        continue;
      }
      if (plain) pieces.push(plain);
      plain = "";
      var after = end + delimiter[1].length;
      pieces.push({ tex: text.slice(start, end), source: text.slice(at, after), display: delimiter[2] });
      at = after;
    }
    if (plain) pieces.push(plain);
    return pieces;
  }
  function renderMath(root) {
    if (!window.katex) return;
    (root || document).querySelectorAll(".math").forEach(function (element) {
      var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT), nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach(function (node) {
        var pieces = mathPieces(node.nodeValue);
        if (!pieces.some(function (piece) { return typeof piece !== "string"; })) return;
        var fragment = document.createDocumentFragment();
        pieces.forEach(function (piece) {
          if (typeof piece === "string") {
            fragment.appendChild(document.createTextNode(piece));
            return;
          }
          var span = document.createElement("span");
          try {
            window.katex.render(piece.tex, span, { displayMode: piece.display, throwOnError: true, strict: "ignore" });
            fragment.appendChild(span);
          } catch (error) {
            fragment.appendChild(document.createTextNode(piece.source));
          }
        });
        node.parentNode.replaceChild(fragment, node);
      });
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
    Array.prototype.slice.call(document.querySelectorAll("form[data-save]")).forEach(function (form) {
      var paper = form.getAttribute("data-save");
      if (ids.indexOf(paper) < 0) ids.push(paper);
    });
    var comments = Array.prototype.slice.call(document.querySelectorAll("article.comment[data-comment]"))
      .map(function (article) { return article.getAttribute("data-comment"); });
    var url = "/api/me/votes?ids=" + encodeURIComponent(ids.join(","));
    if (comments.length) url += "&comments=" + encodeURIComponent(comments.join(","));
    fetch(url, { credentials: "same-origin" }).then(function (response) { return response.json(); }).then(function (me) {
      var link = document.getElementById("account-link");
      if (me.signedIn && link) { link.textContent = "Account"; link.href = "/account"; }
      enableSaves(me);
      enableDiscussion(me);
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
  // 5. Saving in place: the save buttons file the paper in the reader's library ("Saved") or
  //    take it out, through the API; their state comes with the votes' (enableVotes).
  function showSaved(button, saved) {
    button.setAttribute("aria-pressed", saved ? "true" : "false");
    button.textContent = saved ? "Saved" : "Save";
  }
  function enableSaves(me) {
    Array.prototype.slice.call(document.querySelectorAll("form[data-save]")).forEach(function (form) {
      var button = form.querySelector("button");
      var paper = form.getAttribute("data-save");
      showSaved(button, me.saved.indexOf(paper) >= 0);
      if (!me.signedIn) return;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var saved = button.getAttribute("aria-pressed") === "true";
        fetch("/api/me/library/" + paper, {
          method: saved ? "DELETE" : "PUT",
          credentials: "same-origin"
        }).then(function (response) {
          if (!response.ok) throw new Error("save failed");
          return response.json();
        }).then(function (result) {
          showSaved(button, result.saved);
        }).catch(function () { form.submit(); });
      });
    });
  }
  // 6. The discussion in place: posting a comment or reply and upvoting one go through the API
  //    (the server renders the Markdown; the answer's HTML is its safe rendering), and edit and
  //    delete are offered on the reader's own comments only. Without JavaScript the forms post.
  function enableDiscussion(me) {
    var section = document.getElementById("discussion");
    if (!section) return;
    section.querySelectorAll("article.comment").forEach(function (article) {
      var mine = me.profile && article.getAttribute("data-author") === "/users/" + me.profile;
      article.querySelectorAll("form.own").forEach(function (form) { form.hidden = !mine; });
    });
    section.querySelectorAll("form.comment-vote").forEach(function (form) {
      var id = Number(form.closest("article").getAttribute("data-comment"));
      form.querySelector("button").setAttribute("aria-pressed", (me.commentVotes || []).indexOf(id) >= 0 ? "true" : "false");
    });
    if (!me.signedIn) return;
    section.querySelectorAll("form.comment-vote").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        var pressed = button.getAttribute("aria-pressed") === "true";
        var id = form.closest("article").getAttribute("data-comment");
        fetch("/api/comments/" + id + "/upvote", { method: pressed ? "DELETE" : "PUT", credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) throw new Error("vote failed");
            return response.json();
          }).then(function (comment) {
            button.setAttribute("aria-pressed", pressed ? "false" : "true");
            button.querySelector(".count").textContent = comment.upvotes;
          }).catch(function () { form.submit(); });
      });
    });
    section.querySelectorAll("form[action$='/comments']").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var parentField = form.querySelector("input[name=parent]");
        var parent = parentField ? Number(parentField.value) : null;
        var paper = form.getAttribute("action").replace(/^\/papers\//, "").replace(/\/comments$/, "");
        var status = form.querySelector(".form-notice") || document.createElement("p");
        status.className = "form-notice";
        status.setAttribute("role", "status");
        fetch("/api/papers/" + paper + "/comments", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ body: form.querySelector("textarea").value, parent: parent })
        }).then(function (response) {
          return response.json().then(function (json) {
            if (!response.ok) throw new Error(json.error || "The comment was not posted.");
            return json;
          });
        }).then(function (comment) {
          var article = document.createElement("article");
          article.className = "comment depth-" + comment.depth;
          article.id = "comment-" + comment.id;
          article.setAttribute("data-comment", comment.id);
          var meta = document.createElement("p");
          meta.className = "comment-meta";
          var permalink = document.createElement("a");
          permalink.href = "#comment-" + comment.id;
          permalink.textContent = (comment.author ? comment.author.name + " · " : "") + "just now";
          meta.appendChild(permalink);
          var body = document.createElement("div");
          body.className = "comment-body";
          body.innerHTML = comment.html; // rendered and sanitised by the server
          article.appendChild(meta);
          article.appendChild(body);
          var anchor = parentField ? form.closest("article") : form;
          if (parentField) {
            // After the parent's last reply: the next article no deeper than the parent.
            var depth = Number(anchor.className.replace(/.*depth-(\d+).*/, "$1"));
            var next = anchor.nextElementSibling;
            while (next && next.matches("article.comment") &&
                   Number(next.className.replace(/.*depth-(\d+).*/, "$1")) > depth) {
              next = next.nextElementSibling;
            }
            anchor.parentNode.insertBefore(article, next);
            form.closest("details").open = false;
          } else {
            form.parentNode.insertBefore(article, form);
            var empty = section.querySelector("p.empty");
            if (empty) empty.remove();
          }
          renderMath(article);
          form.querySelector("textarea").value = "";
          status.remove();
          article.scrollIntoView({ block: "nearest" });
        }).catch(function (error) {
          status.textContent = error.message;
          form.appendChild(status);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    renderMath();
    enableCopy();
    suggestCategories();
    enableVotes();
  });
})();

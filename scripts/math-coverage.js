#!/usr/bin/env node
// How the page's math renderer fares on real abstracts: finds every expression in the titles and
// abstracts of a listings file (default: the demo sample) by the rules static/app.js uses, renders
// each with the vendored KaTeX, and counts those that stay as TeX source, grouped by KaTeX's
// reason. Usage: node scripts/math-coverage.js [LISTINGS.jsonl.gz]
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const root = path.join(__dirname, "..");
const katex = require(path.join(root, "static/katex/katex.min.js"));
// The scanner is app.js's own code, read from it rather than copied here.
const app = fs.readFileSync(path.join(root, "static/app.js"), "utf8");
const mathPieces = new Function(
  app.slice(app.indexOf("  var DELIMITERS"), app.indexOf("  function renderMath")) + "\nreturn mathPieces;"
)();

const file = process.argv[2] || path.join(root, "demo/listings-2026-02.jsonl.gz");
const lines = zlib.gunzipSync(fs.readFileSync(file)).toString().split("\n").filter(Boolean);
let expressions = 0;
const unrendered = new Map();
const papers = new Set();
for (const line of lines) {
  const paper = JSON.parse(line);
  for (const text of [paper.title, paper.abstract]) {
    for (const piece of mathPieces(text || "")) {
      if (typeof piece === "string") continue;
      expressions++;
      try {
        katex.renderToString(piece.tex, { displayMode: piece.display, throwOnError: true, strict: "ignore" });
      } catch (error) {
        const reason = String(error.message).replace(/ at position.*/s, "").slice(0, 80);
        if (!unrendered.has(reason)) unrendered.set(reason, []);
        unrendered.get(reason).push(`${paper.id} ${piece.source.slice(0, 60)}`);
        papers.add(paper.id);
      }
    }
  }
}
const left = [...unrendered.values()].reduce((sum, list) => sum + list.length, 0);
console.log(`${lines.length} papers, ${expressions} expressions, ${left} left as TeX source in ${papers.size} papers`);
for (const [reason, where] of unrendered) console.log(`  ${where.length} × ${reason}: ${where.slice(0, 2).join("; ")}`);

#!/usr/bin/env node
// Lints Dockerfiles with dockerfile-utils (the linter of the Docker VS Code extension), every
// rule at error severity: syntax, unknown instructions and flags, malformed JSON forms, casing,
// multiple CMD/ENTRYPOINT/HEALTHCHECK, relative WORKDIR, ... Prints each problem as
// FILE:LINE:COL: message; exit status 1 when there is any.
//   node lint_dockerfile.js Dockerfile...
"use strict";
const fs = require("fs");
const path = require("path");
const { validate, ValidationSeverity } = require(path.join(__dirname, "node_modules",
  "dockerfile-utils"));

const E = ValidationSeverity.ERROR;
const settings = {
  deprecatedMaintainer: E,
  directiveCasing: E,
  emptyContinuationLine: E,
  instructionCasing: E,
  instructionCmdMultiple: E,
  instructionEntrypointMultiple: E,
  instructionHealthcheckMultiple: E,
  instructionJSONInSingleQuotes: E,
  instructionWorkdirRelative: E,
};

let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const d of validate(fs.readFileSync(file, "utf8"), settings)) {
    const { line, character } = d.range.start;
    console.log(`${file}:${line + 1}:${character + 1}: ${d.message}`);
    problems++;
  }
}
if (process.argv.length < 3) {
  console.error("usage: node lint_dockerfile.js Dockerfile...");
  process.exitCode = 2;
} else {
  process.exitCode = problems ? 1 : 0;
}

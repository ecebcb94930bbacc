#!/usr/bin/env node
// Validates Kubernetes objects offline, two ways, and prints one line per object:
//  1. kubernetes-models (core and apps APIs) and @kubernetes-models/prometheus-operator (the
//     monitoring.coreos.com CRDs of operator v0.65.1): the OpenAPI schemas' types, required
//     fields, enums and formats.
//  2. Those packages' TypeScript interfaces: each object becomes a typed object literal, and
//     TypeScript's excess-property check names every field the API does not have (the schemas
//     accept unknown fields, so a misspelt `readOnlyRootFilesytem` would pass check 1 alone).
// An object of a kind neither package knows is an error, never skipped.
//   node validate_k8s.js OBJECTS.json    (a JSON array, e.g. `kubectl kustomize` output as JSON)
// Exit status: 0 when every object passes, 1 otherwise, 2 on bad usage.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const NODE_MODULES = path.join(__dirname, "node_modules");

function moduleFor(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${group}/${version}`;
  }
  return group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
}

function label(o, i) {
  const m = o.metadata || {};
  return `#${i} ${o.kind} ${m.namespace ? m.namespace + "/" : ""}${m.name}`;
}

function schemaCheck(objects) {
  const problems = [];
  objects.forEach((o, i) => {
    let Model;
    try {
      Model = require(path.join(NODE_MODULES, moduleFor(o.apiVersion), o.kind));
      Model = Model[o.kind];
    } catch (e) {
      Model = undefined;
    }
    if (typeof Model !== "function") {
      problems.push(`${label(o, i)}: no schema for ${o.apiVersion} ${o.kind}`);
      return;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push(`${label(o, i)}: ${e.message}`);
    }
  });
  return problems;
}

function fieldCheck(objects) {
  const ts = require(path.join(NODE_MODULES, "typescript"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promha-k8s-"));
  try {
    const file = path.join(dir, "objects.ts");
    const lines = [];
    objects.forEach((o, i) => {
      const mod = `${moduleFor(o.apiVersion)}/${o.kind}`;
      lines.push(`import type { I${o.kind} as T${i} } from ${JSON.stringify(mod)};`);
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
    });
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      types: [],
      moduleResolution: ts.ModuleResolutionKind.Node10,
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      baseUrl: NODE_MODULES,
      paths: { "*": ["*"] },
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
      if (d.file && d.file.fileName === file && d.start !== undefined) {
        const { line } = d.file.getLineAndCharacterOfPosition(d.start);
        const i = Math.floor(line / 2);
        return `${label(objects[i], i)}: ${text}`;
      }
      return text;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  if (process.argv.length !== 3) {
    console.error("usage: node validate_k8s.js OBJECTS.json");
    return 2;
  }
  const objects = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const problems = [...schemaCheck(objects), ...fieldCheck(objects)];
  if (problems.length === 0) {
    objects.forEach((o, i) => console.log(`ok ${label(o, i)}`));
  }
  problems.forEach((p) => console.log(`FAIL ${p}`));
  return problems.length ? 1 : 0;
}

process.exitCode = main();

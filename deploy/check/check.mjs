// Parses every YAML file under deploy/ and validates each Kubernetes object against the
// Kubernetes API's JSON schemas (the kubernetes-models package carries them: no network).
// Prints one line per object and "N objects valid"; exits 1 on the first problem.
//   node deploy/check/check.mjs            (from anywhere)
//   node deploy/check/check.mjs --json FILE   prints FILE's documents as a JSON array
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const deploy = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function documents(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d !== null);
}

if (process.argv[2] === '--json') {
  console.log(JSON.stringify(documents(process.argv[3])));
  process.exit(0);
}

function yamlFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

let valid = 0;
for (const file of yamlFiles(deploy)) {
  const docs = documents(file);
  for (const doc of docs) {
    if (!doc.apiVersion || !doc.kind) {
      console.log(`${path.relative(deploy, file)}: parsed (not a Kubernetes object)`);
      continue;
    }
    const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
    const module = group === '' ? `kubernetes-models/v1` : `kubernetes-models/${group}/${version}`;
    const models = await import(module);
    const Model = models[doc.kind];
    if (!Model) throw new Error(`${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
    try {
      new Model(doc).validate();
    } catch (e) {
      console.error(`${path.relative(deploy, file)}: ${doc.kind}/${doc.metadata?.name}: ${e.message}`);
      process.exit(1);
    }
    console.log(`${path.relative(deploy, file)}: ${doc.apiVersion} ${doc.kind}/${doc.metadata?.name} valid`);
    valid++;
  }
}
console.log(`${valid} objects valid`);

